"""Reading an image array from a ``.npz`` or ``.npy`` file, with its size checked before it is read.

:func:`load_image_array` looks at a file before numpy decompresses anything:

- its first bytes: a zip archive (``.npz``) or a ``.npy`` array, nothing else; a pickle (whatever
  its name) is refused without numpy's hint to load it with ``allow_pickle=True``;
- each array's ``.npy`` header (shape and dtype, the first bytes of its member): the bytes it
  declares must fit in this machine's memory (:func:`~wgan_toys._validation.check_memory`), agree
  with the member's size in the zip directory, and, for a plain ``.npy``, with the file's length;
- each member's compression ratio: at most :data:`MAX_COMPRESSION_RATIO` (real images compress
  about 2 to 10 times; a file that inflates a thousand times is a zip bomb, refused before it
  inflates).

Object arrays are never unpickled (``allow_pickle=False``).
"""

from __future__ import annotations

import pathlib
import struct
import warnings
import zipfile
import zlib

import numpy as np

from .._validation import check_memory, format_bytes
from .folder import depth_divisor, resize_pil

__all__ = ["MAX_COMPRESSION_RATIO", "NpzImages", "load_image_array"]

MAX_COMPRESSION_RATIO = 200  # uncompressed / compressed bytes of one member; images reach about 10
_NPY_MAGIC = b"\x93NUMPY"
_ZIP_MAGIC = b"PK\x03\x04"


def _header(handle) -> tuple[tuple[int, ...], np.dtype, int]:
    """(shape, dtype, bytes the data holds) from a ``.npy`` header, reading only the header."""
    shape, _, dtype = _full_header(handle)
    count = 1
    for side in shape:
        count *= int(side)
    return tuple(shape), dtype, count * dtype.itemsize


def _full_header(handle) -> tuple[tuple[int, ...], bool, np.dtype]:
    """(shape, Fortran order?, dtype) of a ``.npy`` header; ValueError for an object array."""
    version = np.lib.format.read_magic(handle)
    read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    shape, fortran, dtype = read(handle)
    if dtype.hasobject:
        raise ValueError("it holds Python objects (a pickle inside), which are never loaded")
    return tuple(shape), fortran, dtype


def _map_stored_member(path: pathlib.Path, archive: zipfile.ZipFile, name: str) -> np.ndarray | None:
    """The member ``name`` (checked by :func:`_check_npz`) memory-mapped, when the archive stores it
    uncompressed (``numpy.savez``); None when it is compressed (``numpy.savez_compressed``)."""
    info = archive.getinfo(name + ".npy")
    if info.compress_type != zipfile.ZIP_STORED or info.flag_bits & 0x1:  # compressed or encrypted
        return None
    with open(path, "rb") as handle:  # the member's data follow its local header, name and extra field
        handle.seek(info.header_offset)
        local = handle.read(30)
        if len(local) < 30 or local[:4] != b"PK\x03\x04":
            return None
        name_length, extra_length = struct.unpack("<HH", local[26:30])
        start = info.header_offset + 30 + name_length + extra_length
        handle.seek(start)
        shape, fortran, dtype = _full_header(handle)
        offset = handle.tell()
    return np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape, order="F" if fortran else "C")


def _check_declared(path, name: str, shape, dtype, declared: int, stored: int) -> None:
    where = f"{path}" + (f" (array {name!r})" if name else "")
    if declared != stored:
        raise ValueError(
            f"{where} declares shape {shape} of {dtype} ({format_bytes(declared)}) but holds "
            f"{format_bytes(stored)} of data; the file is damaged or crafted. Save the images again with numpy.savez."
        )
    check_memory(declared, f"the images in {where}, shape {shape} of {dtype},", "use a smaller file")


def _check_npz(path: pathlib.Path) -> None:
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if not info.filename.endswith(".npy"):
                continue
            name = info.filename[: -len(".npy")]
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > MAX_COMPRESSION_RATIO:
                raise ValueError(
                    f"{path} (array {name!r}) inflates {ratio:.0f} times ({format_bytes(info.compress_size)} to "
                    f"{format_bytes(info.file_size)}), more than {MAX_COMPRESSION_RATIO} (images compress about "
                    "10 times): a zip bomb or a constant array; refused before inflating it."
                )
            with archive.open(info) as member:
                try:
                    shape, dtype, declared = _header(member)
                except ValueError as error:
                    raise ValueError(f"{path} (array {name!r}): not a numpy array ({error}).") from None
                stored = info.file_size - member.tell()
            _check_declared(path, name, shape, dtype, declared, stored)


