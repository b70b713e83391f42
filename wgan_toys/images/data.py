r"""Image data for the Section 4 trainer: bundled digits, folders, .npz files, torchvision sets.

Everything is read with Pillow and torch only (torchvision is optional: PyPI's build does not
import beside the CPU torch this course pins). Every source gives uint8 images of shape
(C, S, S); the trainer turns a batch into floats in [-1, 1] (the range of the generators' tanh).

Sources (``load_images(dataset=...)``):

- ``"digits"``: scikit-learn's 1,797 real handwritten digits (8x8, 16 grey levels), shipped with
  scikit-learn, so no download; resized to S x S with bicubic interpolation. The default.
- ``"folder"``: every image file under ``root`` (recursively), centre-cropped to a square and
  resized, as DCGAN's LSUN pipeline does. Every file is decoded once before training (a truncated
  JPEG, a damaged PNG or a decompression bomb is an error naming it, or with ``skip_unreadable``
  skipped and counted). 16-bit greyscale images are scaled to 8 bits explicitly (65535 -> 255),
  not clipped; when no 16-bit image of the set goes above 1023, 4095 or 16383 they are read as
  10-, 12- or 14-bit data, with a warning. 32-bit float images (float TIFFs, Pillow mode "F") in
  [0, 1] are scaled by 255 as npz floats are; outside [0, 1] they are an error naming the file.
- ``"npz"``: an array ``images`` (or the file's only array) of shape (N, H, W), (N, H, W, C) or
  (N, C, H, W), uint8 in [0, 255], other integers in [0, 255] (or 16-bit data, scaled as above),
  or floats in [0, 1]; a single ``.npy`` array file works too. An ambiguous layout is read as
  stated and warned about.
- ``"mnist"``, ``"cifar10"``, ``"lsun"``, ``"celeba"``: torchvision's datasets, from files the user
  already has under ``root`` (never downloaded).

Data that fits in ``preload_budget_bytes`` is decoded once and held on the device as one uint8
tensor (the estimate is printed); larger data streams from disk, decoded by a thread pool.
"""

from __future__ import annotations

import concurrent.futures
import math
import pathlib
import struct
import sys
import threading
import warnings
import zlib
from dataclasses import dataclass
from typing import Callable, Protocol

import numpy as np
import torch

from .._validation import check_choice, check_int
from . import DATASETS, ROOT_ARGUMENT
from .models import check_channels, check_image_size
from .npz import load_image_array

__all__ = [
    "DATASETS",
    "IMAGE_EXTENSIONS",
    "ImageData",
    "ImageSource",
    "load_images",
    "images_to_float",
    "digits_arrays",
    "check_batch_size",
]

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm", ".pgm")
DEFAULT_PRELOAD_BUDGET = 4 * 2**30
_DEEP_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I")  # Pillow's 16-bit (and 32-bit integer) greyscale modes


class ImageSource(Protocol):
    """What the trainer reads of its images: :class:`ImageData`, or a prepared store
    (:class:`~wgan_toys.images.store.PreparedStore`)."""

    @property
    def name(self) -> str: ...

    @property
    def count(self) -> int: ...

    @property
    def held_out(self) -> torch.Tensor | None: ...

    def batch(self, indices: torch.Tensor) -> torch.Tensor: ...


def _unreadable_errors():
    """What reading a broken image file can raise: Pillow's errors and a decompression bomb."""
    from PIL import Image

    return (
        OSError,
        SyntaxError,
        ValueError,
        EOFError,
        struct.error,
        zlib.error,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    )


def images_to_float(batch: torch.Tensor) -> torch.Tensor:
    """uint8 images in [0, 255] -> float32 in [-1, 1]."""
    return batch.float().mul_(2.0 / 255.0).sub_(1.0)


def _resize_pil(image, image_size: int, channels: int):
    from PIL import Image

    image = image.convert("L" if channels == 1 else "RGB")
    width, height = image.size
    side = min(width, height)
    if width != height:  # centre crop to a square, then resize (DCGAN's LSUN transform)
        left, top = (width - side) // 2, (height - side) // 2
        image = image.crop((left, top, left + side, top + side))
    if side != image_size:
        image = image.resize((image_size, image_size), Image.Resampling.BICUBIC)
    array = np.asarray(image, dtype=np.uint8)
    return array[None] if channels == 1 else array.transpose(2, 0, 1)


