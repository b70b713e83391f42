"""Image data that must not be silently wrong: 16-bit images, truncated
and bomb files, small images, npz/npy files, a batch larger than the dataset, a corrupt
classifier cache. Each test first shows the failure the old code let through.

Images are made in tmp_path with Pillow and numpy; torch runs on one thread.
"""

import io
import warnings

import numpy as np
import pytest
import torch
from helpers.image_runs import TINY_IMAGE_RUN
from PIL import Image

from wgan_toys.images.data import check_batch_size, load_images
from wgan_toys.images.quality import digits_classifier
from wgan_toys.images.trainer import ImageConfig, ImageTrainer

TINY = {key: value for key, value in TINY_IMAGE_RUN.items() if key != "held_out"} | {"generator_steps": 2}


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


def _write_images(folder, count, size=(16, 16), suffix=".png"):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for index in range(count):
        pixels = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / f"image_{index:03d}{suffix}")


def _truncated_jpeg(path, size=64):
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(1).integers(0, 256, (size, size, 3), dtype=np.uint8)).save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])


# ----- 16-bit images (item 14) -----------------------------------------------------------------
def test_a_16_bit_png_is_scaled_to_8_bits_not_clipped(tmp_path):
    expected = np.arange(256, dtype=np.uint16).reshape(16, 16)  # every 8-bit level once
    for index in range(3):
        Image.fromarray(expected * 257).save(tmp_path / f"deep_{index}.png")  # 65535 = 255 * 257
    with Image.open(tmp_path / "deep_0.png") as image:
        assert image.mode == "I;16"
        assert np.asarray(image.convert("L")).mean() > 250  # the old path: Pillow clips, almost white
    for preload in ("yes", "no"):
        data = load_images("folder", root=tmp_path, image_size=16, held_out=1, preload=preload, verbose=False)
        images = data.batch(torch.arange(data.count))  # floats in [-1, 1]
        levels = torch.round((images + 1) * 255 / 2).to(torch.int64)
        assert torch.equal(levels, torch.from_numpy(expected.astype(np.int64)).expand(2, 1, 16, 16)), preload
        assert torch.equal(
            torch.round((data.held_out + 1) * 255 / 2)[0, 0], torch.from_numpy(expected.astype(np.float32))
        )


def test_12_bit_data_in_16_bit_files_is_read_as_12_bit_with_a_warning(tmp_path):
    expected = np.arange(256).reshape(16, 16)
    twelve_bit = np.round(expected * (4095 / 255)).astype(np.uint16)  # peak 4095: a 12-bit camera
    for index in range(3):
        Image.fromarray(twelve_bit).save(tmp_path / f"deep_{index}.png")
    with pytest.warns(UserWarning, match=r"3 16-bit images under .* no value above 4095: read as 12-bit data"):
        data = load_images("folder", root=tmp_path, image_size=16, held_out=1, verbose=False)
    assert np.array_equal(data.tensor[0, 0].numpy(), expected)
    np.save(tmp_path / "deep.npy", np.stack([twelve_bit] * 3))  # the same rule for uint16 arrays
    with pytest.warns(UserWarning, match=r"read as 12-bit data"):
        from_npy = load_images("npz", root=tmp_path / "deep.npy", image_size=16, held_out=1, verbose=False)
    assert np.array_equal(from_npy.tensor[0, 0].numpy(), expected)


# ----- unreadable files: truncated JPEGs, decompression bombs (item 14) -------------------------
def test_a_truncated_jpeg_is_caught_before_training_and_skipped_with_a_count(tmp_path, capsys):
    _write_images(tmp_path, 6, suffix=".jpg")
    _truncated_jpeg(tmp_path / "truncated.jpg")
    with Image.open(tmp_path / "truncated.jpg") as image:
        image.verify()  # the old pre-check: the header is fine, so it passed
    with pytest.raises(
        ValueError, match=r"cannot read image file .*truncated\.jpg: image file is truncated.*skip_unreadable=True"
    ):
        load_images("folder", root=tmp_path, image_size=16, held_out=1, verbose=False)
    data = load_images("folder", root=tmp_path, image_size=16, held_out=1, skip_unreadable=True, preload="no")
    assert data.skipped == 1 and data.count == 5
    assert "skipped 1 unreadable files" in capsys.readouterr().err
    assert data.batch(torch.arange(5)).shape == (5, 1, 16, 16)


