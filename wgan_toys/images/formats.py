r"""The real data sets' on-disk formats, read with numpy, Pillow and ``lmdb`` only (no torchvision).

Each source is an object with ``len(source)`` items, ``source.describe()`` (a JSON-able dict that
names it, kept in a prepared store's index) and ``source.items(start, stop)``, which yields
``(name, payload)`` in a fixed order: ``payload`` is a file path, encoded image bytes (JPEG, WebP,
PNG) or a uint8 array of shape (H, W) or (H, W, 3). :func:`decode` turns any payload into a
Pillow image, so the expensive decoding can run in other processes.

- ``"folder"``: every image file under a folder, recursively, in sorted order.
- ``"celeba"``: CelebA's aligned faces, the 202,599 JPEGs ``000001.jpg``... of ``img_align_celeba``
  (178 x 218; centre-cropped to 178 x 178 downstream, as the WGAN and DCGAN code do).
- ``"lsun"``: one LSUN category as its LMDB database (``bedroom_train_lmdb``: ``data.mdb``, keys the
  images' SHA-1 hashes, values JPEG or WebP bytes), read with the ``lmdb`` package.
- ``"cifar10"``: the binary version's ``data_batch_{1..5}.bin`` (records of 1 label byte and 3,072
  pixel bytes, the R, G, B planes of 32 x 32), or the python version's pickled ``data_batch_{1..5}``
  read through :class:`RestrictedUnpickler`, which admits dicts, lists, bytes and numpy arrays only.
- ``"mnist"``: the IDX file ``train-images-idx3-ubyte`` (or ``.gz``): magic 2051, big-endian sizes.
- ``"npz"``: a ``.npz`` or ``.npy`` array of uint8 images (N, H, W), (N, H, W, C) or (N, C, H, W),
  memory-mapped when it is a ``.npy`` file.

Every reader checks the layout before the first image and names the file in its error.
"""

from __future__ import annotations

import gzip
import io
import os
import pathlib
import pickle
import re
import zlib

import numpy as np

from .._validation import check_memory

__all__ = ["FORMATS", "open_source", "decode", "RestrictedUnpickler", "read_cifar_pickle", "read_idx"]

FORMATS = ("folder", "npz", "lsun", "cifar10", "celeba", "mnist")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm", ".pgm")
CIFAR_RECORD = 1 + 3 * 32 * 32  # label byte, then the R, G, B planes of a 32 x 32 image
IDX_IMAGES = 0x00000803  # unsigned bytes, 3 dimensions
_AGAIN = "the file is truncated, damaged or crafted, download it again"


def _path(root, what: str) -> pathlib.Path:
    if root is None:
        raise ValueError(f"source {what!r} needs a path: the folder or file that holds its images.")
    path = pathlib.Path(root)
    if not path.exists():
        raise ValueError(f"{path} does not exist; pass the {what} data set's folder or file.")
    return path


def decode(payload, name: str = "?"):
    """A Pillow image from a path, encoded bytes or a uint8 array (H, W) / (H, W, 3), not yet decoded."""
    from PIL import Image

    if isinstance(payload, np.ndarray):
        return Image.fromarray(payload)
    return Image.open(payload if isinstance(payload, pathlib.Path) else io.BytesIO(payload))  # decoded lazily: a
    # JPEG can still be drafted to a smaller DCT scale before its pixels are read


class _FileList:
    """Image files, in sorted order."""

    def __init__(self, kind: str, root: pathlib.Path, paths: list):
        if not paths:
            raise ValueError(f"no image files ({', '.join(IMAGE_SUFFIXES)}) under {root}; the source has no images.")
        self.kind, self.root, self.paths = kind, root, paths

    def __len__(self):
        return len(self.paths)

    def describe(self) -> dict:
        return {"format": self.kind, "path": str(self.root.resolve()), "items": len(self.paths)}

    def items(self, start: int, stop: int):
        for path in self.paths[start:stop]:
            yield str(path.relative_to(self.root)), path