def digits_arrays(image_size: int = 32, channels: int = 1):
    """scikit-learn's digits resized to ``image_size``: uint8 images (N, C, S, S) and labels (N,)."""
    from PIL import Image
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = np.empty((len(digits.images), channels, image_size, image_size), dtype=np.uint8)
    for index, small in enumerate(digits.images):
        grey = Image.fromarray(np.round(small * (255.0 / 16.0)).astype(np.uint8), mode="L")
        images[index] = _resize_pil(grey, image_size, channels)
    return images, digits.target.astype(np.int64)


def _check_pixels(image) -> None:
    """A decompression bomb is unreadable: Pillow raises above twice ``MAX_IMAGE_PIXELS`` and only
    warns between once and twice; refuse both (the warning is process-wide state, not thread-safe)."""
    from PIL import Image

    limit = Image.MAX_IMAGE_PIXELS
    if limit is not None and image.width * image.height > limit:
        raise ValueError(
            f"{image.width}x{image.height} = {image.width * image.height} pixels, over Pillow's "
            f"decompression-bomb limit PIL.Image.MAX_IMAGE_PIXELS == {limit} (raise it if you trust the file)"
        )


def _depth_divisor(peak: int, count: int, what: str) -> float:
    """What divides integer data deeper than 8 bits to give 0..255: 257 for 16-bit data (65535 -> 255);
    (2^b - 1) / 255 when no value exceeds 2^b - 1 for b in 8, 10, 12, 14 (12-bit data in 16-bit files),
    with a warning that says so."""
    bits = next(b for b in (8, 10, 12, 14, 16) if peak < 2**b)
    divisor = (2**bits - 1) / 255
    if bits < 16:
        warnings.warn(
            f"{count} {what} have no value above {peak}: read as {bits}-bit data ({2**bits - 1} -> 255, "
            f"divided by {divisor:.4g}); full-range 16-bit data is divided by 257.",
            stacklevel=4,
        )
    return divisor


def _float_to_eight_bits(image):
    """A 32-bit float greyscale image (Pillow mode "F", as float TIFFs open) with values in [0, 1]
    as 8-bit "L", times 255 as for npz floats; Pillow's ``convert("L")`` would clip [0, 1] to 0
    and 1, an all-black image. Values outside [0, 1] (or not finite) are a ValueError."""
    from PIL import Image

    array = np.asarray(image, dtype=np.float64)
    finite = bool(np.isfinite(array).all())
    low, high = (float(array.min()), float(array.max())) if finite else (math.nan, math.nan)
    if not finite or low < 0 or high > 1:
        values = f"values in [{low:.6g}, {high:.6g}]" if finite else "NaN or infinite values"
        raise ValueError(
            f"32-bit float image (mode F) with {values}; float images must lie in [0, 1] "
            "(as for npz), or save it with 8 or 16 bits per sample"
        )
    return Image.fromarray(np.round(array * 255.0).astype(np.uint8), mode="L")


def _to_eight_bits(image, divisor: float = 257.0):
    """A 16-bit (or 32-bit integer) greyscale Pillow image as 8-bit "L", scaled, never clipped
    (Pillow's ``convert("L")`` clips I;16 at 255, so that most pixels come out white); a float
    image (mode "F") in [0, 1] times 255 (:func:`_float_to_eight_bits`)."""
    from PIL import Image

    if image.mode == "F":
        return _float_to_eight_bits(image)
    if image.mode not in _DEEP_MODES:
        return image
    array = np.asarray(image)
    _sixteen_bit_peak(image, array)
    return Image.fromarray(np.clip(np.round(array / divisor), 0, 255).astype(np.uint8), mode="L")


def _sixteen_bit_peak(image, array=None) -> int:
    """The largest value of a 16-bit (or 32-bit integer) greyscale image; ValueError outside [0, 65535]."""
    array = np.asarray(image) if array is None else array
    low, high = int(array.min()), int(array.max())
    if low < 0 or high > 65535:
        raise ValueError(
            f"{image.mode} image with values in [{low}, {high}], outside 16 bits [0, 65535]; "
            "save it with 8 or 16 bits per sample"
        )
    return high


def _read_file(path: pathlib.Path, image_size: int, channels: int, divisor: float = 257.0):
    from PIL import Image

    try:
        with Image.open(path) as image:
            _check_pixels(image)
            return _resize_pil(_to_eight_bits(image, divisor), image_size, channels)
    except _unreadable_errors() as error:
        raise ValueError(
            f"cannot read image file {path}: {error}; fix or remove it, "
            "or pass skip_unreadable=True to skip such files and count them."
        ) from error