def test_a_file_that_breaks_while_streaming_is_skipped_and_counted(tmp_path):
    _write_images(tmp_path, 8, suffix=".jpg")
    # held_out=0: every file is a training image
    data = load_images(
        "folder", root=tmp_path, image_size=16, held_out=0, preload="no", skip_unreadable=True, verbose=False
    )
    strict = load_images("folder", root=tmp_path, image_size=16, held_out=0, preload="no", verbose=False)
    assert data.skipped == 0
    _truncated_jpeg(tmp_path / "image_003.jpg")  # it breaks after the pre-check (a disk error, a partial copy)
    with pytest.warns(
        UserWarning, match=r"skipped unreadable file .*image_003\.jpg while streaming \(1 skipped so far"
    ):
        batch = data.batch(torch.arange(data.count))
    assert batch.shape == (8, 1, 16, 16)  # the batch keeps its size: the next readable image took the place
    assert torch.equal(batch[3], batch[4])
    assert data.skipped == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # warned and counted once, not once per read
        data.batch(torch.arange(data.count))
    assert data.skipped == 1
    with pytest.raises(
        ValueError, match=r"image_003\.jpg.*skip_unreadable=True"
    ):  # without the flag: an error naming the file
        strict.batch(torch.arange(strict.count))


def test_training_streams_past_a_file_that_breaks_midway(tmp_path):
    _write_images(tmp_path / "images", 24, suffix=".jpg")
    config = ImageConfig(
        **dict(
            TINY, dataset="folder", data_root=str(tmp_path / "images"), held_out=4, preload="no", skip_unreadable=True
        )
    )
    trainer = ImageTrainer(config, verbose=False)
    for index in range(5):  # more than the 4 held out, so at least one is a training image
        _truncated_jpeg(tmp_path / "images" / f"image_{index:03d}.jpg")
    with pytest.warns(UserWarning, match="while streaming"):
        trainer.train()  # 2 x 5 critic steps x 16 images: every one of the 20 training files is read
    assert trainer.generator_step == 2 and 1 <= trainer.data.skipped <= 5


def test_a_decompression_bomb_is_an_unreadable_file(tmp_path, monkeypatch):
    _write_images(tmp_path, 6)  # 16 x 16 = 256 pixels
    Image.new("L", (40, 40)).save(tmp_path / "warns.png")  # 1600 pixels: Pillow only warns (limit < n <= 2 limit)
    Image.new("L", (64, 64)).save(tmp_path / "raises.png")  # 4096 pixels: DecompressionBombError
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(ValueError, match=r"cannot read image file .*raises\.png.*decompression bomb"):
        load_images("folder", root=tmp_path, image_size=16, held_out=1, verbose=False)
    (tmp_path / "raises.png").unlink()
    with pytest.raises(ValueError, match=r"warns\.png: 40x40 = 1600 pixels, over Pillow's decompression-bomb limit"):
        load_images("folder", root=tmp_path, image_size=16, held_out=1, verbose=False)
    Image.new("L", (64, 64)).save(tmp_path / "raises.png")
    data = load_images("folder", root=tmp_path, image_size=16, held_out=1, skip_unreadable=True, verbose=False)
    assert data.skipped == 2 and data.count == 5


def test_a_refused_folder_leaves_no_decompression_bomb_warning_behind(tmp_path, monkeypatch):
    # the first file is refused while another thread is still opening an over-limit file: that file's
    # warning must not escape once the refusal is raised (it is refused by its pixel count, not warned)
    import time

    Image.new("L", (64, 64)).save(tmp_path / "a_raises.png")
    Image.new("L", (40, 40)).save(tmp_path / "zz_warns.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    open_image = Image.open

    def open_late(path, *args, **kwargs):
        if str(path).endswith("zz_warns.png"):
            time.sleep(0.5)  # still opening when a_raises.png is refused (an ordering, not a time limit)
        return open_image(path, *args, **kwargs)

    monkeypatch.setattr(Image, "open", open_late)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ValueError, match=r"a_raises\.png"):
            load_images("folder", root=tmp_path, image_size=16, held_out=1, verbose=False)
    assert not [w for w in caught if issubclass(w.category, Image.DecompressionBombWarning)]


