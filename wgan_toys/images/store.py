r"""A prepared store (:mod:`~wgan_toys.images.prepare`) as the trainer's data: memory-mapped, gathered per batch.

``train-images --dataset prepared --data-root DIR`` opens the store with :class:`PreparedStore`:

- start-up reads ``index.json`` only (shards are memory-mapped when a batch first needs them), so it
  takes the same few milliseconds for a thousand images or LSUN's three million;
- a batch is a random gather from the memory maps into a uint8 buffer (pinned memory on CUDA, then a
  non-blocking copy), turned into floats in [-1, 1] on the device;
- before a batch is gathered its images are announced to the kernel (``posix_fadvise(WILLNEED)``,
  one call per image), so that on a cold page cache their reads go to the disk together rather than
  one page fault at a time (``benchmarks/bench_data.py`` measures both);
- :meth:`PreparedStore.prefetch` gathers the next batch in a background thread while the current
  step runs (numpy copies without the GIL), so loading overlaps the step;
- under ``torchrun`` the trainer draws one global permutation on every rank and each rank asks for
  its own slice of each global batch: the ranks' shares are disjoint by construction;
- the held-out images (the index's ``held_out``, drawn by ``prepare-images``) are never in a training
  batch and are read only when evaluation first asks for them.
"""

from __future__ import annotations

import concurrent.futures
import os
import pathlib
import sys
from typing import Any

import numpy as np
import torch

from . import ROOT_ARGUMENT
from .prepare import read_index

__all__ = ["PreparedStore", "open_store"]


def images_to_float(batch: torch.Tensor) -> torch.Tensor:
    """uint8 images in [0, 255] -> float32 in [-1, 1], as ``images.data`` does (which imports this module)."""
    return batch.float().mul_(2.0 / 255.0).sub_(1.0)