def _check_npy(path: pathlib.Path) -> None:
    with open(path, "rb") as handle:
        try:
            shape, dtype, declared = _header(handle)
        except ValueError as error:
            raise ValueError(f"{path}: not a numpy array ({error}).") from None
        stored = path.stat().st_size - handle.tell()
    _check_declared(path, "", shape, dtype, declared, stored)


def load_image_array(path) -> tuple[np.ndarray | None, list[str] | None]:
    """The image array of ``path``: a ``.npy`` array, or the array ``images`` (or the only array)
    of a ``.npz`` archive, checked as the module says before anything is decompressed.

    Returns
    -------
    (numpy.ndarray or None, list of str or None)
        The array (None if an archive holds several arrays and none is named ``images``) and the
        archive's array names (None for a ``.npy``). A ``.npy`` and an uncompressed member are
        memory-mapped (read-only); a compressed member is read into memory.

    Raises
    ------
    ValueError
        Naming the file: not a zip or ``.npy`` (a pickle), damaged, declaring more bytes than it
        holds or than this machine's memory, or inflating beyond :data:`MAX_COMPRESSION_RATIO`.
    """
    path = pathlib.Path(path)
    with open(path, "rb") as handle:
        start = handle.read(len(_NPY_MAGIC))
    try:
        if start.startswith(_ZIP_MAGIC):
            _check_npz(path)
        elif start == _NPY_MAGIC:
            _check_npy(path)
        else:
            kind = "a Python pickle, never loaded here" if start[:1] == b"\x80" else f"it starts with {start!r}"
            raise ValueError(
                f"{path} is neither a .npz (zip) nor a .npy file ({kind}); save the images with numpy.savez."
            )
        if start == _NPY_MAGIC:
            return np.load(path, mmap_mode="r", allow_pickle=False), None
        with zipfile.ZipFile(path) as archive:
            keys = [n[: -len(".npy")] for n in archive.namelist() if n.endswith(".npy")]
            if "images" not in keys and len(keys) != 1:
                return None, keys
            key = "images" if "images" in keys else keys[0]
            mapped = _map_stored_member(path, archive, key)
        if mapped is not None:
            return mapped, keys
        with np.load(path, allow_pickle=False) as loaded:  # a compressed member: inflated into memory
            return loaded[key], keys
    except (OSError, EOFError, KeyError, zipfile.BadZipFile, zlib.error, NotImplementedError) as error:
        raise ValueError(f"cannot read {path} as .npz or .npy: {error}") from None


_CHUNK_BYTES = 1 << 22  # statistics over a memory map, a few MB at a time


