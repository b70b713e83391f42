r"""Image data for the Section 4 trainer: bundled digits, folders, .npz files, the real data sets, prepared stores.

Everything is read with numpy, Pillow, ``lmdb`` and torch (no torchvision). Every source gives
uint8 images of shape (C, S, S); the trainer turns a batch into floats in [-1, 1] (the range of
the generators' tanh).

Sources (``load_images(dataset=...)``):

- ``"digits"``: scikit-learn's 1,797 real handwritten digits (8x8, 16 grey levels), shipped with
  scikit-learn, so no download; resized to S x S with bicubic interpolation. The default.
- ``"folder"``: every image file under ``root`` (:mod:`~wgan_toys.images.folder`).
- ``"npz"``: an image array in a ``.npz`` or ``.npy`` file, memory-mapped where it can be
  (:mod:`~wgan_toys.images.npz`).
- ``"mnist"``, ``"cifar10"``, ``"celeba"``, ``"lsun"``: the data sets' own files, which the user
  already has under ``root`` (never downloaded), read without torchvision
  (:mod:`~wgan_toys.images.sources`).
- ``"prepared"``: a store written by ``wgan-toys prepare-images``, memory-mapped
  (:mod:`~wgan_toys.images.store`): the way to train on LSUN at full scale.

Data that fits in ``preload_budget_bytes`` is decoded once and held on the device as one uint8
tensor (the estimate is printed); larger data streams from disk, decoded by a thread pool.
"""

from __future__ import annotations

import concurrent.futures
import sys
from dataclasses import dataclass
from typing import Callable, Protocol

import numpy as np
import torch

from .._validation import check_choice, check_int
from . import DATASETS, ROOT_ARGUMENT
from .folder import IMAGE_EXTENSIONS, PathReader, folder_paths, resize_pil
from .models import check_channels, check_image_size
from .npz import NpzImages
from .sources import REAL_DATASETS, RealImages, decode_in_threads

__all__ = [
    "DATASETS",
    "IMAGE_EXTENSIONS",
    "ImageData",
    "ImageSource",
    "load_images",
    "images_to_float",
    "digits_arrays",
    "check_batch_size",
    "split_indices",
]

DEFAULT_PRELOAD_BUDGET = 4 * 2**30


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


def images_to_float(batch: torch.Tensor) -> torch.Tensor:
    """uint8 images in [0, 255] -> float32 in [-1, 1]."""
    return batch.float().mul_(2.0 / 255.0).sub_(1.0)


def digits_arrays(image_size: int = 32, channels: int = 1):
    """scikit-learn's digits resized to ``image_size``: uint8 images (N, C, S, S) and labels (N,)."""
    from PIL import Image
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = np.empty((len(digits.images), channels, image_size, image_size), dtype=np.uint8)
    for index, small in enumerate(digits.images):
        grey = Image.fromarray(np.round(small * (255.0 / 16.0)).astype(np.uint8), mode="L")
        images[index] = resize_pil(grey, image_size, channels)
    return images, digits.target.astype(np.int64)


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
    files: _CountsSkipped | None = None  # the reader of a streamed folder or data set: counts what it skipped

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


class _CountsSkipped(Protocol):
    bad: set[int]  # the indices of the images skipped while streaming


@dataclass
class _Opened:
    """A source before the preload decision: its size, index -> uint8 (C, S, S), and how to decode it all."""

    count: int
    reader: Callable[[int], np.ndarray]  # index -> uint8 (C, S, S)
    preload: Callable[[], tuple[np.ndarray, int]]  # -> (uint8 (N, C, S, S), images skipped while decoding)
    labels: np.ndarray | None = None
    skipped: int = 0
    files: _CountsSkipped | None = None
    not_streamable: str | None = None  # why it cannot be read per batch, and what to do instead


def _in_threads(reader: Callable[[int], np.ndarray], count: int, image_size: int, channels: int):
    """The preloader of a random-access reader: every image decoded once, by a pool of threads."""
    out = np.empty((count, channels, image_size, image_size), np.uint8)
    return lambda: (decode_in_threads(reader, count, out), 0)


def _open(dataset: str, root, image_size: int, channels: int, skip_unreadable: bool) -> _Opened:
    if dataset == "digits":
        arrays, labels = digits_arrays(image_size, channels)
        return _Opened(len(arrays), arrays.__getitem__, lambda: (arrays, 0), labels=labels)
    if dataset in REAL_DATASETS:
        images = RealImages(dataset, root, image_size, channels, skip_unreadable)
        return _Opened(len(images), images, images.preload, files=images, not_streamable=images.streamable())
    if root is None:
        what = "the folder that holds the images" if dataset == "folder" else "the .npz file, or a .npy array file"
        raise ValueError(f"dataset {dataset!r} needs {ROOT_ARGUMENT}: {what}.")
    if dataset == "npz":
        array = NpzImages(root, image_size, channels)
        preload = _in_threads(array, len(array), image_size, channels)
        return _Opened(len(array), array, preload, not_streamable=array.streamable())
    paths, skipped, divisor = folder_paths(root, image_size, channels, skip_unreadable)
    files = PathReader(paths, image_size, channels, divisor, skip_unreadable)
    return _Opened(
        len(files), files, _in_threads(files, len(files), image_size, channels), skipped=skipped, files=files
    )