@dataclass
class ImageData:
    """A set of images the trainer samples from, preloaded on ``device`` or streamed from disk.

    ``batch(indices)`` returns float32 images in [-1, 1] on ``device``, shape (n, C, S, S).
    ``held_out`` is a fixed set of real images (float, on the CPU) that training never sees,
    for the sliced Wasserstein distance; ``labels`` are the class labels when known (digits).
    ``skipped`` counts the unreadable files skipped (``skip_unreadable``): at load, and since
    then by the streaming reader, which puts the next readable image in a bad file's place.
    """

    name: str
    image_size: int
    channels: int
    count: int
    device: torch.device
    tensor: torch.Tensor | None = None  # uint8 (N, C, S, S) on device, when preloaded
    reader: Callable[[int], np.ndarray] | None = None  # index -> uint8 array (C, S, S), when streaming
    held_out: torch.Tensor | None = None
    held_out_labels: np.ndarray | None = None
    skipped_at_load: int = 0
    workers: int = 4
    files: _PathReader | None = None  # the reader of a streamed folder: counts the files it skipped

    @property
    def preloaded(self) -> bool:
        return self.tensor is not None

    @property
    def skipped(self) -> int:
        return self.skipped_at_load + (len(self.files.bad) if self.files is not None else 0)

    def batch(self, indices: torch.Tensor) -> torch.Tensor:
        if self.tensor is not None:
            return images_to_float(self.tensor.index_select(0, indices.to(self.tensor.device)))
        if getattr(self, "_pool", None) is None:
            self._pool = concurrent.futures.ThreadPoolExecutor(self.workers)  # Pillow decodes without the GIL
        if self.reader is None:
            raise RuntimeError(f"ImageData {self.name!r} has neither a preloaded tensor nor a reader")
        arrays = list(self._pool.map(self.reader, indices.tolist()))
        return images_to_float(torch.from_numpy(np.stack(arrays)).to(self.device))


def _memory_estimate(count: int, channels: int, image_size: int) -> int:
    return count * channels * image_size * image_size  # uint8


def _format_bytes(size: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.1f} {unit}" if unit != "B" else f"{int(size)} B"
        size /= 1024
    return f"{size:.1f} GiB"


def split_indices(count: int, held_out: int, seed: int = 1234):
    """Sorted (train, held-out) index arrays: ``held_out`` of ``count`` items drawn by a fixed
    permutation, so the training images and the digits classifier's test set never change."""
    order = np.random.default_rng(seed).permutation(count)
    return np.sort(order[held_out:]), np.sort(order[:held_out])


