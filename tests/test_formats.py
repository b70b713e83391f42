"""The real data sets' on-disk formats without torchvision: each test writes a tiny data set in
exactly its format (LSUN's LMDB, CIFAR-10 binary and python, CelebA's folder, MNIST's IDX) and
reads the pixels back, compared with the arrays it wrote."""

import gzip
import io
import os
import pickle
import struct

import numpy as np
import pytest
import torch
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


def test_a_gzipped_idx_that_inflates_beyond_its_header_is_refused_without_inflating_it(tmp_path, monkeypatch):
    header = struct.pack(">IIII", 2051, 10, 28, 28)  # 7,840 pixels declared
    with gzip.open(tmp_path / "train-images-idx3-ubyte.gz", "wb") as file:
        file.write(header + bytes(16 << 20))  # 16 MiB of zeros: a 16 KiB bomb
    inflated, read = [], gzip.GzipFile.read
    monkeypatch.setattr(gzip.GzipFile, "read", lambda self, *a: inflated.append(len(out := read(self, *a))) or out)
    with pytest.raises(ValueError, match=r"idx3-ubyte.gz: more than 7840 pixel bytes, its header says 10 x 28 x 28"):
        open_source("mnist", tmp_path)
    assert sum(inflated) <= 16 + 7840 + 1  # the header, the pixels it declares and one byte to see the excess


def test_a_cifar_pickle_declaring_more_bytes_than_memory_is_one_error_naming_it(tmp_path):
    (tmp_path / "data_batch_1").write_bytes(b"\x80\x04\x8e" + struct.pack("<Q", 2**62) + b"abc")  # BINBYTES8
    with pytest.raises(ValueError, match=r"data_batch_1: it declares an object larger than this machine's memory"):
        read_cifar_pickle(tmp_path / "data_batch_1")


@pytest.mark.parametrize(
    "kind, names", [("folder", ["a.png", "sub/b.png", "x.png"]), ("celeba", ["000001.jpg", "000002.jpg", "000003.jpg"])]
)
def test_a_fifo_named_as_an_image_is_left_out_not_read(tmp_path, kind, names):
    for name in names[:2]:
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(jpeg_bytes(RNG.integers(0, 256, (8, 8, 3), dtype=np.uint8)))
    os.mkfifo(tmp_path / names[2])  # opening it to decode would wait forever for a writer
    source = open_source(kind, tmp_path)
    assert len(source) == 2 and sorted(name for name, _ in source.items(0, 2)) == names[:2]


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


# ----- the real data sets as training data: load_images("mnist" | "cifar10" | "celeba" | "lsun") ------
def _all_images(data) -> np.ndarray:
    """Training then held-out images of a preloaded load_images result, back in the source's order, uint8."""
    from wgan_toys.images.data import split_indices

    train_index, held_index = split_indices(data.count + len(data.held_out), len(data.held_out))
    images = np.empty((data.count + len(data.held_out), *data.tensor.shape[1:]), np.uint8)
    images[train_index] = data.tensor.numpy()
    images[held_index] = np.round((data.held_out.numpy() + 1) * 127.5).astype(np.uint8)
    return images


def _bicubic(image: np.ndarray, size: int, mode: str) -> np.ndarray:
    """An independent reference: full decode, centre crop, Pillow's bicubic resize, (C, S, S)."""
    pil = Image.fromarray(image).convert(mode)
    width, height = pil.size
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    pil = pil.crop((left, top, left + side, top + side)).resize((size, size), Image.Resampling.BICUBIC)
    array = np.asarray(pil)
    return array[None] if mode == "L" else array.transpose(2, 0, 1)


@pytest.fixture
def no_torchvision(monkeypatch):
    """torchvision cannot be imported (as beside the pinned CPU torch): the readers must not need it."""
    import sys

    monkeypatch.setitem(sys.modules, "torchvision", None)
    monkeypatch.setitem(sys.modules, "torchvision.datasets", None)


def test_mnist_trains_from_its_idx_file_without_torchvision(tmp_path, no_torchvision):
    from wgan_toys.images.data import load_images

    images = RNG.integers(0, 256, (12, 28, 28), dtype=np.uint8)
    write_idx(tmp_path / "train-images-idx3-ubyte", images)
    data = load_images("mnist", root=tmp_path, image_size=16, channels=1, held_out=2, verbose=False)
    assert data.preloaded and data.count == 10
    expected = np.stack([_bicubic(image, 16, "L") for image in images])
    np.testing.assert_array_equal(_all_images(data), expected)  # the held-out images round-trip exactly
    streamed = load_images("mnist", root=tmp_path, image_size=16, channels=1, held_out=2, preload="no", verbose=False)
    assert not streamed.preloaded
    torch.testing.assert_close(streamed.batch(torch.arange(10)), data.batch(torch.arange(10)), rtol=0, atol=0)


@pytest.mark.parametrize("version", ["bin", "py"])
def test_cifar10_trains_from_its_batches_without_torchvision(tmp_path, version, no_torchvision):
    from wgan_toys.images.data import load_images

    images = RNG.integers(0, 256, (7, 32, 32, 3), dtype=np.uint8)
    if version == "bin":
        write_cifar_binary(tmp_path / "cifar-10-batches-bin", images, np.arange(7))
    else:
        (tmp_path / "cifar-10-batches-py").mkdir()
        write_cifar_python(tmp_path / "cifar-10-batches-py" / "data_batch_1", images[:4])
        write_cifar_python(tmp_path / "cifar-10-batches-py" / "data_batch_2", images[4:])
    data = load_images("cifar10", root=tmp_path, image_size=32, channels=3, held_out=2, verbose=False)
    np.testing.assert_array_equal(_all_images(data), images.transpose(0, 3, 1, 2))  # 32x32: the pixels as written