def _check_count(dataset: str, count: int, held_out: int) -> None:
    if count <= held_out:
        raise ValueError(f"dataset {dataset!r} has {count} images, must have more than held_out == {held_out}.")


def _split_in_place(arrays: np.ndarray, train_index: np.ndarray, held_index: np.ndarray):
    """(training images, held-out images): the held-out ones copied out, then the training ones moved
    to the front of ``arrays`` in place, chunk by chunk (``train_index`` is sorted, so every chunk's
    sources lie at or after its destination), and returned as a view: no second full-size copy."""
    held = arrays[held_index]
    if not arrays.flags.writeable:
        return arrays[train_index], held
    step = 4096
    for start in range(0, len(train_index), step):
        chunk = train_index[start : start + step]
        arrays[start : start + len(chunk)] = arrays[chunk]
    return arrays[: len(train_index)], held


def _print_loaded(dataset, count, held_out, channels, image_size, device, preloaded, skipped) -> None:
    slow = dataset in ("celeba", "lsun") and count > 50_000  # JPEGs: minutes of decoding at each start
    how = f"preloaded on {device}" if preloaded else "streamed from disk (over the preload budget)"
    print(
        f"wgan_toys: {dataset}: {count} training images of {channels}x{image_size}x{image_size}, "
        f"{held_out} held out; {_format_bytes(_memory_estimate(count, channels, image_size))} as uint8, {how}"
        + (f"; skipped {skipped} unreadable files" if skipped else "")
        + ("; decoded at every start (prepare-images decodes it once, for dataset 'prepared')" if slow else ""),
        file=sys.stderr,
    )


def _preloaded(dataset, opened: _Opened, image_size, channels, device, held_out, verbose) -> ImageData:
    arrays, skipped = opened.preload()
    skipped += opened.skipped
    _check_count(dataset, len(arrays), held_out)
    train_index, held_index = split_indices(len(arrays), held_out)
    train, held = _split_in_place(arrays, train_index, held_index)
    if verbose:
        _print_loaded(dataset, len(train), held_out, channels, image_size, device, True, skipped)
    return ImageData(
        dataset,
        image_size,
        channels,
        len(train),
        device,
        tensor=torch.from_numpy(np.ascontiguousarray(train)).to(device),
        held_out=images_to_float(torch.from_numpy(held)),
        held_out_labels=None if opened.labels is None else opened.labels[held_index],
        skipped_at_load=skipped,
    )


def _streamed(dataset, opened: _Opened, image_size, channels, device, held_out, verbose) -> ImageData:
    train_index, held_index = split_indices(opened.count, held_out)
    if verbose:
        _print_loaded(dataset, len(train_index), held_out, channels, image_size, device, False, opened.skipped)
    reader = opened.reader
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
        held_out_labels=None if opened.labels is None else opened.labels[held_index],
        skipped_at_load=opened.skipped,
        files=opened.files,
    )


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
    """Load ``dataset`` (one of :data:`DATASETS`) as an :class:`ImageData` (``"prepared"``: a
    :class:`~wgan_toys.images.store.PreparedStore`).

    Parameters
    ----------
    root : path, optional
        The folder (``"folder"``, the real data sets, ``"prepared"``) or file (``"npz"``); not used by ``"digits"``.
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
        An unknown setting, a missing or unreadable source (named), fewer images than ``held_out``,
        a source that cannot stream over the budget (LSUN's LMDB, a compressed ``.npz``: the message
        says how to prepare it instead).

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
    opened = _open(dataset, root, image_size, channels, skip_unreadable)
    _check_count(dataset, opened.count, held_out)
    estimate = _memory_estimate(opened.count - held_out, channels, image_size)
    if preload == "yes" or (preload == "auto" and estimate <= preload_budget_bytes):
        return _preloaded(dataset, opened, image_size, channels, device, held_out, verbose)
    if opened.not_streamable is not None:
        reason = "preload == 'no'" if preload == "no" else f"over preload_budget_bytes == {preload_budget_bytes}"
        raise ValueError(
            f"dataset {dataset!r}: {opened.count - held_out} training images of {channels}x{image_size}x{image_size} are "
            f"{_format_bytes(estimate)} as uint8, {reason}, so they would stream; but {opened.not_streamable}."
        )
    return _streamed(dataset, opened, image_size, channels, device, held_out, verbose)


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
