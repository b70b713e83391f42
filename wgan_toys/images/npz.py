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
import zipfile
import zlib

import numpy as np

from .._validation import check_memory, format_bytes

__all__ = ["MAX_COMPRESSION_RATIO", "load_image_array"]

MAX_COMPRESSION_RATIO = 200  # uncompressed / compressed bytes of one member; images reach about 10
_NPY_MAGIC = b"\x93NUMPY"
_ZIP_MAGIC = b"PK\x03\x04"


def _header(handle) -> tuple[tuple[int, ...], np.dtype, int]:
    """(shape, dtype, bytes the data holds) from a ``.npy`` header, reading only the header."""
    version = np.lib.format.read_magic(handle)
    read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    shape, _, dtype = read(handle)
    if dtype.hasobject:
        raise ValueError("it holds Python objects (a pickle inside), which are never loaded")
    count = 1
    for side in shape:
        count *= int(side)
    return tuple(shape), dtype, count * dtype.itemsize


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
        archive's array names (None for a ``.npy``).

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
        keys, array = None, None
        with open(path, "rb") as file:
            loaded = np.load(file, allow_pickle=False)  # a .npy array, or an NpzFile
            if isinstance(loaded, np.ndarray):
                return loaded, None
            with loaded as archive:
                keys = list(archive.keys())
                if "images" in keys or len(keys) == 1:
                    array = archive["images" if "images" in keys else keys[0]]
        return array, keys
    except (OSError, EOFError, KeyError, zipfile.BadZipFile, zlib.error, NotImplementedError) as error:
        raise ValueError(f"cannot read {path} as .npz or .npy: {error}") from None
