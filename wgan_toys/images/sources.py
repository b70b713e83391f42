r"""The real data sets as the trainer's images: ``load_images("mnist" | "cifar10" | "celeba" | "lsun", root=...)``.

The files are read by :mod:`~wgan_toys.images.formats` (numpy, Pillow and ``lmdb``; no torchvision)
from what the user already has under ``root`` (nothing is downloaded): MNIST's
``train-images-idx3-ubyte``, CIFAR-10's ``data_batch_*`` (binary or python), CelebA's
``img_align_celeba`` JPEGs, one LSUN category's LMDB. Each image is decoded as ``prepare-images``
decodes it (:func:`~wgan_toys.images.prepare.resize_image`: a JPEG at the smallest DCT scale that
keeps ``image_size``, centre-cropped, resized with bicubic interpolation).

- Within the preload budget every image is decoded once, by a pool of threads (Pillow decodes
  without the GIL), and the trainer samples from memory.
- Over it, MNIST and CIFAR-10 (arrays in memory or memory-mapped) and CelebA (files) are decoded
  per batch; LSUN's LMDB (3 million images, 37 GB at 64x64x3) is refused with the command that
  prepares it once (``wgan-toys prepare-images``), after which ``dataset="prepared"`` feeds it from
  a memory map at disk speed.
"""

from __future__ import annotations

import concurrent.futures

import numpy as np

from ..runtime import available_cores
from . import ROOT_ARGUMENT
from .formats import decode, open_source
from .prepare import resize_image

__all__ = ["REAL_DATASETS", "RealImages", "decode_in_threads"]

REAL_DATASETS = ("mnist", "cifar10", "celeba", "lsun")
_WHAT = {
    "mnist": "MNIST's folder (train-images-idx3-ubyte or .gz) or the IDX file",
    "cifar10": "the folder of CIFAR-10's data_batch_1.bin ... or data_batch_1 ... (cifar-10-batches-bin or -py)",
    "celeba": "CelebA's img_align_celeba folder (000001.jpg, ...) or the folder above it",
    "lsun": "one LSUN category's LMDB folder, such as bedroom_train_lmdb (data.mdb)",
}
_CHUNK = 256  # images decoded per task


def decode_in_threads(read, count: int, out: np.ndarray, workers: int | None = None) -> np.ndarray:
    """``out[i] = read(i)`` for i < ``count``, by a pool of threads (Pillow decodes without the GIL)."""

    def fill(start: int) -> None:
        for index in range(start, min(start + _CHUNK, count)):
            out[index] = read(index)

    workers = workers or available_cores()
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        list(pool.map(fill, range(0, count, _CHUNK)))  # list(): raises the first error here
    return out


class RealImages:
    """One of :data:`REAL_DATASETS` under ``root``: ``len``, ``preload()`` and (not LSUN) index -> uint8 (C, S, S).

    Raises
    ------
    ValueError
        No ``root``, a folder or file that is not the data set's layout (named, from :func:`~wgan_toys.images.formats.open_source`).
    """

    def __init__(self, dataset: str, root, image_size: int, channels: int, skip_unreadable: bool = False):
        if root is None:
            raise ValueError(f"dataset {dataset!r} needs {ROOT_ARGUMENT}: {_WHAT[dataset]} (nothing is downloaded).")
        self.dataset, self.image_size, self.channels = dataset, image_size, channels
        self.skip_unreadable = skip_unreadable
        self.source = open_source(dataset, root)
        self.root = root
        self.bad: set[int] = set()  # images skipped while streaming (skip_unreadable)

    def __len__(self) -> int:
        return len(self.source)

    def __call__(self, index: int) -> np.ndarray:
        """uint8 (C, S, S); with ``skip_unreadable`` an unreadable image is counted in ``bad`` and the
        next readable one takes its place, so that a batch keeps its size."""
        for offset in range(len(self.source)):
            candidate = (index + offset) % len(self.source)
            if candidate in self.bad:
                continue
            image = self._decode(*next(self.source.items(candidate, candidate + 1)))
            if image is not None:
                return image
            self.bad.add(candidate)
        raise ValueError(
            f"none of the {len(self.source)} images of the {self.dataset} data set under {self.root} can be read."
        )

    def _decode(self, name: str, payload) -> np.ndarray | None:
        """uint8 (C, S, S); an unreadable image is a ValueError naming it, or None with ``skip_unreadable``."""
        try:
            return resize_image(decode(payload, name), self.image_size, self.channels)
        except Exception as error:  # Pillow's many errors for a damaged file, a bomb, an odd mode
            if self.skip_unreadable:
                return None
            raise ValueError(
                f"cannot read image {name} of the {self.dataset} data set under {self.root}: {error}; fix or "
                "remove it, or pass skip_unreadable=True to skip such images and count them."
            ) from error

    def streamable(self) -> str | None:
        """None when images can be decoded per batch; else why not and what to do instead."""
        if self.dataset != "lsun":
            return None
        return (
            f"LSUN's LMDB {self.root} is read in key order and decoded at a few hundred images/s, far "
            "below what training needs; prepare it once with the command wgan-toys prepare-images (Python: "
            f"wgan_toys.images.prepare.prepare_images) at image_size {self.image_size} and channels "
            f"{self.channels} into a new folder DIR, then train with dataset 'prepared' and {ROOT_ARGUMENT} DIR"
        )

    def preload(self, workers: int | None = None) -> tuple[np.ndarray, int]:
        """Every image decoded once, in the source's order: (uint8 (N, C, S, S), images skipped)."""
        count = len(self.source)
        out = np.empty((count, self.channels, self.image_size, self.image_size), np.uint8)
        kept = np.zeros(count, dtype=bool)
        pairs = iter(self.source.items(0, count))  # read in order, here (LMDB's cursor reads sequentially)

        def fill(chunk):
            for index, name, payload in chunk:
                image = self._decode(name, payload)
                if image is not None:
                    out[index], kept[index] = image, True

        workers = workers or available_cores()
        with concurrent.futures.ThreadPoolExecutor(workers) as pool:
            futures = []
            for start in range(0, count, _CHUNK):
                chunk = [(index, *next(pairs)) for index in range(start, min(start + _CHUNK, count))]
                futures.append(pool.submit(fill, chunk))
                if len(futures) > 2 * workers:  # a bounded window: an LMDB's bytes never sit in memory whole
                    futures.pop(0).result()
            for future in futures:
                future.result()
        if kept.all():
            return out, 0
        return out[kept], int(count - kept.sum())