def _folder(root) -> _FileList:
    root = _path(root, "folder")
    if not root.is_dir():
        raise ValueError(f"{root} is not a folder; pass the folder that holds the images.")
    paths, folders = [], [root]
    while folders:  # scandir's file types: no stat per regular file (LSUN: 3 million)
        with os.scandir(folders.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    folders.append(entry.path)
                # a FIFO or a device named x.png is left out: reading it would wait forever or never end
                elif os.path.splitext(entry.name)[1].lower() in IMAGE_SUFFIXES and entry.is_file():
                    paths.append(pathlib.Path(entry.path))
    return _FileList("folder", root, sorted(paths))


def _celeba(root) -> _FileList:
    root = _path(root, "celeba")
    if (root / "img_align_celeba").is_dir():
        root = root / "img_align_celeba"
    paths = sorted(p for p in root.glob("*.jpg") if re.fullmatch(r"\d{6}\.jpg", p.name) and p.is_file())
    if not paths:
        raise ValueError(
            f"{root} holds no CelebA images (000001.jpg, ...); pass the folder img_align_celeba or the one above it."
        )
    return _FileList("celeba", root, paths)


class _Arrays:
    """uint8 images (N, H, W) or (N, H, W, 3) in memory or memory-mapped, from one or more files."""

    def __init__(self, kind: str, path: pathlib.Path, arrays: list):
        self.kind, self.path, self.arrays = kind, path, arrays
        self.offsets = np.cumsum([0] + [len(a) for a in arrays])
        if self.offsets[-1] == 0:
            raise ValueError(f"{path} holds no images; the source has no images.")

    def __len__(self):
        return int(self.offsets[-1])

    def describe(self) -> dict:
        return {"format": self.kind, "path": str(self.path.resolve()), "items": len(self)}

    def items(self, start: int, stop: int):
        for index in range(start, min(stop, len(self))):
            part = int(np.searchsorted(self.offsets, index, side="right")) - 1
            yield f"{self.kind}[{index}]", np.ascontiguousarray(self.arrays[part][index - self.offsets[part]])


def read_idx(path) -> np.ndarray:
    """MNIST's IDX image file (optionally gzipped) as uint8 (N, H, W).

    The 16-byte header is read first; the pixels it declares are checked against the file's size
    (a plain file) or this machine's memory (a gzipped one) before they are read, and at most one
    byte more than declared is inflated, so a small crafted ``.gz`` never inflates gigabytes.

    Raises
    ------
    ValueError
        Not an IDX file of unsigned bytes in 3 dimensions, or a size that disagrees with its header.
    """
    path = pathlib.Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as file:
            header = file.read(16)
            magic = int.from_bytes(header[:4], "big") if len(header) == 16 else None
            if magic != IDX_IMAGES:
                raise ValueError(
                    f"{path} is not an IDX image file (magic {magic}, must be {IDX_IMAGES}); pass train-images-idx3-ubyte."
                )
            count, height, width = (int.from_bytes(header[4 * k : 4 * k + 4], "big") for k in (1, 2, 3))
            declared = count * height * width
            stored = None if path.suffix == ".gz" else path.stat().st_size - 16
            if stored is None:
                check_memory(declared, f"{path}: the {count} x {height} x {width} pixels its header declares", _AGAIN)
            data = file.read(declared + 1) if stored in (None, declared) else b""
    except (OSError, EOFError, zlib.error) as error:
        raise ValueError(f"cannot read MNIST IDX file {path}: {error}") from error
    found = stored if stored is not None else len(data)
    if found != declared:
        shown = f"more than {declared}" if stored is None and found > declared else str(found)
        raise ValueError(f"{path}: {shown} pixel bytes, its header says {count} x {height} x {width}; {_AGAIN}.")
    return np.frombuffer(data, dtype=np.uint8).reshape(count, height, width)


def _mnist(root) -> _Arrays:
    path = _path(root, "mnist")
    if path.is_dir():
        found = [
            path / n for n in ("train-images-idx3-ubyte", "train-images-idx3-ubyte.gz", "raw/train-images-idx3-ubyte")
        ]
        found = [p for p in found if p.is_file()]
        if not found:
            raise ValueError(f"no train-images-idx3-ubyte(.gz) in {path}; pass MNIST's folder or the IDX file.")
        path = found[0]
    return _Arrays("mnist", path, [read_idx(path)])


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that builds dicts, lists, bytes, str, numbers and numpy arrays, and refuses every
    other global (a crafted pickle can call any function it names: ``os.system`` included)."""

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("_codecs", "encode"),  # how Python 3 writes bytes at pickle protocol 2
    }

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refuses the global {module}.{name}: only dicts, lists, bytes and arrays")
        if module == "_codecs":
            import codecs

            return codecs.encode
        if name == "_reconstruct":
            import importlib

            try:
                return importlib.import_module("numpy._core.multiarray")._reconstruct
            except ImportError:  # numpy < 2
                return importlib.import_module("numpy.core.multiarray")._reconstruct
        return getattr(np, name)


def read_cifar_pickle(path) -> np.ndarray:
    """One batch of CIFAR-10's python version as uint8 (N, 32, 32, 3), through :class:`RestrictedUnpickler`.

    Raises
    ------
    ValueError
        A pickle that names any other global (refused before it runs), or no uint8 ``data`` of 3,072 columns.
    """
    path = pathlib.Path(path)
    try:
        with open(path, "rb") as file:
            batch = RestrictedUnpickler(file, encoding="bytes").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError) as error:
        raise ValueError(
            f"cannot read CIFAR-10 batch {path}: {error}; use the original cifar-10-python files."
        ) from error
    except (MemoryError, OverflowError):  # a pickle that declares more bytes than memory holds
        raise ValueError(
            f"cannot read CIFAR-10 batch {path}: it declares an object larger than this machine's memory (damaged "
            "or crafted); use the original cifar-10-python files."
        ) from None
    data = batch.get(b"data", batch.get("data")) if isinstance(batch, dict) else None
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
        raise ValueError(f"{path} is not a CIFAR-10 batch: no uint8 'data' of shape (N, 3072).")
    return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)


def _cifar10(root) -> _Arrays:
    root = _path(root, "cifar10")
    for folder in (root, root / "cifar-10-batches-bin", root / "cifar-10-batches-py"):
        binaries = sorted(folder.glob("data_batch_*.bin"))
        if binaries:
            arrays = []
            for path in binaries:
                if path.stat().st_size == 0 or path.stat().st_size % CIFAR_RECORD:
                    raise ValueError(
                        f"{path}: {path.stat().st_size} bytes, not a whole number of {CIFAR_RECORD}-byte "
                        "CIFAR-10 records; the file is truncated, download it again."
                    )
                records = np.memmap(path, dtype=np.uint8, mode="r").reshape(-1, CIFAR_RECORD)
                arrays.append(records[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
            return _Arrays("cifar10", folder, arrays)
        pickles = sorted(p for p in folder.glob("data_batch_*") if p.suffix == "")
        if pickles:
            return _Arrays("cifar10", folder, [read_cifar_pickle(p) for p in pickles])
    raise ValueError(f"no CIFAR-10 training batches (data_batch_1.bin or data_batch_1) under {root}.")


def _npz(root) -> _Arrays:
    path = _path(root, "npz")
    try:
        loaded = np.load(path, mmap_mode="r" if path.suffix == ".npy" else None, allow_pickle=False)
        if not isinstance(loaded, np.ndarray):
            keys = list(loaded.keys())
            if "images" not in keys and len(keys) != 1:
                raise ValueError(f"it holds arrays {keys}; name the image array 'images'")
            loaded = loaded["images" if "images" in keys else keys[0]]
    except (OSError, ValueError, EOFError) as error:
        raise ValueError(f"cannot read {path} as .npz or .npy: {error}") from error
    array = loaded
    if array.ndim == 4 and array.shape[1] in (1, 3) and array.shape[-1] not in (1, 3):
        array = array.transpose(0, 2, 3, 1)
    if array.ndim == 4 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.dtype != np.uint8 or array.ndim not in (3, 4) or (array.ndim == 4 and array.shape[-1] != 3):
        raise ValueError(
            f"{path}: images of dtype {loaded.dtype} and shape {loaded.shape}, must be uint8 (N, H, W), "
            "(N, H, W, C) or (N, C, H, W) with C in (1, 3); other data trains with dataset='npz'."
        )
    return _Arrays("npz", path, [array])


class _Lmdb:
    """LSUN's LMDB: keys in sorted order, values JPEG or WebP bytes."""

    def __init__(self, root):
        path = _path(root, "lsun")
        try:
            import lmdb
        except ImportError as error:
            raise ValueError(
                f"reading LSUN's LMDB {path} needs the lmdb package: pip install 'wgan_toys[data]' (or lmdb)."
            ) from error
        self._cursor, self._position = None, 0
        if not (path / "data.mdb").is_file():
            raise ValueError(f"{path} has no data.mdb: pass an LSUN LMDB folder such as bedroom_train_lmdb.")
        self.path = path
        try:
            self.env = lmdb.open(str(path), readonly=True, lock=False, readahead=False, max_readers=1)
        except lmdb.Error as error:
            raise ValueError(f"cannot open the LMDB {path / 'data.mdb'}: {error}") from error
        self.count = self.env.stat()["entries"]
        with self.env.begin() as txn:
            cursor = txn.cursor()
            value = cursor.value() if cursor.first() else b""
        if self.count == 0:
            raise ValueError(f"the LMDB {path / 'data.mdb'} is empty; the source has no images.")
        if not (value[:3] == b"\xff\xd8\xff" or (value[:4] == b"RIFF" and value[8:12] == b"WEBP")):
            raise ValueError(
                f"{path / 'data.mdb'} is not LSUN's layout: its first value is not JPEG or WebP bytes "
                "(LSUN's LMDBs map image hashes to encoded images); pass a *_lmdb folder from LSUN."
            )

    def __len__(self):
        return self.count

    def describe(self) -> dict:
        return {"format": "lsun", "path": str(self.path.resolve()), "items": self.count}

    def items(self, start: int, stop: int):
        """LMDB's sorted key order; a call that starts where the last one stopped goes on from its cursor
        (so reading all N items in chunks is one pass, not N^2 / chunk steps)."""
        if self._cursor is None or self._position != start:
            self._txn = self.env.begin(buffers=False)
            self._cursor = self._txn.cursor()
            self._cursor.first()
            for _ in range(start):  # keys only: cheap
                self._cursor.next()
            self._position = start
        for _ in range(start, min(stop, self.count)):
            yield self._cursor.key().decode("ascii", "replace"), self._cursor.value()
            self._cursor.next()
            self._position += 1


_OPENERS = {"folder": _folder, "celeba": _celeba, "mnist": _mnist, "cifar10": _cifar10, "npz": _npz, "lsun": _Lmdb}


def open_source(kind: str, root):
    """The source ``kind`` (one of :data:`FORMATS`) at ``root``, its layout checked.

    Raises
    ------
    ValueError
        An unknown kind, a missing path, a layout that is not the format's, a source with no images;
        each names the file.
    """
    if kind not in _OPENERS:
        raise ValueError(f"source format {kind!r} is unknown, must be one of {', '.join(FORMATS)}.")
    return _OPENERS[kind](root)