def load_images(
    dataset: str = "digits",
    *,
    root=None,
    image_size: int = 32,
    channels: int = 1,
    device="cpu",
    held_out: int = 300,
    preload: str = "auto",
    preload_budget_bytes: int = DEFAULT_PRELOAD_BUDGET,
    skip_unreadable: bool = False,
    verbose: bool = True,
) -> ImageSource:
    """Load ``dataset`` (one of :data:`DATASETS`) as an :class:`ImageData`.

    Parameters
    ----------
    root : path, optional
        The folder (``"folder"``, torchvision sets) or file (``"npz"``); not used by ``"digits"``.
    image_size, channels : int
        Images are resized to ``image_size`` (a power of two in [16, 128]) with 1 or 3 channels.
    held_out : int, default=300
        Images kept out of training, for the sliced Wasserstein distance (and, on digits, the
        classifier's test set).
    preload : {"auto", "yes", "no"}
        ``"auto"`` preloads when the uint8 tensor fits in ``preload_budget_bytes``.
    skip_unreadable : bool, default=False
        A file Pillow cannot decode (truncated, damaged, a decompression bomb) is an error naming
        it, unless this is set; then it is skipped and counted (``ImageData.skipped``, printed),
        before training and, when streaming, during it.

    Raises
    ------
    ValueError
        An unknown setting, a missing or unreadable source (named), fewer images than ``held_out``.

    Warns
    -----
    UserWarning
        Images smaller than ``image_size`` (upscaled), 16-bit data read with fewer significant
        bits, an ambiguous npz layout; each with a count.
    """
    check_choice("dataset", dataset, DATASETS)
    check_image_size(image_size)
    check_channels(channels)
    check_int("held_out", held_out, minimum=0)
    check_choice("preload", preload, ("auto", "yes", "no"))
    from ..runtime import resolve_device

    device = resolve_device(device)
    if dataset == "prepared":  # a prepare-images store, memory-mapped (images.store)
        from .store import open_store

        return open_store(
            root, image_size=image_size, channels=channels, device=device, held_out=held_out, verbose=verbose
        )
    labels = None
    skipped = 0
    reader: _ImageReader  # set exactly when arrays stays None (a folder or torchvision streams its files)
    arrays = None
    files = None
    if dataset == "digits":
        arrays, labels = digits_arrays(image_size, channels)
    elif dataset == "npz":
        arrays = _npz_arrays(root, image_size, channels)
    elif dataset == "folder":
        paths, skipped, divisor = _folder_paths(root, image_size, channels, skip_unreadable)
        reader = files = _PathReader(paths, image_size, channels, divisor, skip_unreadable)
    else:
        reader = _torchvision_reader(dataset, root, image_size, channels)
    count = len(arrays) if arrays is not None else len(reader)
    if count <= held_out:
        raise ValueError(f"dataset {dataset!r} has {count} images, must have more than held_out == {held_out}.")
    train_index, held_index = split_indices(count, held_out)
    estimate = _memory_estimate(len(train_index), channels, image_size)
    do_preload = preload == "yes" or (preload == "auto" and estimate <= preload_budget_bytes)
    if arrays is None and do_preload:
        arrays = np.stack([reader(int(i)) for i in range(count)])
    if verbose:
        how = f"preloaded on {device}" if do_preload else "streamed from disk (over the preload budget)"
        print(
            f"wgan_toys: {dataset}: {len(train_index)} training images of {channels}x{image_size}x{image_size}, "
            f"{held_out} held out; {_format_bytes(estimate)} as uint8, {how}"
            + (f"; skipped {skipped} unreadable files" if skipped else ""),
            file=sys.stderr,
        )
    held: torch.Tensor | None
    if arrays is not None:
        held = images_to_float(torch.from_numpy(arrays[held_index]))
        data = ImageData(
            dataset,
            image_size,
            channels,
            len(train_index),
            device,
            held_out=held,
            held_out_labels=None if labels is None else labels[held_index],
            skipped_at_load=skipped,
        )
        if do_preload:
            data.tensor = torch.from_numpy(np.ascontiguousarray(arrays[train_index])).to(device)
        else:
            source = arrays[train_index]
            data.reader = lambda index: source[index]
        return data
    held = images_to_float(torch.from_numpy(np.stack([reader(int(i)) for i in held_index]))) if held_out else None
    train_lookup = train_index.tolist()
    return ImageData(
        dataset,
        image_size,
        channels,
        len(train_index),
        device,
        reader=lambda index: reader(train_lookup[index]),
        held_out=held,
        skipped_at_load=skipped,
        files=files,
    )


def check_batch_size(batch_size: int, data: ImageSource) -> None:
    """Refuse a batch of more images than ``data`` trains on, which would be silently cut to the
    dataset's size (and images/s over-reported); checked as soon as the data is loaded.

    Raises
    ------
    ValueError
        ``batch_size`` larger than ``data.count``; the message says how to fix it.
    """
    if batch_size > data.count:
        held = 0 if data.held_out is None else len(data.held_out)
        raise ValueError(
            f"batch_size == {batch_size}, must be <= {data.count}, the number of training images in "
            f"dataset {data.name!r} ({held} more are held out); lower batch_size to at most "
            f"{data.count}, or use more images."
        )


class _ImageReader(Protocol):
    """A streamed source: its length, and index -> uint8 array (C, S, S)."""

    def __len__(self) -> int: ...

    def __call__(self, index: int) -> np.ndarray: ...


