"""The real data sets' on-disk formats without torchvision: each test writes a tiny data set in
exactly its format (LSUN's LMDB, CIFAR-10 binary and python, CelebA's folder, MNIST's IDX) and
reads the pixels back, compared with the arrays it wrote."""

import gzip
import io
import os
import pickle

import numpy as np
import pytest
from PIL import Image

from wgan_toys.images.formats import decode, open_source, read_cifar_pickle

RNG = np.random.default_rng(0)


def pixels(source) -> list:
    return [np.asarray(decode(payload, name)) for name, payload in source.items(0, len(source))]


def png_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg_bytes(array: np.ndarray, fmt: str = "JPEG") -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format=fmt, quality=95)
    return buffer.getvalue()


def write_lsun(path, images, fmt="JPEG"):
    """LSUN's layout: an LMDB folder with data.mdb, keys 40-hex-digit hashes, values encoded images."""
    import hashlib

    import lmdb

    env = lmdb.open(str(path), map_size=2**24)
    with env.begin(write=True) as txn:
        for image in images:
            value = jpeg_bytes(image, fmt)
            txn.put(hashlib.sha1(value).hexdigest().encode(), value)
    env.close()


def test_lsun_lmdb_yields_jpeg_and_webp_in_key_order(tmp_path):
    images = RNG.integers(0, 256, (3, 24, 32, 3), dtype=np.uint8)
    write_lsun(tmp_path / "bedroom_train_lmdb", images[:2])
    write_lsun(tmp_path / "bedroom_train_lmdb", images[2:], fmt="WEBP")
    source = open_source("lsun", tmp_path / "bedroom_train_lmdb")
    assert len(source) == 3
    names = [name for name, _ in source.items(0, 3)]
    assert names == sorted(names) and all(len(name) == 40 for name in names)
    decoded = pixels(source)
    assert all(image.shape == (24, 32, 3) for image in decoded)
    assert [name for name, _ in source.items(1, 3)] == names[1:]  # a resumed shard starts mid-way
    assert [name for name, _ in source.items(0, 1)] + [name for name, _ in source.items(1, 3)] == names  # chunks


def test_an_lmdb_that_is_not_lsuns_layout_is_refused_naming_it(tmp_path):
    import lmdb

    env = lmdb.open(str(tmp_path / "other"), map_size=2**20)
    with env.begin(write=True) as txn:
        txn.put(b"key", b"not an image")
    env.close()
    with pytest.raises(ValueError, match=r"other/data.mdb is not LSUN's layout"):
        open_source("lsun", tmp_path / "other")
    with pytest.raises(ValueError, match="has no data.mdb"):
        open_source("lsun", tmp_path)


def write_cifar_binary(folder, images, labels):
    folder.mkdir()
    records = np.concatenate([labels[:, None], images.transpose(0, 3, 1, 2).reshape(len(images), -1)], axis=1)
    records[:3].astype(np.uint8).tofile(folder / "data_batch_1.bin")
    records[3:].astype(np.uint8).tofile(folder / "data_batch_2.bin")


def test_cifar10_binary_records_give_back_the_images(tmp_path):
    images = RNG.integers(0, 256, (5, 32, 32, 3), dtype=np.uint8)
    write_cifar_binary(tmp_path / "cifar-10-batches-bin", images, np.arange(5))
    source = open_source("cifar10", tmp_path)
    assert len(source) == 5
    np.testing.assert_array_equal(np.stack(pixels(source)), images)


def test_a_truncated_cifar10_binary_file_is_named(tmp_path):
    images = RNG.integers(0, 256, (5, 32, 32, 3), dtype=np.uint8)
    write_cifar_binary(tmp_path / "b", images, np.arange(5))
    with open(tmp_path / "b" / "data_batch_2.bin", "ab") as file:
        file.write(b"\0" * 10)
    with pytest.raises(ValueError, match=r"data_batch_2.bin: 6156 bytes, not a whole number of 3073-byte"):
        open_source("cifar10", tmp_path / "b")


def write_cifar_python(path, images):
    """As cifar-10-python's batches: a dict of bytes keys, 'data' (N, 3072) uint8 in R, G, B planes."""
    batch = {
        b"batch_label": b"training batch 1 of 5",
        b"labels": list(range(len(images))),
        b"data": images.transpose(0, 3, 1, 2).reshape(len(images), -1),
        b"filenames": [f"img_{k}.png".encode() for k in range(len(images))],
    }
    with open(path, "wb") as file:
        pickle.dump(batch, file, protocol=2)


