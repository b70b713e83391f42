"""The prepared store as training data: start-up reads the index only, batches are the stored images
(never a held-out one), prefetching changes nothing but timing, and train-images runs on it."""

import json

import numpy as np
import pytest
import torch
from helpers.image_runs import TINY_IMAGE_RUN

from wgan_toys.images.data import images_to_float, load_images
from wgan_toys.images.prepare import prepare_images
from wgan_toys.images.store import PreparedStore
from wgan_toys.images.trainer import ImageConfig, ImageTrainer

pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """200 random 16x16 RGB images in shards of 30, 20 held out; and the images themselves."""
    folder = tmp_path_factory.mktemp("store")
    images = np.random.default_rng(3).integers(0, 256, (200, 3, 16, 16), dtype=np.uint8)
    np.save(folder / "images.npy", images)
    prepare_images(folder / "images.npy", folder / "s", image_size=16, shard_size=30, held_out=20, workers=1)
    return folder / "s", images


def test_start_up_reads_the_index_only(store, monkeypatch):
    root, _ = store
    opened = []
    monkeypatch.setattr(np, "load", lambda *a, **k: opened.append(a) or pytest.fail("a shard was read at start-up"))
    data = PreparedStore(root)
    assert data.count == 180 and opened == []


def test_batches_are_the_stored_training_images_and_never_held_out_ones(store):
    root, images = store
    data = PreparedStore(root)
    held = json.loads((root / "index.json").read_text())["held_out"]
    train = data.store_indices(np.arange(data.count))
    assert sorted(set(train) | set(held)) == list(range(200)) and not set(train) & set(held)
    positions = torch.tensor([179, 0, 57, 31, 30, 29, 100])
    expected = images_to_float(torch.from_numpy(images[train[positions.numpy()]]))
    torch.testing.assert_close(data.batch(positions), expected, rtol=0, atol=0)
    torch.testing.assert_close(data.held_out, images_to_float(torch.from_numpy(images[held])), rtol=0, atol=0)


def test_a_prefetched_batch_equals_a_gathered_one_and_a_miss_falls_back(store):
    root, _ = store
    data = PreparedStore(root)
    first, second = torch.randperm(180)[:16], torch.randperm(180)[:16]
    direct = [data.batch(first), data.batch(second)]
    data.prefetch(first)
    assert torch.equal(data.batch(first), direct[0])
    data.prefetch(first)  # the trainer asked for something else (evaluation): gathered now
    assert torch.equal(data.batch(second), direct[1])
    data.close()


def test_held_out_is_a_prefix_of_the_stores_draw_and_bounded(store):
    root, images = store
    held = json.loads((root / "index.json").read_text())["held_out"]
    data = load_images("prepared", root=root, image_size=16, channels=3, held_out=5, verbose=False)
    torch.testing.assert_close(data.held_out, images_to_float(torch.from_numpy(images[held[:5]])), rtol=0, atol=0)
    assert data.count == 180  # the other 15 held-out images stay out of training too
    with pytest.raises(ValueError, match="held_out == 21, must be <= 20, the held-out images of the store"):
        PreparedStore(root, held_out=21)
    with pytest.raises(ValueError, match=r"image_size == 32, but the store .* holds 16: pass --image-size 16"):
        load_images("prepared", root=root, image_size=32, channels=3, verbose=False)


def test_a_missing_shard_or_an_incomplete_store_is_named(store, tmp_path):
    root, _ = store
    index = json.loads((root / "index.json").read_text())
    (tmp_path / "index.json").write_text(json.dumps(index))
    data = PreparedStore(tmp_path)
    with pytest.raises(ValueError, match=r"shard_00000.npy is missing or not a .npy shard"):
        data.batch(torch.tensor([0]))
    (tmp_path / "index.json").write_text(json.dumps({**index, "complete": False}))
    with pytest.raises(ValueError, match="the store is incomplete; run prepare-images again to resume it"):
        load_images("prepared", root=tmp_path, image_size=16, channels=3)


def test_train_images_runs_on_a_prepared_store(store, tmp_path):
    root, _ = store
    settings = TINY_IMAGE_RUN | {"channels": 3, "held_out": 20, "generator_steps": 3}
    config = ImageConfig(dataset="prepared", data_root=str(root), **settings)
    trainer = ImageTrainer(config, out=tmp_path / "run", verbose=False).train()
    assert trainer.generator_step == 3 and isinstance(trainer.data, PreparedStore)
    assert trainer.data._pending is not None  # the next batch was gathered during the last step