class _PathReader:
    """index -> uint8 (C, S, S) from a list of files. With ``skip_unreadable``, a file that fails
    now (changed since the pre-check) is counted in ``bad``, warned about once, and the next
    readable file takes its place, so that a batch keeps its size and training goes on."""

    def __init__(self, paths, image_size, channels, divisor=257.0, skip_unreadable=False):
        self.paths, self.image_size, self.channels = paths, image_size, channels
        self.divisor, self.skip_unreadable = divisor, skip_unreadable
        self.bad: set[int] = set()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.paths)

    def __call__(self, index: int) -> np.ndarray:
        for offset in range(len(self.paths)):
            candidate = (index + offset) % len(self.paths)
            if candidate in self.bad:
                continue
            try:
                return _read_file(self.paths[candidate], self.image_size, self.channels, self.divisor)
            except ValueError as error:
                if not self.skip_unreadable:
                    raise
                with self._lock:
                    if candidate not in self.bad:
                        self.bad.add(candidate)
                        warnings.warn(
                            f"skipped unreadable file {self.paths[candidate]} while streaming "
                            f"({len(self.bad)} skipped so far; the next readable image takes its place): "
                            f"{error.__cause__ or error}",
                            stacklevel=2,
                        )
        raise ValueError(f"none of the {len(self.paths)} image files can be read any more (first: {self.paths[0]}).")


def _folder_paths(root, image_size, channels, skip_unreadable):
    if root is None:
        raise ValueError(f"dataset 'folder' needs {ROOT_ARGUMENT}: the folder that holds the images.")
    root = pathlib.Path(root)
    if not root.is_dir():
        raise ValueError(f"root == {str(root)!r} is not a folder; pass the folder that holds the images.")
    paths = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)
    if not paths:
        raise ValueError(f"no image files ({', '.join(IMAGE_EXTENSIONS)}) under {root}; the folder is empty of images.")
    from PIL import Image

    unreadable = _unreadable_errors()

    def inspect(path):
        """(error, smaller side, peak of a 16-bit image): the file decoded in full, at the smallest
        JPEG scale that still covers image_size (a truncated scan fails all the same)."""
        try:
            with Image.open(path) as image:
                _check_pixels(image)
                side = min(image.size)
                image.draft(None, (image_size, image_size))
                image.load()
                peak = _sixteen_bit_peak(image) if image.mode in _DEEP_MODES else None
                if image.mode == "F":
                    _float_to_eight_bits(image)  # refuses values outside [0, 1] now, naming the file
        except unreadable as error:
            return error, None, None
        return None, side, peak

    good, skipped, small, smallest, peaks = [], 0, 0, None, []
    # decode every file once, in parallel: an error names the file now, not hours into a run
    with concurrent.futures.ThreadPoolExecutor(8) as pool, warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # _check_pixels refuses those files
        for path, (error, side, peak) in zip(paths, pool.map(inspect, paths, chunksize=64)):
            if error is None:
                good.append(path)
                if side < image_size:
                    small += 1
                    smallest = side if smallest is None else min(smallest, side)
                if peak is not None:
                    peaks.append(peak)
            elif not skip_unreadable:
                raise ValueError(
                    f"cannot read image file {path}: {error}; fix or remove it, "
                    "or pass skip_unreadable=True to skip such files and count them."
                ) from error
            else:
                skipped += 1
    if not good:
        raise ValueError(f"none of the {len(paths)} image files under {root} could be read.")
    if small:
        warnings.warn(
            f"{small} of {len(good)} images under {root} are smaller than image_size == {image_size} "
            f"(smallest side {smallest} px) and are upscaled; pass a smaller image_size or larger images.",
            stacklevel=3,
        )
    divisor = _depth_divisor(max(peaks), len(peaks), f"16-bit images under {root}") if peaks else 257.0
    return good, skipped, divisor