# ----- small images and npz layouts: warnings with a count ------------------------------------------
def test_images_smaller_than_image_size_are_warned_about_with_a_count(tmp_path):
    _write_images(tmp_path / "mixed", 4, size=(40, 40))
    for index in range(3):
        Image.new("RGB", (20, 12)).save(tmp_path / "mixed" / f"small_{index}.png")
    with pytest.warns(
        UserWarning, match=r"3 of 7 images under .* smaller than image_size == 32 \(smallest side 12 px\)"
    ):
        load_images("folder", root=tmp_path / "mixed", image_size=32, held_out=1, verbose=False)
    for index in range(3):
        (tmp_path / "mixed" / f"small_{index}.png").unlink()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 40 x 40 images at 32: no warning
        load_images("folder", root=tmp_path / "mixed", image_size=32, held_out=1, verbose=False)
    np.savez(tmp_path / "small.npz", images=np.zeros((5, 8, 8), dtype=np.uint8))
    with pytest.warns(UserWarning, match=r"small\.npz: all 5 images \(8x8\) are smaller than image_size == 16"):
        load_images("npz", root=tmp_path / "small.npz", image_size=16, held_out=1, verbose=False)


@pytest.mark.filterwarnings("ignore:.*smaller than image_size")  # tested above
def test_ambiguous_npz_layouts_are_warned_about(tmp_path):
    np.save(tmp_path / "one_rgb_image.npy", np.zeros((32, 32, 3), dtype=np.uint8))
    with pytest.warns(
        UserWarning, match=r"one_rgb_image\.npy: shape \(32, 32, 3\) is read as \(N, H, W\): 32 grey images of 32x3"
    ):
        load_images("npz", root=tmp_path / "one_rgb_image.npy", image_size=16, held_out=1, verbose=False)
    np.savez(tmp_path / "both.npz", images=np.zeros((6, 3, 16, 3), dtype=np.uint8))
    with pytest.warns(UserWarning, match=r"both\.npz: shape \(6, 3, 16, 3\) fits both .* 6 images of 3x16x3"):
        load_images("npz", root=tmp_path / "both.npz", image_size=16, held_out=1, verbose=False)
    for dtype in (np.int64, np.uint8):
        np.savez(tmp_path / "binary.npz", images=np.ones((6, 16, 16), dtype=dtype))
        with pytest.warns(UserWarning, match=r"binary\.npz: all 6 integer images hold only 0 and 1"):
            load_images("npz", root=tmp_path / "binary.npz", image_size=16, held_out=1, verbose=False)


def test_every_npz_error_names_the_file(tmp_path):
    cases = {
        "not_a_zip.npz": lambda path: path.write_bytes(b"these are not arrays"),
        "objects.npy": lambda path: np.save(path, np.array([{"a": 1}] * 3, dtype=object), allow_pickle=True),
        "strings.npz": lambda path: np.savez(path, images=np.full((4, 16, 16), "x")),
        "two_arrays.npz": lambda path: np.savez(path, a=np.zeros((4, 16, 16)), b=np.zeros(4)),
        "flat.npz": lambda path: np.savez(path, images=np.zeros((4, 256), dtype=np.uint8)),
        "rgba.npz": lambda path: np.savez(path, images=np.zeros((4, 16, 16, 4), dtype=np.uint8)),
        "empty.npz": lambda path: np.savez(path, images=np.zeros((0, 16, 16), dtype=np.uint8)),
        "negative.npz": lambda path: np.savez(path, images=np.full((4, 16, 16), -3)),
        "nan.npz": lambda path: np.savez(path, images=np.full((4, 16, 16), np.nan)),
        "complex.npz": lambda path: np.savez(path, images=np.zeros((4, 16, 16), dtype=complex)),
        "truncated.npz": lambda path: (
            np.savez(path, images=np.zeros((40, 16, 16))),
            path.write_bytes(path.read_bytes()[:3000]),
        ),
    }
    for name, make in cases.items():
        make(tmp_path / name)
        with pytest.raises(ValueError, match=name.replace(".", r"\.")):
            load_images("npz", root=tmp_path / name, image_size=16, held_out=1, verbose=False)


def test_a_single_npy_array_file_loads_like_an_npz(tmp_path):
    images = np.random.default_rng(2).integers(0, 256, (10, 16, 16, 3), dtype=np.uint8)
    np.savez(tmp_path / "images.npz", images=images)
    np.save(tmp_path / "images.npy", images)
    from_npz = load_images("npz", root=tmp_path / "images.npz", image_size=16, channels=3, held_out=2, verbose=False)
    from_npy = load_images("npz", root=tmp_path / "images.npy", image_size=16, channels=3, held_out=2, verbose=False)
    assert torch.equal(from_npz.tensor, from_npy.tensor) and torch.equal(from_npz.held_out, from_npy.held_out)