class PreparedStore:
    """The images of a prepared store, for the trainer: ``count``, ``batch(indices)``, ``held_out``.

    Parameters
    ----------
    root : path
        The store's folder (``index.json`` and its shards).
    image_size, channels : int, optional
        What the trainer expects; a store of another shape is refused (prepare it again).
    device : torch.device or str, default="cpu"
        Where batches go; on CUDA they pass through pinned memory with a non-blocking copy.
    held_out : int, optional
        How many of the store's held-out images evaluation uses (a prefix of its random draw;
        default: all). Every one of the store's held-out images stays out of training.

    Raises
    ------
    ValueError
        No store, an incomplete store or one of another version, another shape, too few held-out images.
    """

    def __init__(self, root, *, image_size=None, channels=None, device="cpu", held_out=None, verbose=False):
        self.root = pathlib.Path(root)
        index = read_index(self.root)
        if not index["complete"]:
            raise ValueError(
                f"{self.root / 'index.json'}: the store is incomplete; run prepare-images again to resume it."
            )
        self.name, self.image_size, self.channels = "prepared", index["image_size"], index["channels"]
        for name, wanted, stored in (
            ("image_size", image_size, self.image_size),
            ("channels", channels, self.channels),
        ):
            if wanted is not None and wanted != stored:
                raise ValueError(
                    f"{name} == {wanted}, but the store {self.root} holds {stored}: pass --{name.replace('_', '-')} "
                    f"{stored}, or prepare the source again with --{name.replace('_', '-')} {wanted} into a new folder."
                )
        held = np.asarray(index["held_out"], dtype=np.int64)
        if held_out is not None and held_out > len(held):
            raise ValueError(
                f"held_out == {held_out}, must be <= {len(held)}, the held-out images of the store {self.root}; "
                f"lower held_out or prepare again with held_out={held_out}."
            )
        self.shards = [self.root / s["file"] for s in index["shards"]]
        self._counts = [s["count"] for s in index["shards"]]
        self.offsets = np.cumsum([0] + self._counts)
        if self.offsets[-1] != index["count"]:
            raise ValueError(
                f"{self.root / 'index.json'}: the shards' counts add up to {self.offsets[-1]}, the index's count "
                f"is {index['count']}; run prepare-images on {self.root} again to verify it."
            )
        self._check_sizes()
        self._held_shift = np.sort(held) - np.arange(len(held))  # for train position -> store index
        self._held_used = held[: len(held) if held_out is None else held_out]
        self.count = int(index["count"]) - len(held)
        self.device = torch.device(device)
        self.skipped = len(index["skipped"])
        self._maps: dict[int, np.ndarray] = {}
        self._files: dict[int, int] = {}  # shard -> a read-only descriptor, for posix_fadvise
        self._held_out = None
        self._pending = None  # (indices, future) of the prefetched batch
        self._pool = None
        self._pinned = self.device.type == "cuda"
        # two [buffer, copy event] slots, filled alternately (:meth:`_buffer`)
        self._ring: list[list[Any] | None] = [None, None]
        self._turn = 0
        if verbose:
            print(
                f"wgan_toys: prepared store {self.root}: {self.count} training images of "
                f"{self.channels}x{self.image_size}x{self.image_size}, {len(self._held_used)} held out; "
                f"memory-mapped from {len(self.shards)} shards",
                file=sys.stderr,
            )

    def _check_sizes(self) -> None:
        """Each shard file holds at least the bytes of the images the index gives it (a size, not a read):
        a crafted count is refused before a permutation of that many images is allocated."""
        image = self.channels * self.image_size * self.image_size
        for path, count in zip(self.shards, self._counts):
            size = path.stat().st_size if path.is_file() else None  # a missing shard is named when it is mapped
            if size is not None and size < count * image:
                raise ValueError(
                    f"{path}: {size} bytes, too few for the {count} images of {image} bytes the index gives it; "
                    f"run prepare-images on {self.root} again to verify it."
                )

    preloaded = False
    held_out_labels = None

    def store_indices(self, positions: np.ndarray) -> np.ndarray:
        """Training positions 0..count-1 -> the store's indices, skipping the held-out ones."""
        positions = np.asarray(positions, dtype=np.int64)
        return positions + np.searchsorted(self._held_shift, positions, side="right")

    def _map(self, shard: int) -> np.ndarray:
        if shard not in self._maps:
            try:
                self._maps[shard] = np.load(self.shards[shard], mmap_mode="r")
            except (OSError, ValueError) as error:
                raise ValueError(
                    f"{self.shards[shard]} is missing or not a .npy shard ({error}); run prepare-images "
                    f"on {self.root} again to verify it."
                ) from error
            found, wanted = self._maps[shard], (self._counts[shard], self.channels, self.image_size, self.image_size)
            if found.dtype != np.uint8 or found.shape != wanted:  # never cast or read past a shard silently
                del self._maps[shard]
                raise ValueError(
                    f"{self.shards[shard]}: {found.dtype} {found.shape}, the index says uint8 {wanted}; run "
                    f"prepare-images on {self.root} again to verify it."
                )
        return self._maps[shard]

    def advise(self, shard: int, local_index: np.ndarray) -> None:
        """Ask the kernel to start reading these images of ``shard`` now, all at once
        (``posix_fadvise(WILLNEED)``); a no-op where the system has no ``posix_fadvise``."""
        if not hasattr(os, "posix_fadvise"):
            return
        start = self._map(shard).offset  # type: ignore[attr-defined]  # the .npy header's length (a missing shard is named here)
        size = self.channels * self.image_size * self.image_size
        if shard not in self._files:
            self._files[shard] = os.open(self.shards[shard], os.O_RDONLY)
        for index in np.unique(local_index).tolist():
            os.posix_fadvise(self._files[shard], start + index * size, size, os.POSIX_FADV_WILLNEED)

    def gather(self, store_index: np.ndarray, out: np.ndarray | None = None, advise: bool = False) -> np.ndarray:
        """uint8 (n, C, S, S): the store's images ``store_index``, copied from the memory maps into ``out``;
        with ``advise``, the kernel is asked to read them all first (:meth:`advise`)."""
        store_index = np.asarray(store_index, dtype=np.int64)
        if out is None:
            out = np.empty((len(store_index), self.channels, self.image_size, self.image_size), np.uint8)
        shard_of = np.searchsorted(self.offsets, store_index, side="right") - 1
        if len(store_index) and (store_index.min() < 0 or store_index.max() >= self.offsets[-1]):
            raise IndexError(
                f"store indices must lie in [0, {self.offsets[-1]}), got {store_index.min()}..{store_index.max()}"
            )
        parts = [(int(shard), np.flatnonzero(shard_of == shard)) for shard in np.unique(shard_of)]
        if advise:
            for shard, where in parts:
                self.advise(shard, store_index[where] - self.offsets[shard])
        for shard, where in parts:
            out[where] = self._map(shard)[store_index[where] - self.offsets[shard]]
        return out

    def _buffer(self, size: int) -> list[Any]:
        """The next of two ``[uint8 buffer, copy event]`` slots (pinned on CUDA); waits until the buffer's last
        copy to the GPU is done."""
        self._turn ^= 1
        slot = self._ring[self._turn]
        if slot is None or len(slot[0]) != size:
            tensor = torch.empty((size, self.channels, self.image_size, self.image_size), dtype=torch.uint8)
            slot = [tensor.pin_memory() if self._pinned else tensor, None]
            self._ring[self._turn] = slot
        if slot[1] is not None:
            slot[1].synchronize()  # the non-blocking copy that read this buffer has finished
        return slot

    def _load(self, positions: np.ndarray):
        slot = self._buffer(len(positions))
        self.gather(self.store_indices(positions), out=slot[0].numpy(), advise=True)
        return slot

    def prefetch(self, indices: torch.Tensor) -> None:
        """Start gathering the batch ``indices`` in a background thread; :meth:`batch` picks it up."""
        if self._pool is None:
            self._pool = concurrent.futures.ThreadPoolExecutor(1)
        positions = indices.cpu().numpy().copy()
        self._pending = (positions, self._pool.submit(self._load, positions))

    def batch(self, indices: torch.Tensor) -> torch.Tensor:
        """float32 images in [-1, 1] on the device, (n, C, S, S): the training images at positions ``indices``."""
        positions = indices.cpu().numpy()
        pending, self._pending = self._pending, None
        if pending is not None and np.array_equal(pending[0], positions):
            slot = pending[1].result()
        else:
            if pending is not None:
                pending[1].result()  # never two gathers into the ring at once
            slot = self._load(positions)
        tensor = slot[0].to(self.device, non_blocking=self._pinned)
        if self._pinned:
            slot[1] = torch.cuda.Event()
            slot[1].record()
            return images_to_float(tensor)
        return images_to_float(tensor)  # a new float tensor: the buffer is free again

    @property
    def held_out(self) -> torch.Tensor:
        """float32 (h, C, S, S) on the CPU: the held-out images evaluation uses, read on first use."""
        if self._held_out is None:
            self._held_out = images_to_float(torch.from_numpy(self.gather(self._held_used)))
        return self._held_out

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
        self._maps.clear()
        for descriptor in self._files.values():
            os.close(descriptor)
        self._files.clear()

    def __del__(self) -> None:
        for descriptor in getattr(self, "_files", {}).values():  # the shards' descriptors, if close() was not called
            os.close(descriptor)


def open_store(root, *, image_size=None, channels=None, device="cpu", held_out=None, verbose=True) -> PreparedStore:
    """:class:`PreparedStore` for ``load_images("prepared", root=...)``; ``root`` is required."""
    if root is None:
        raise ValueError(f"dataset 'prepared' needs {ROOT_ARGUMENT}: the folder prepare-images wrote.")
    return PreparedStore(
        root, image_size=image_size, channels=channels, device=device, held_out=held_out, verbose=verbose
    )
