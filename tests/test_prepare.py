"""prepare-images: a store decoded once, resumed after a kill, verified on a re-run, never mixed,
and each bad input a one-line error naming the file."""

import json
import re

import numpy as np
import pytest
from PIL import Image

from wgan_toys.cli import main
from wgan_toys.images import prepare as prepare_module
from wgan_toys.images.prepare import prepare_images, resize_image, verify_store

RNG = np.random.default_rng(1)


def photo_folder(folder, count=23, broken=("broken.jpg",)):
    """JPEGs of LSUN's aspect (wider than tall) and one truncated file."""
    folder.mkdir(parents=True)
    for index in range(count):
        array = RNG.integers(0, 256, (40, 54, 3), dtype=np.uint8)
        Image.fromarray(array).save(folder / f"img_{index:03d}.jpg", quality=90)
    for name in broken:
        (folder / name).write_bytes((folder / "img_000.jpg").read_bytes()[:200])
    return sorted(p for p in folder.glob("img_*.jpg"))


def shards(out):
    index = json.loads((out / "index.json").read_text())
    return np.concatenate([np.load(out / s["file"]) for s in index["shards"]])


def test_a_folder_is_decoded_once_into_shards_with_an_index(tmp_path):
    paths = photo_folder(tmp_path / "src")
    index = prepare_images(tmp_path / "src", tmp_path / "store", image_size=16, shard_size=10, held_out=4, workers=1)
    expected = np.stack([resize_image(Image.open(p), 16, 3) for p in paths])  # the files one by one, in name order
    np.testing.assert_array_equal(shards(tmp_path / "store"), expected)
    assert index["count"] == 23 and index["shape"] == [23, 3, 16, 16] and index["complete"]
    assert [s["count"] for s in index["shards"]] == [9, 10, 4]  # 'broken.jpg' sorts first: shard 0 holds 9 images
    assert [s["items"] for s in index["shards"]] == [10, 10, 4]  # of its 10 source items
    assert [entry["name"] for entry in index["skipped"]] == ["broken.jpg"]
    assert "OSError" in index["skipped"][0]["reason"] or "Error" in index["skipped"][0]["reason"]
    assert len(index["held_out"]) == 4 and all(0 <= i < 23 for i in index["held_out"])


def test_processes_give_the_same_store_as_one_process(tmp_path):
    photo_folder(tmp_path / "src", count=12)
    prepare_images(tmp_path / "src", tmp_path / "one", image_size=16, shard_size=5, held_out=2, workers=1)
    prepare_images(tmp_path / "src", tmp_path / "two", image_size=16, shard_size=5, held_out=2, workers=2, chunk=2)
    np.testing.assert_array_equal(shards(tmp_path / "one"), shards(tmp_path / "two"))


def test_a_killed_run_resumes_without_redoing_finished_shards(tmp_path, monkeypatch):
    photo_folder(tmp_path / "src", count=24, broken=())
    write = prepare_module._write_shard
    written = []

    def killed_at_third(out, shard, *rest):
        if shard == 2 and not written.count("killed"):
            written.append("killed")
            (out / "shard_00002.npy.tmp").write_bytes(b"half a shard")
            raise KeyboardInterrupt
        written.append(shard)
        return write(out, shard, *rest)

    monkeypatch.setattr(prepare_module, "_write_shard", killed_at_third)
    settings = dict(image_size=16, shard_size=5, held_out=3, workers=1, progress=False)
    with pytest.raises(KeyboardInterrupt):
        prepare_images(tmp_path / "src", tmp_path / "store", **settings)
    index = json.loads((tmp_path / "store" / "index.json").read_text())
    assert not index["complete"] and len(index["shards"]) == 2
    with pytest.raises(ValueError, match="incomplete; run prepare-images again to resume"):
        verify_store(tmp_path / "store")
    prepare_images(tmp_path / "src", tmp_path / "store", **settings)
    assert written == [0, 1, "killed", 2, 3, 4]  # shards 0 and 1 are not decoded again
    assert not list((tmp_path / "store").glob("*.tmp"))
    prepare_images(tmp_path / "src", tmp_path / "fresh", **settings)
    np.testing.assert_array_equal(shards(tmp_path / "store"), shards(tmp_path / "fresh"))


@pytest.fixture
def store(tmp_path):
    photo_folder(tmp_path / "src", count=12, broken=())
    prepare_images(tmp_path / "src", tmp_path / "store", image_size=16, shard_size=5, held_out=2, workers=1)
    return tmp_path / "store"


def one_line(excinfo):
    assert "\n" not in str(excinfo.value)
    return str(excinfo.value)


def test_a_rerun_verifies_and_finds_a_corrupt_or_truncated_shard(store):
    assert verify_store(store)["count"] == 12
    path = store / "shard_00001.npy"
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"shard_00001.npy: SHA-256 differs from the index") as caught:
        prepare_images(store.parent / "src", store, image_size=16, shard_size=5, held_out=2, workers=1)
    one_line(caught)
    path.write_bytes(bytes(data[:-7]))
    with pytest.raises(ValueError, match=r"shard_00001.npy: \d+ bytes, the index says \d+; the shard is truncated"):
        verify_store(store)


def test_an_index_that_disagrees_or_another_version_is_refused(store):
    index = json.loads((store / "index.json").read_text())
    (store / "index.json").write_text(json.dumps({**index, "version": 99}))
    with pytest.raises(ValueError, match=r"index.json was written by store version 99") as caught:
        verify_store(store)
    one_line(caught)
    index["shards"][0]["count"] = 4
    (store / "index.json").write_text(json.dumps(index))
    with pytest.raises(ValueError, match=r"shard_00000.npy: uint8 \(5, 3, 16, 16\), the index says"):
        verify_store(store, checksums=False)
    (store / "index.json").write_text("{not json")
    with pytest.raises(ValueError, match=r"cannot read .*index.json"):
        verify_store(store)