# ----- a batch larger than the dataset (item 15) --------------------------------------------------
def test_a_batch_larger_than_the_dataset_is_refused(tmp_path):
    np.save(tmp_path / "twenty.npy", np.random.default_rng(3).integers(0, 256, (20, 16, 16), dtype=np.uint8))
    config = dict(TINY, dataset="npz", data_root=str(tmp_path / "twenty.npy"), held_out=4)
    with pytest.raises(
        ValueError,
        match=r"batch_size == 17, must be <= 16, the number of training images in dataset "
        r"'npz' \(4 more are held out\); lower batch_size to at most 16",
    ):
        ImageTrainer(ImageConfig(**dict(config, batch_size=17)), verbose=False)
    data = load_images("digits", image_size=16, held_out=300, verbose=False)
    with pytest.raises(ValueError, match=r"batch_size == 2000, must be <= 1497.*lower batch_size"):
        check_batch_size(2000, data)
    check_batch_size(1497, data)
    # at the largest batch allowed, every batch holds batch_size distinct real images: images/s counts real ones
    trainer = ImageTrainer(ImageConfig(**dict(config, batch_size=16)), verbose=False)
    for _ in range(5):
        indices = trainer._indices()
        assert len(indices) == 16 and len(set(indices.tolist())) == 16
        assert trainer.data.batch(indices).shape[0] == 16