def _npz_arrays(root, image_size, channels):
    if root is None:
        raise ValueError(f"dataset 'npz' needs {ROOT_ARGUMENT}: the .npz file, or a .npy array file.")
    path = pathlib.Path(root)
    if not path.is_file():
        raise ValueError(f"root == {str(path)!r} is not a file; pass the .npz (or .npy) file.")
    array, keys = load_image_array(path)  # header, size and compression checked before numpy reads it
    if array is None:
        raise ValueError(f"{path} holds arrays {keys}; name the image array 'images'.")
    shape = array.shape
    if array.ndim == 3 and shape[-1] in (1, 3, 4) and shape[1] > 4:
        warnings.warn(
            f"{path}: shape {shape} is read as (N, H, W): {shape[0]} grey images of {shape[1]}x{shape[2]}; "
            f"if it is one image with {shape[-1]} channels, save it as shape (1, H, W, C).",
            stacklevel=3,
        )
    if array.ndim == 4 and shape[1] in (1, 3) and shape[-1] in (1, 3):
        warnings.warn(
            f"{path}: shape {shape} fits both (N, C, H, W) and (N, H, W, C); read as (N, C, H, W): "
            f"{shape[0]} images of {shape[1]}x{shape[2]}x{shape[3]}.",
            stacklevel=3,
        )
    if array.ndim == 3:
        array = array[:, None]
    elif array.ndim == 4 and array.shape[-1] in (1, 3) and array.shape[1] not in (1, 3):
        array = array.transpose(0, 3, 1, 2)
    if array.ndim != 4 or array.shape[1] not in (1, 3) or 0 in array.shape:
        raise ValueError(
            f"{path}: images have shape {shape}, must be (N, H, W), (N, H, W, C) or (N, C, H, W) "
            "with C in (1, 3) and N, H, W > 0."
        )
    array = _npz_to_uint8(array, path)
    if min(array.shape[2:]) < image_size:
        warnings.warn(
            f"{path}: all {len(array)} images ({array.shape[2]}x{array.shape[3]}) are smaller than "
            f"image_size == {image_size} and are upscaled; pass a smaller image_size or larger images.",
            stacklevel=3,
        )
    from PIL import Image

    out = np.empty((len(array), channels, image_size, image_size), dtype=np.uint8)
    for index, image in enumerate(array):
        pil = Image.fromarray(image[0] if image.shape[0] == 1 else image.transpose(1, 2, 0))
        out[index] = _resize_pil(pil, image_size, channels)
    return out


def _npz_to_uint8(array: np.ndarray, path) -> np.ndarray:
    """uint8 as it is; bool as 0/255; other integers in [0, 255] as they are, deeper ones (16-bit)
    scaled by :func:`_depth_divisor`; floats in [0, 1] times 255. Anything else names the file."""
    kind = array.dtype.kind
    if kind == "b":
        return array.astype(np.uint8) * 255
    if kind in "iu":
        low, high = int(array.min()), int(array.max())
        if low < 0 or high > 65535:
            raise ValueError(
                f"{path}: integer images must lie in [0, 255] (8-bit) or [0, 65535] (16-bit); "
                f"got values in [{low}, {high}]."
            )
        if high <= 255 and array.dtype.itemsize != 2:
            if high == 1:
                warnings.warn(
                    f"{path}: all {len(array)} integer images hold only 0 and 1, read as 0..255 "
                    "(nearly black); pass them as bool or floats in [0, 1] if 1 means white.",
                    stacklevel=4,
                )
            return array.astype(np.uint8, copy=False)
        divisor = _depth_divisor(high, len(array), f"integer images in {path} deeper than 8 bits")
        return np.clip(np.round(array / divisor), 0, 255).astype(np.uint8)
    if kind != "f":
        raise ValueError(
            f"{path}: images have dtype {array.dtype}, must be uint8, another integer type, bool, or floats in [0, 1]."
        )
    if not np.isfinite(array).all() or array.min() < 0 or array.max() > 1:
        raise ValueError(
            f"{path}: float images must lie in [0, 1] (or be uint8 in [0, 255]); "
            f"got values in [{array.min()}, {array.max()}]."
        )
    return np.round(array * 255).astype(np.uint8)


def _torchvision_reader(dataset, root, image_size, channels):
    try:
        import torchvision.datasets as tv_datasets
    except Exception as error:  # not installed, or the PyPI build that fails beside the CPU torch
        raise ValueError(
            f"dataset {dataset!r} needs torchvision, which does not import here ({error}); "
            "use dataset 'folder' on the extracted images, or 'npz', or install a torchvision "
            "that matches your torch (README: GPU setup)."
        ) from error
    if root is None:
        raise ValueError(
            f"dataset {dataset!r} needs {ROOT_ARGUMENT}: the folder that holds its files (nothing is downloaded)."
        )
    makers = {
        "mnist": lambda: tv_datasets.MNIST(root, train=True, download=False),
        "cifar10": lambda: tv_datasets.CIFAR10(root, train=True, download=False),
        "lsun": lambda: tv_datasets.LSUN(root, classes=["bedroom_train"]),
        "celeba": lambda: tv_datasets.CelebA(root, split="train", download=False),
    }
    try:
        source = makers[dataset]()
    except Exception as error:
        raise ValueError(f"cannot open {dataset!r} under {root}: {error}") from error

    class Reader:
        def __len__(self):
            return len(source)

        def __call__(self, index):
            return _resize_pil(source[index][0], image_size, channels)

    return Reader()