def _smooth_faces(count: int) -> np.ndarray:
    """CelebA-sized (218 x 178) smooth colour fields: what a JPEG keeps, so that a draft decode is comparable."""
    y, x = np.mgrid[0:218, 0:178]
    fields = [
        np.stack([128 + 70 * np.sin(x / (9 + k) + c) * np.cos(y / (13 + 2 * k) - c) for c in range(3)], -1)
        for k in range(count)
    ]
    return np.clip(np.stack(fields) + RNG.normal(0, 4, (count, 218, 178, 3)), 0, 255).astype(np.uint8)


def test_celeba_trains_from_its_jpegs_close_to_a_full_decode(tmp_path, no_torchvision):
    """The draft (reduced-scale) JPEG decode + bicubic resize against a full decode + bicubic resize:
    within 1 grey level of 255 on average on smooth images (at S = 16 a 1/8-scale decode, DC terms only, is 8 off)."""
    from wgan_toys.images.data import load_images

    folder = tmp_path / "img_align_celeba"
    folder.mkdir()
    images = _smooth_faces(6)
    for index, image in enumerate(images):
        Image.fromarray(image).save(folder / f"{index + 1:06d}.jpg", quality=95)
    data = load_images("celeba", root=tmp_path, image_size=16, channels=3, held_out=2, verbose=False)
    decoded = [np.asarray(Image.open(folder / f"{k + 1:06d}.jpg")) for k in range(6)]
    expected = np.stack([_bicubic(image, 16, "RGB") for image in decoded]).astype(int)
    difference = np.abs(_all_images(data).astype(int) - expected)
    assert difference.mean() < 1, difference.mean()
    streamed = load_images("celeba", root=tmp_path, image_size=16, channels=3, held_out=2, preload="no", verbose=False)
    torch.testing.assert_close(streamed.batch(torch.arange(4)), data.batch(torch.arange(4)), rtol=0, atol=0)


def test_an_unreadable_celeba_jpeg_is_named_or_skipped_and_counted(tmp_path):
    from wgan_toys.images.data import load_images

    folder = tmp_path / "img_align_celeba"
    folder.mkdir()
    for index, image in enumerate(_smooth_faces(5)):
        Image.fromarray(image).save(folder / f"{index + 1:06d}.jpg", quality=90)
    (folder / "000003.jpg").write_bytes((folder / "000003.jpg").read_bytes()[:300])
    with pytest.raises(
        ValueError, match=r"cannot read image 000003\.jpg of the celeba data set .* skip_unreadable=True"
    ):
        load_images("celeba", root=tmp_path, image_size=16, channels=3, held_out=1, verbose=False)
    data = load_images(
        "celeba", root=tmp_path, image_size=16, channels=3, held_out=1, skip_unreadable=True, verbose=False
    )
    assert data.count == 3 and data.skipped == 1


def test_lsun_trains_from_a_small_lmdb_and_a_large_one_is_sent_to_prepare_images(tmp_path, no_torchvision):
    from wgan_toys.images.data import load_images

    images = RNG.integers(0, 256, (6, 24, 32, 3), dtype=np.uint8)
    write_lsun(tmp_path / "bedroom_train_lmdb", images)
    root = tmp_path / "bedroom_train_lmdb"
    data = load_images("lsun", root=root, image_size=16, channels=3, held_out=1, verbose=False)
    assert data.preloaded and data.count == 5 and data.batch(torch.arange(5)).shape == (5, 3, 16, 16)
    with pytest.raises(ValueError) as refused:
        load_images("lsun", root=root, image_size=16, channels=3, held_out=1, preload_budget_bytes=100, verbose=False)
    message = str(refused.value)
    assert "\n" not in message and str(root) in message and "over preload_budget_bytes == 100" in message
    assert "prepare-images" in message and "dataset 'prepared' and root (data_root= in ImageConfig) DIR" in message


def test_the_real_data_sets_say_what_root_they_need(tmp_path):
    from wgan_toys.images.data import load_images

    for dataset, says in (("mnist", "train-images-idx3-ubyte"), ("cifar10", "data_batch_1.bin"), ("lsun", "data.mdb")):
        with pytest.raises(
            ValueError, match=rf"dataset '{dataset}' needs root \(data_root= in ImageConfig\): .*{says}"
        ):
            load_images(dataset, image_size=16, verbose=False)
    with pytest.raises(ValueError, match=f"no CIFAR-10 training batches .* under {tmp_path}"):
        load_images("cifar10", root=tmp_path, image_size=16, verbose=False)


def test_train_images_runs_on_cifar10_from_the_command_line(tmp_path, no_torchvision):
    """``wgan-toys train-images --dataset cifar10 --data-root DIR``: a working run, not a torchvision error."""
    from wgan_toys.cli import main

    write_cifar_binary(
        tmp_path / "cifar-10-batches-bin", RNG.integers(0, 256, (40, 32, 32, 3), dtype=np.uint8), np.arange(40) % 10
    )
    flags = ["--dataset", "cifar10", "--data-root", str(tmp_path), "--image-size", "16", "--channels", "3"]
    flags += ["--held-out", "8", "--batch-size", "8", "--generator-steps", "2", "--threads", "1"]
    assert main(["train-images", "--smoke", *flags, "--out", str(tmp_path / "run")]) == 0
    assert (tmp_path / "run" / "config.json").is_file()