def _layout(array: np.ndarray, path) -> np.ndarray:
    """The images as (N, C, H, W) with C in (1, 3), a view (no copy); warns about an ambiguous layout."""
    shape = array.shape
    if array.ndim == 3 and shape[-1] in (1, 3, 4) and shape[1] > 4:
        warnings.warn(
            f"{path}: shape {shape} is read as (N, H, W): {shape[0]} grey images of {shape[1]}x{shape[2]}; "
            f"if it is one image with {shape[-1]} channels, save it as shape (1, H, W, C).",
            stacklevel=5,
        )
    if array.ndim == 4 and shape[1] in (1, 3) and shape[-1] in (1, 3):
        warnings.warn(
            f"{path}: shape {shape} fits both (N, C, H, W) and (N, H, W, C); read as (N, C, H, W): "
            f"{shape[0]} images of {shape[1]}x{shape[2]}x{shape[3]}.",
            stacklevel=5,
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
    return array


def _range(array: np.ndarray) -> tuple[float, float, bool]:
    """(min, max, all finite) of ``array``, a few MB at a time (a memory map is never copied whole)."""
    step = max(1, _CHUNK_BYTES // max(1, array[0].nbytes))
    low, high, finite = np.inf, -np.inf, True
    for start in range(0, len(array), step):
        chunk = array[start : start + step]
        if chunk.dtype.kind == "f" and not np.isfinite(chunk).all():
            finite = False
            continue
        low, high = min(low, chunk.min()), max(high, chunk.max())
    return low, high, finite


def _scale(array: np.ndarray, path):
    """A function that turns a slice of ``array`` into uint8: uint8 as it is; bool as 0/255; other
    integers in [0, 255] as they are, deeper ones (16-bit) scaled by :func:`depth_divisor`; floats in
    [0, 1] times 255. Anything else is a ValueError naming the file."""
    kind = array.dtype.kind
    if kind == "b":
        return lambda part: part.astype(np.uint8) * 255
    if kind not in "iuf":
        raise ValueError(
            f"{path}: images have dtype {array.dtype}, must be uint8, another integer type, bool, or floats in [0, 1]."
        )
    low, high, finite = _range(array)
    if kind == "f":
        if not finite or low < 0 or high > 1:
            shown = f"[{low}, {high}]" if finite else "[nan, nan] (NaN or infinite values)"
            raise ValueError(
                f"{path}: float images must lie in [0, 1] (or be uint8 in [0, 255]); got values in {shown}."
            )
        return lambda part: np.round(part * 255).astype(np.uint8)
    low, high = int(low), int(high)
    if low < 0 or high > 65535:
        raise ValueError(
            f"{path}: integer images must lie in [0, 255] (8-bit) or [0, 65535] (16-bit); got values in [{low}, {high}]."
        )
    if high <= 255 and array.dtype.itemsize != 2:
        if high == 1:
            warnings.warn(
                f"{path}: all {len(array)} integer images hold only 0 and 1, read as 0..255 "
                "(nearly black); pass them as bool or floats in [0, 1] if 1 means white.",
                stacklevel=5,
            )
        return lambda part: part.astype(np.uint8, copy=False)
    divisor = depth_divisor(high, len(array), f"integer images in {path} deeper than 8 bits", 6)
    return lambda part: np.clip(np.round(part / divisor), 0, 255).astype(np.uint8)


class NpzImages:
    """The images of a ``.npz`` or ``.npy`` file: ``len``, and index -> uint8 (C, S, S), converted
    and resized one image at a time from the (memory-mapped, where it can be) array.

    Raises
    ------
    ValueError
        Naming the file: unreadable, several arrays and none called ``images``, a layout or dtype that
        is not images, values out of range (see :func:`load_image_array` for the checks before reading).
    """

    def __init__(self, path, image_size: int, channels: int):
        self.path, self.image_size, self.channels = pathlib.Path(path), image_size, channels
        array, keys = load_image_array(self.path)  # header, size and compression checked before numpy reads it
        if array is None:
            raise ValueError(f"{self.path} holds arrays {keys}; name the image array 'images'.")
        self.mapped = isinstance(array, np.memmap)
        self.array = _layout(array, self.path)
        self.convert = _scale(self.array, self.path)
        if min(self.array.shape[2:]) < image_size:
            warnings.warn(
                f"{self.path}: all {len(self.array)} images ({self.array.shape[2]}x{self.array.shape[3]}) are "
                f"smaller than image_size == {image_size} and are upscaled; pass a smaller image_size or larger images.",
                stacklevel=4,
            )

    def __len__(self) -> int:
        return len(self.array)

    def __call__(self, index: int) -> np.ndarray:
        from PIL import Image

        image = self.convert(np.asarray(self.array[index]))
        pil = Image.fromarray(image[0] if image.shape[0] == 1 else np.ascontiguousarray(image.transpose(1, 2, 0)))
        return resize_pil(pil, self.image_size, self.channels)

    def streamable(self) -> str | None:
        """None when reading one image at a time is cheap; else why not and what to do instead."""
        if self.mapped:
            return None
        return (
            f"{self.path} is compressed (numpy.savez_compressed), so it cannot be memory-mapped and would be "
            "held in memory whole; save it uncompressed with numpy.savez or numpy.save (memory-mapped), "
            "or prepare it once with wgan-toys prepare-images"
        )