# ----- a corrupt classifier cache (item 16) -------------------------------------------------------
@pytest.mark.slow
def test_a_corrupt_classifier_cache_is_rebuilt_with_a_warning(tmp_path, monkeypatch):
    monkeypatch.setenv("WGAN_TOYS_CACHE", str(tmp_path))
    path = tmp_path / "digits_classifier_1x16_v1.pt"
    model, accuracy = digits_classifier(16, 1)
    good = path.read_bytes()
    with pytest.raises(Exception):
        path.write_bytes(good[: len(good) // 2])  # what a crash mid-write (or a full disk) left before
        torch.load(path, weights_only=True)  # the old loader: this crashed every digits run
    with pytest.warns(UserWarning, match=r"cached digits classifier .*digits_classifier_1x16_v1\.pt cannot be used"):
        rebuilt, rebuilt_accuracy = digits_classifier(16, 1)
    assert rebuilt_accuracy == accuracy  # the same seed, the same classifier
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # replaced atomically, no temporary left
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert digits_classifier(16, 1)[1] == accuracy  # loads from the rebuilt cache silently

    damaged = bytearray(path.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF  # one flipped byte inside the weights: torch.load does not notice
    path.write_bytes(bytes(damaged))
    torch.load(path, weights_only=True)
    with pytest.warns(UserWarning, match="do not match their SHA-256"):
        assert digits_classifier(16, 1)[1] == accuracy
    assert path.read_bytes() == good


@pytest.mark.slow
def test_an_unwritable_cache_folder_is_a_warning_not_a_crash(tmp_path, monkeypatch):
    (tmp_path / "a_file").write_text("not a folder")
    monkeypatch.setenv("WGAN_TOYS_CACHE", str(tmp_path / "a_file"))
    with pytest.warns(UserWarning, match=r"cannot cache the digits classifier at .*a_file"):
        model, accuracy = digits_classifier(16, 1)
    assert accuracy >= 0.93


# ----- crafted .npz files: sizes checked before numpy reads them ---------------------------------
def _npz_with_header(path, shape, data: bytes):
    import io
    import zipfile

    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "|u1", "fortran_order": False, "shape": shape})
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("images.npy", header.getvalue() + data)


def test_an_npz_header_claiming_a_terabyte_is_refused_before_allocating(tmp_path):
    # was a MemoryError traceback: numpy allocated what the header claimed
    _npz_with_header(tmp_path / "huge.npz", (10**6, 1000, 1000), b"\0" * 100)
    with pytest.raises(
        ValueError, match=r"huge\.npz \(array 'images'\) declares shape \(1000000, 1000, 1000\).*holds 100 bytes"
    ):
        load_images("npz", root=tmp_path / "huge.npz", image_size=16, held_out=1, verbose=False)


def test_an_npz_whose_header_fits_its_data_but_not_the_memory_is_refused(tmp_path, monkeypatch):
    from wgan_toys import _validation

    monkeypatch.setattr(_validation, "physical_memory", lambda: 1000)  # a machine with 1000 bytes
    np.savez(tmp_path / "big.npz", images=np.zeros((5, 16, 16), dtype=np.uint8))
    with pytest.raises(
        ValueError, match=r"big\.npz \(array 'images'\), shape \(5, 16, 16\) of uint8, need about 1\.2 KiB"
    ):
        load_images("npz", root=tmp_path / "big.npz", image_size=16, held_out=1, verbose=False)


def test_a_zip_bomb_npz_is_refused_before_it_inflates(tmp_path):
    # 400 MB of zeros in about 400 KB: was accepted and inflated
    np.savez_compressed(tmp_path / "bomb.npz", images=np.zeros((400, 1000, 1000), dtype=np.uint8))
    assert (tmp_path / "bomb.npz").stat().st_size < 500_000
    with pytest.raises(ValueError, match=r"bomb\.npz \(array 'images'\) inflates \d+ times .* zip bomb"):
        load_images("npz", root=tmp_path / "bomb.npz", image_size=16, held_out=1, verbose=False)


def test_handwritten_digits_compressed_by_numpy_load(tmp_path):
    from sklearn.datasets import load_digits

    digits = (load_digits().images * 15).astype(np.uint8)  # 1797 images of 8x8, 0..240
    np.savez_compressed(tmp_path / "digits.npz", images=digits)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # 8x8 images upscaled to 16x16
        data = load_images("npz", root=tmp_path / "digits.npz", image_size=16, held_out=1, verbose=False)
    assert data.count == 1796


def test_a_pickle_named_npz_is_refused_without_numpys_hint_to_unpickle_it(tmp_path):
    import pickle

    (tmp_path / "p.npz").write_bytes(pickle.dumps({"images": [1, 2, 3]}))
    with pytest.raises(
        ValueError, match=r"p\.npz is neither a \.npz \(zip\) nor a \.npy file \(a Python pickle"
    ) as error:
        load_images("npz", root=tmp_path / "p.npz", image_size=16, held_out=1, verbose=False)
    assert "allow_pickle" not in str(error.value)


def test_a_truncated_npy_is_named(tmp_path):
    np.save(tmp_path / "short.npy", np.zeros((10, 16, 16), np.uint8))
    with open(tmp_path / "short.npy", "r+b") as handle:
        handle.truncate(200)
    with pytest.raises(ValueError, match=r"short\.npy declares shape \(10, 16, 16\) of uint8 .* holds 72 bytes"):
        load_images("npz", root=tmp_path / "short.npy", image_size=16, held_out=1, verbose=False)


# ----- npz over the preload budget: memory-mapped, read image by image -----------------------------
@pytest.mark.parametrize("saver", ["npy", "npz"])
def test_npz_over_the_preload_budget_is_read_image_by_image_not_copied(tmp_path, saver):
    """A .npy and an uncompressed .npz are memory-mapped: streaming them allocates a small fraction of
    the array (the old reader loaded it whole, then fancy-indexed a full copy of the training images)."""
    import tracemalloc

    from wgan_toys.images.data import images_to_float, split_indices

    images = np.random.default_rng(5).integers(0, 256, (2000, 48, 48, 3), dtype=np.uint8)  # 13.8 MB
    path = tmp_path / f"images.{saver}"
    np.save(path, images) if saver == "npy" else np.savez(path, images=images)
    tracemalloc.start()
    try:
        data = load_images(
            "npz", root=path, image_size=16, channels=3, held_out=4, preload_budget_bytes=1, verbose=False
        )
        batch = data.batch(torch.arange(8))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert not data.preloaded and data.count == 1996
    assert peak < images.nbytes / 4, f"peak {peak} bytes while streaming {images.nbytes} bytes of images"
    train_index, _ = split_indices(2000, 4)
    resized = [
        np.asarray(Image.fromarray(images[i]).resize((16, 16), Image.Resampling.BICUBIC)).transpose(2, 0, 1)
        for i in train_index[:8]
    ]
    torch.testing.assert_close(batch, images_to_float(torch.from_numpy(np.stack(resized))), rtol=0, atol=0)


def test_a_compressed_npz_over_the_preload_budget_says_how_to_save_it(tmp_path):
    np.savez_compressed(tmp_path / "small.npz", images=np.zeros((20, 16, 16), dtype=np.uint8))
    with pytest.raises(
        ValueError, match=r"small\.npz is compressed .* save it uncompressed with numpy\.savez"
    ) as error:
        load_images("npz", root=tmp_path / "small.npz", image_size=16, held_out=2, preload="no", verbose=False)
    assert "\n" not in str(error.value)
    data = load_images("npz", root=tmp_path / "small.npz", image_size=16, held_out=2, verbose=False)
    assert data.preloaded and data.count == 18  # within the budget it loads as before


def test_digits_are_resized_real_images_in_minus_one_one():
    data = load_images("digits", image_size=16, channels=3, held_out=97, verbose=False)
    assert data.preloaded and data.count == 1797 - 97
    assert data.tensor.dtype == torch.uint8 and data.tensor.shape == (1700, 3, 16, 16)
    batch = data.batch(torch.arange(5))
    assert batch.min() >= -1 and batch.max() <= 1 and batch.dtype == torch.float32
    assert torch.equal(batch[:, 0], batch[:, 2])  # grey digits repeated over RGB
    assert data.held_out.shape == (97, 3, 16, 16) and len(data.held_out_labels) == 97


def _write_colour_images(folder, count, size=(20, 16)):
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for index in range(count):
        Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)).save(
            folder / f"image_{index:03d}.png"
        )