def test_a_batch_is_announced_to_the_kernel_as_exactly_its_images_bytes(store, monkeypatch):
    """posix_fadvise(WILLNEED) gets one byte range per image of the batch; read back with pread, the
    ranges are the gathered images (a wrong header offset or image size would read other bytes)."""
    import os

    if not hasattr(os, "posix_fadvise"):
        pytest.skip("no posix_fadvise on this system")
    root, _ = store
    data = PreparedStore(root)
    advised = []
    monkeypatch.setattr(os, "posix_fadvise", lambda fd, offset, length, advice: advised.append((fd, offset, length)))
    positions = torch.tensor([5, 170, 31, 5, 64])
    batch = data.batch(positions)
    assert len(advised) == 4  # one per distinct image
    read = {(fd, offset): np.frombuffer(os.pread(fd, length, offset), np.uint8) for fd, offset, length in advised}
    gathered = data.gather(data.store_indices(positions.numpy()))
    assert all(any(np.array_equal(image.ravel(), bytes_) for bytes_ in read.values()) for image in gathered)
    torch.testing.assert_close(batch, images_to_float(torch.from_numpy(gathered)), rtol=0, atol=0)
    data.close()


def crafted_copy(root, tmp_path, edit):
    """A copy of the store whose index.json ``edit(index, folder)`` changed."""
    folder = tmp_path / "crafted"
    folder.mkdir()
    index = json.loads((root / "index.json").read_text())
    for shard in index["shards"]:
        (folder / shard["file"]).write_bytes((root / shard["file"]).read_bytes())
    edit(index, folder)
    (folder / "index.json").write_text(json.dumps(index))
    return folder


def _shard(index, key, value):
    index["shards"][0][key] = value


def _resave(folder, convert):
    path = folder / "shard_00000.npy"
    np.save(path, convert(np.load(path)))


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda i, f: _shard(i, "file", "../outside/secret.npy"), r"shards\[0\].file == '../outside/secret.npy'"),
        (lambda i, f: _shard(i, "file", str(f.parent / "outside" / "secret.npy")), r"shards\[0\].file == '/"),
        (lambda i, f: _shard(i, "count", "30"), r"shards\[0\].count == '30'"),
        (lambda i, f: i.update(shards=None), r"shards == None"),
        (lambda i, f: i.pop("complete"), r"complete == None"),
        (lambda i, f: i.update(held_out=[10**15]), r"held_out must list distinct indices in \[0, count\)"),
        (lambda i, f: i.update(image_size=10**6), r"image_size == 1000000, must be an integer in \[16, 512\]"),
        (lambda i, f: i.update(count=i["count"] + 5), r"the shards' counts add up to 200, the index's count is 205"),
        (
            lambda i, f: [_shard(i, "count", 10**12), i.update(count=i["count"] - 30 + 10**12)],
            r"shard_00000.npy: \d+ bytes, too few for the 1000000000000 images",
        ),
    ],
)
def test_a_crafted_index_is_one_error_naming_it_before_anything_is_read(store, tmp_path, edit, message):
    root, _ = store
    (tmp_path / "outside").mkdir()
    np.save(tmp_path / "outside" / "secret.npy", np.zeros((30, 3, 16, 16), np.uint8))
    with pytest.raises(ValueError, match=message) as caught:
        PreparedStore(crafted_copy(root, tmp_path, edit)).batch(torch.tensor([0]))
    assert "\n" not in str(caught.value) and "Traceback" not in str(caught.value)


@pytest.mark.parametrize(
    "convert, found",
    [
        (lambda a: a.astype(np.float64) * 1000, r"float64 \(30, 3, 16, 16\)"),
        (lambda a: a.reshape(30, 3, 8, 32), r"uint8 \(30, 3, 8, 32\)"),
    ],
)
def test_a_shard_of_another_dtype_or_shape_is_refused_not_cast(store, tmp_path, convert, found):
    root, _ = store
    data = PreparedStore(crafted_copy(root, tmp_path, lambda i, f: _resave(f, convert)))
    with pytest.raises(ValueError, match=rf"shard_00000.npy: {found}.*, the index says uint8 \(30, 3, 16, 16\)"):
        data.gather(np.arange(30))