def test_two_sources_never_mix_in_one_store(store, tmp_path):
    photo_folder(tmp_path / "other", count=6, broken=())
    with pytest.raises(ValueError, match="stores never mix sources or sizes: pass another out") as caught:
        prepare_images(tmp_path / "other", store, image_size=16, shard_size=5, held_out=2)
    one_line(caught)
    with pytest.raises(ValueError, match="never mix"):
        prepare_images(store.parent / "src", store, image_size=32, shard_size=5, held_out=2)
    with pytest.raises(ValueError, match="is not empty and holds no index.json"):
        prepare_images(tmp_path / "other", tmp_path / "other", image_size=16, held_out=2)


def test_a_source_with_no_readable_images_or_too_few_is_refused(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match=r"no image files .* under .*empty; the source has no images"):
        prepare_images(tmp_path / "empty", tmp_path / "store")
    photo_folder(tmp_path / "few", count=3, broken=())
    with pytest.raises(ValueError, match=r"few holds 3 images, must hold more than held_out == 3; lower held_out"):
        prepare_images(tmp_path / "few", tmp_path / "store3", held_out=3)
    assert not (tmp_path / "store3").exists()  # refused before anything is written
    photo_folder(tmp_path / "bad", count=1, broken=("a.jpg", "b.jpg"))
    (tmp_path / "bad" / "img_000.jpg").unlink()
    with pytest.raises(
        ValueError, match=r"none of the 2 images of folder source .*bad could be decoded \(first: a.jpg"
    ):
        prepare_images(tmp_path / "bad", tmp_path / "store2", workers=1, held_out=1)


def test_prepare_images_on_the_command_line(tmp_path, capsys):
    images = RNG.integers(0, 256, (30, 3, 32, 32), dtype=np.uint8)
    np.save(tmp_path / "images.npy", images)
    code = main(
        ["prepare-images", str(tmp_path / "images.npy"), "--out", str(tmp_path / "s"), "--image-size", "16"]
        + ["--held-out", "5", "--workers", "1", "--no-progress"]
    )
    assert code == 0
    assert "30 images of shape [3, 16, 16] in 1 shards" in capsys.readouterr().out
    expected = np.stack([resize_image(Image.fromarray(a.transpose(1, 2, 0)), 16, 3) for a in images])
    np.testing.assert_array_equal(shards(tmp_path / "s"), expected)


@pytest.mark.parametrize(
    "flag, value, said",
    [
        ("--held-out", "-1", r"--held-out == -1, must be an integer >= 0"),
        ("--workers", "-1", r"--workers == -1, must be an integer in \[1, 1024\]"),
        ("--workers", "0", r"--workers == 0, must be an integer in \[1, 1024\]"),
        ("--workers", "99999999999", r"--workers == 99999999999, must be an integer in \[1, 1024\]"),
    ],
)
def test_a_bad_count_is_one_line_naming_the_flag_its_value_and_range(tmp_path, capsys, flag, value, said):
    np.save(tmp_path / "images.npy", RNG.integers(0, 256, (30, 3, 16, 16), dtype=np.uint8))
    with pytest.raises(SystemExit) as exit:
        main(["prepare-images", str(tmp_path / "images.npy"), "--out", str(tmp_path / "s"), flag, value])
    error = capsys.readouterr().err
    assert exit.value.code == 2 and re.search(said, error) and "Traceback" not in error and len(error.splitlines()) == 1
    assert not (tmp_path / "s").exists()  # refused before the store is started


def test_an_lsun_lmdb_is_prepared_by_worker_processes(tmp_path):
    import io

    from test_formats import write_lsun

    images = RNG.integers(0, 256, (7, 24, 32, 3), dtype=np.uint8)
    write_lsun(tmp_path / "bedroom_train_lmdb", images)
    index = prepare_images(
        tmp_path / "bedroom_train_lmdb", tmp_path / "s", image_size=16, shard_size=3, held_out=2, workers=2, chunk=2
    )
    assert index["source"]["format"] == "lsun" and index["count"] == 7
    import lmdb

    with lmdb.open(str(tmp_path / "bedroom_train_lmdb"), readonly=True, lock=False).begin() as txn:
        expected = np.stack([resize_image(Image.open(io.BytesIO(value)), 16, 3) for _, value in txn.cursor()])
    np.testing.assert_array_equal(shards(tmp_path / "s"), expected)


@pytest.mark.subprocess
def test_a_second_prepare_into_a_store_being_written_is_refused(tmp_path):
    import subprocess
    import sys

    hold = "import sys\nfrom wgan_toys.runs import run_lock\nwith run_lock(sys.argv[1]):\n"
    hold += "    print('locked', flush=True)\n    sys.stdin.read()\n"
    np.save(tmp_path / "images.npy", RNG.integers(0, 256, (30, 3, 16, 16), dtype=np.uint8))
    out = tmp_path / "s"
    holder = subprocess.Popen([sys.executable, "-c", hold, str(out)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == b"locked"
        with pytest.raises(
            ValueError, match=rf"{re.escape(str(out))} is in use by another run \(process {holder.pid}\)"
        ):
            prepare_images(tmp_path / "images.npy", out, image_size=16, held_out=5, workers=1, progress=False)
        assert sorted(path.name for path in out.iterdir()) == [".lock"]  # no shard, no index was written
    finally:
        holder.communicate(input=b"")
    index = prepare_images(tmp_path / "images.npy", out, image_size=16, held_out=5, workers=1, progress=False)
    assert index["count"] == 30  # the folder holding only the released lock is a new store's