def test_cifar10_python_batches_load_through_the_restricted_unpickler(tmp_path):
    images = RNG.integers(0, 256, (4, 32, 32, 3), dtype=np.uint8)
    (tmp_path / "cifar-10-batches-py").mkdir()
    write_cifar_python(tmp_path / "cifar-10-batches-py" / "data_batch_1", images[:2])
    write_cifar_python(tmp_path / "cifar-10-batches-py" / "data_batch_2", images[2:])
    np.testing.assert_array_equal(np.stack(pixels(open_source("cifar10", tmp_path))), images)


class Payload:
    def __reduce__(self):
        return (os.system, ("echo crafted pickle ran > crafted.txt",))


def test_a_crafted_cifar_pickle_is_refused_before_it_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with open(tmp_path / "data_batch_1", "wb") as file:
        pickle.dump({b"data": Payload()}, file, protocol=2)
    with pytest.raises(ValueError, match=r"data_batch_1: refuses the global (posix|os|nt)\.system") as caught:
        read_cifar_pickle(tmp_path / "data_batch_1")
    assert "\n" not in str(caught.value)
    assert not (tmp_path / "crafted.txt").exists()
    assert pickle.loads(pickle.dumps(1)) == 1  # the plain unpickler is untouched


def test_celeba_aligned_folder_is_read_in_file_order(tmp_path):
    folder = tmp_path / "img_align_celeba"
    folder.mkdir()
    images = RNG.integers(0, 256, (3, 218, 178, 3), dtype=np.uint8)
    for index, image in enumerate(images):
        Image.fromarray(image).save(folder / f"{index + 1:06d}.jpg", quality=95)
    (folder / "notes.txt").write_text("not an image")
    source = open_source("celeba", tmp_path)
    assert [name for name, _ in source.items(0, 3)] == ["000001.jpg", "000002.jpg", "000003.jpg"]
    decoded = pixels(source)
    assert decoded[0].shape == (218, 178, 3)
    assert np.abs(decoded[1].astype(int) - images[1]).mean() < np.abs(decoded[1].astype(int) - images[0]).mean()
    with pytest.raises(ValueError, match="holds no CelebA images"):
        open_source("celeba", tmp_path / "img_align_celeba" / ".." / "..")


def write_idx(path, images, gz=False):
    header = (0x803).to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in images.shape)
    data = header + images.tobytes()
    (gzip.open if gz else open)(path, "wb").write(data)


@pytest.mark.parametrize("gz", [False, True])
def test_mnist_idx_files_give_back_the_images(tmp_path, gz):
    images = RNG.integers(0, 256, (6, 28, 28), dtype=np.uint8)
    write_idx(tmp_path / ("train-images-idx3-ubyte" + (".gz" if gz else "")), images, gz)
    np.testing.assert_array_equal(np.stack(pixels(open_source("mnist", tmp_path))), images)


def test_a_truncated_or_foreign_idx_file_is_named(tmp_path):
    images = RNG.integers(0, 256, (6, 28, 28), dtype=np.uint8)
    write_idx(tmp_path / "train-images-idx3-ubyte", images)
    data = (tmp_path / "train-images-idx3-ubyte").read_bytes()
    (tmp_path / "train-images-idx3-ubyte").write_bytes(data[:-5])
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte: 4699 pixel bytes, its header says 6 x 28 x 28"):
        open_source("mnist", tmp_path)
    (tmp_path / "train-images-idx3-ubyte").write_bytes(b"\0\0\x08\x01" + data[4:])  # labels' magic 2049
    with pytest.raises(ValueError, match="is not an IDX image file"):
        open_source("mnist", tmp_path)


def test_npy_is_memory_mapped_and_npz_is_read(tmp_path):
    images = RNG.integers(0, 256, (4, 3, 8, 8), dtype=np.uint8)
    np.save(tmp_path / "a.npy", images)
    source = open_source("npz", tmp_path / "a.npy")
    assert isinstance(source.arrays[0].base, np.memmap) or isinstance(source.arrays[0], np.memmap)
    np.testing.assert_array_equal(np.stack(pixels(source)), images.transpose(0, 2, 3, 1))
    np.savez(tmp_path / "b.npz", images=images[:, :1])
    np.testing.assert_array_equal(np.stack(pixels(open_source("npz", tmp_path / "b.npz"))), images[:, 0])


def test_an_empty_source_is_a_one_line_error_naming_it(tmp_path):
    with pytest.raises(ValueError, match=f"no image files .* under {tmp_path}; the source has no images"):
        open_source("folder", tmp_path)
    with pytest.raises(ValueError, match="unknown"):
        open_source("imagenet", tmp_path)
