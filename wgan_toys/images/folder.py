r"""Image folders for the Section 4 trainer: every image file under a folder, decoded with Pillow.

``load_images("folder", root=...)`` (:mod:`~wgan_toys.images.data`) reads every image file under
``root`` (recursively), centre-cropped to a square and resized, as DCGAN's LSUN pipeline does. Every
file is decoded once before training (a truncated JPEG, a damaged PNG or a decompression bomb is an
error naming it, or with ``skip_unreadable`` skipped and counted). 16-bit greyscale images are
scaled to 8 bits explicitly (65535 -> 255), not clipped; when no 16-bit image of the set goes above
1023, 4095 or 16383 they are read as 10-, 12- or 14-bit data, with a warning. 32-bit float images
(float TIFFs, Pillow mode "F") in [0, 1] are scaled by 255 as npz floats are; outside [0, 1] they
are an error naming the file.
"""

from __future__ import annotations

import concurrent.futures
import math
import pathlib
import struct
import threading
import warnings
import zlib
from typing import Protocol

import numpy as np

from . import ROOT_ARGUMENT

__all__ = [
    "IMAGE_EXTENSIONS",
    "ImageReader",
    "PathReader",
    "depth_divisor",
    "folder_paths",
    "read_image_file",
    "resize_pil",
]

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm", ".pgm")
_DEEP_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I")  # Pillow's 16-bit (and 32-bit integer) greyscale modes


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


def resize_pil(image, image_size: int, channels: int):
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


def depth_divisor(peak: int, count: int, what: str, stacklevel: int = 5) -> float:
    """What divides integer data deeper than 8 bits to give 0..255: 257 for 16-bit data (65535 -> 255);
    (2^b - 1) / 255 when no value exceeds 2^b - 1 for b in 8, 10, 12, 14 (12-bit data in 16-bit files),
    with a warning that says so."""
    bits = next(b for b in (8, 10, 12, 14, 16) if peak < 2**b)
    divisor = (2**bits - 1) / 255
    if bits < 16:
        warnings.warn(
            f"{count} {what} have no value above {peak}: read as {bits}-bit data ({2**bits - 1} -> 255, "
            f"divided by {divisor:.4g}); full-range 16-bit data is divided by 257.",
            stacklevel=stacklevel,
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


def read_image_file(path: pathlib.Path, image_size: int, channels: int, divisor: float = 257.0):
    from PIL import Image

    try:
        with Image.open(path) as image:
            _check_pixels(image)
            return resize_pil(_to_eight_bits(image, divisor), image_size, channels)
    except _unreadable_errors() as error:
        raise ValueError(
            f"cannot read image file {path}: {error}; fix or remove it, "
            "or pass skip_unreadable=True to skip such files and count them."
        ) from error


class ImageReader(Protocol):
    """A streamed source: its length, and index -> uint8 array (C, S, S)."""

    def __len__(self) -> int: ...

    def __call__(self, index: int) -> np.ndarray: ...


class PathReader:
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
                return read_image_file(self.paths[candidate], self.image_size, self.channels, self.divisor)
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


def folder_paths(root, image_size, channels, skip_unreadable):
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
    # decode every file once, in parallel: an error names the file now, not hours into a run. The pool
    # closes inside the warnings filter, so that the decodes still running after an error warn nowhere
    # (map cancels those not yet started).
    with warnings.catch_warnings(), concurrent.futures.ThreadPoolExecutor(8) as pool:
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
            stacklevel=4,  # folder_paths <- data._open <- load_images <- its caller
        )
    divisor = depth_divisor(max(peaks), len(peaks), f"16-bit images under {root}") if peaks else 257.0
    return good, skipped, divisor