def test_folder_data_streams_or_preloads_the_same_images(tmp_path):
    _write_colour_images(tmp_path / "images" / "nested", 12)
    preloaded = load_images("folder", root=tmp_path / "images", image_size=16, channels=3, held_out=2, verbose=False)
    streamed = load_images(
        "folder", root=tmp_path / "images", image_size=16, channels=3, held_out=2, preload="no", verbose=False
    )
    assert preloaded.preloaded and not streamed.preloaded
    indices = torch.tensor([0, 3, 9])
    assert torch.equal(preloaded.batch(indices), streamed.batch(indices))
    assert torch.equal(preloaded.held_out, streamed.held_out)


def test_unreadable_image_is_an_error_naming_the_file_unless_skipped(tmp_path, capsys):
    _write_colour_images(tmp_path, 6)
    (tmp_path / "broken.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match=r"cannot read image file .*broken\.png.*skip_unreadable=True"):
        load_images("folder", root=tmp_path, image_size=16, held_out=1, verbose=False)
    data = load_images("folder", root=tmp_path, image_size=16, held_out=1, skip_unreadable=True)
    assert data.skipped == 1 and data.count == 5
    assert "skipped 1 unreadable files" in capsys.readouterr().err


def test_empty_folder_and_unknown_dataset_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="no image files"):
        load_images("folder", root=tmp_path, image_size=16, verbose=False)
    with pytest.raises(ValueError, match="dataset == 'imagenet', must be one of 'digits', 'folder', 'npz'"):
        load_images("imagenet")
    with pytest.raises(ValueError, match=r"needs root \(data_root= in ImageConfig\)"):
        load_images("npz", image_size=16)


def test_npz_images_in_any_layout(tmp_path):
    rng = np.random.default_rng(1)
    channels_last = rng.integers(0, 256, (10, 16, 16, 3), dtype=np.uint8)
    np.savez(tmp_path / "a.npz", images=channels_last)
    np.savez(tmp_path / "b.npz", pictures=channels_last.transpose(0, 3, 1, 2).astype(np.float32) / 255)
    a = load_images("npz", root=tmp_path / "a.npz", image_size=16, channels=3, held_out=2, verbose=False)
    b = load_images("npz", root=tmp_path / "b.npz", image_size=16, channels=3, held_out=2, verbose=False)
    assert torch.equal(a.tensor, b.tensor)
    np.savez(tmp_path / "c.npz", images=np.full((4, 16, 16), 2.0))
    with pytest.raises(ValueError, match=r"float images must lie in \[0, 1\]"):
        load_images("npz", root=tmp_path / "c.npz", image_size=16, held_out=1, verbose=False)


def test_the_real_data_sets_without_their_files_say_what_to_do(tmp_path):
    """They are read without torchvision (tests/test_formats.py trains on each one's real layout)."""
    with pytest.raises(ValueError, match=r"no train-images-idx3-ubyte\(\.gz\) in"):
        load_images("mnist", root=tmp_path, image_size=32)
    with pytest.raises(ValueError, match="does not exist"):
        load_images("celeba", root=tmp_path / "nonexistent", image_size=32)
