r"""Image data for the Section 4 trainer: bundled digits, folders, .npz files, torchvision sets.

Everything is read with Pillow and torch only (torchvision is optional: PyPI's build does not
import beside the CPU torch this course pins). Every source gives uint8 images of shape
(C, S, S); the trainer turns a batch into floats in [-1, 1] (the range of the generators' tanh).

Sources (``load_images(dataset=...)``):

- ``"digits"``: scikit-learn's 1,797 real handwritten digits (8x8, 16 grey levels), shipped with
  scikit-learn, so no download; resized to S x S with bicubic interpolation. The default.
- ``"folder"``: every image file under ``root`` (recursively), centre-cropped to a square and
  resized, as DCGAN's LSUN pipeline does.
- ``"npz"``: an array ``images`` (or the file's only array) of shape (N, H, W), (N, H, W, C) or
  (N, C, H, W), uint8 in [0, 255] or floats in [0, 1].
- ``"mnist"``, ``"cifar10"``, ``"lsun"``, ``"celeba"``: torchvision's datasets, from files the user
  already has under ``root`` (never downloaded).

Data that fits in ``preload_budget_bytes`` is decoded once and held on the device as one uint8
tensor (the estimate is printed); larger data streams from disk, decoded by a thread pool.
"""

from __future__ import annotations

import concurrent.futures
import pathlib
import sys
from dataclasses import dataclass

import numpy as np
import torch

from .._validation import check_choice, check_int
from . import DATASETS
from .models import check_channels, check_image_size

__all__ = ["DATASETS", "IMAGE_EXTENSIONS", "ImageData", "load_images", "images_to_float", "digits_arrays"]

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm", ".pgm")
DEFAULT_PRELOAD_BUDGET = 4 * 2**30


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
        image = image.resize((image_size, image_size), Image.BICUBIC)
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


def _read_file(path: pathlib.Path, image_size: int, channels: int):
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return _resize_pil(image, image_size, channels)
    except (OSError, UnidentifiedImageError, ValueError) as error:
        raise ValueError(f"cannot read image file {path}: {error}") from error


@dataclass
class ImageData:
    """A set of images the trainer samples from, preloaded on ``device`` or streamed from disk.

    ``batch(indices)`` returns float32 images in [-1, 1] on ``device``, shape (n, C, S, S).
    ``held_out`` is a fixed set of real images (float, on the CPU) that training never sees,
    for the sliced Wasserstein distance; ``labels`` are the class labels when known (digits).
    """

    name: str
    image_size: int
    channels: int
    count: int
    device: torch.device
    tensor: torch.Tensor | None = None  # uint8 (N, C, S, S) on device, when preloaded
    reader: object = None  # callable index -> uint8 array (C, S, S), when streaming
    held_out: torch.Tensor | None = None
    held_out_labels: np.ndarray | None = None
    skipped: int = 0
    workers: int = 4

    @property
    def preloaded(self) -> bool:
        return self.tensor is not None

    def batch(self, indices: torch.Tensor) -> torch.Tensor:
        if self.tensor is not None:
            return images_to_float(self.tensor.index_select(0, indices.to(self.tensor.device)))
        if getattr(self, "_pool", None) is None:
            self._pool = concurrent.futures.ThreadPoolExecutor(self.workers)  # Pillow decodes without the GIL
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


def _split(count: int, held_out: int, seed: int = 1234):
    order = np.random.default_rng(seed).permutation(count)
    return np.sort(order[held_out:]), np.sort(order[:held_out])


def load_images(dataset: str = "digits", *, root=None, image_size: int = 32, channels: int = 1, device="cpu",
                held_out: int = 300, preload: str = "auto", preload_budget_bytes: int = DEFAULT_PRELOAD_BUDGET,
                skip_unreadable: bool = False, verbose: bool = True) -> ImageData:
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
        A file Pillow cannot read is an error naming it, unless this is set; then it is skipped
        and counted (``ImageData.skipped``, printed).
    """
    check_choice("dataset", dataset, DATASETS)
    check_image_size(image_size)
    check_channels(channels)
    check_int("held_out", held_out, minimum=0)
    check_choice("preload", preload, ("auto", "yes", "no"))
    from ..runtime import resolve_device

    device = resolve_device(device)
    labels = None
    skipped = 0
    reader = None
    arrays = None
    if dataset == "digits":
        arrays, labels = digits_arrays(image_size, channels)
    elif dataset == "npz":
        arrays = _npz_arrays(root, image_size, channels)
    elif dataset == "folder":
        paths, skipped = _folder_paths(root, image_size, channels, skip_unreadable)
        reader = _PathReader(paths, image_size, channels)
    else:
        reader = _torchvision_reader(dataset, root, image_size, channels)
    count = len(arrays) if arrays is not None else len(reader)
    if count <= held_out:
        raise ValueError(f"dataset {dataset!r} has {count} images, must have more than held_out == {held_out}.")
    train_index, held_index = _split(count, held_out)
    estimate = _memory_estimate(len(train_index), channels, image_size)
    do_preload = preload == "yes" or (preload == "auto" and estimate <= preload_budget_bytes)
    if arrays is None and do_preload:
        arrays = np.stack([reader(int(i)) for i in range(count)])
    if verbose:
        how = f"preloaded on {device}" if do_preload else "streamed from disk (over the preload budget)"
        print(f"wgan_toys: {dataset}: {len(train_index)} training images of {channels}x{image_size}x{image_size}, "
              f"{held_out} held out; {_format_bytes(estimate)} as uint8, {how}"
              + (f"; skipped {skipped} unreadable files" if skipped else ""), file=sys.stderr)
    if arrays is not None:
        held = images_to_float(torch.from_numpy(arrays[held_index]))
        data = ImageData(dataset, image_size, channels, len(train_index), device,
                         held_out=held, held_out_labels=None if labels is None else labels[held_index], skipped=skipped)
        if do_preload:
            data.tensor = torch.from_numpy(np.ascontiguousarray(arrays[train_index])).to(device)
        else:
            source = arrays[train_index]
            data.reader = lambda index: source[index]
        return data
    held = images_to_float(torch.from_numpy(np.stack([reader(int(i)) for i in held_index]))) if held_out else None
    train_lookup = train_index.tolist()
    return ImageData(dataset, image_size, channels, len(train_index), device, reader=lambda index: reader(train_lookup[index]),
                     held_out=held, skipped=skipped)


class _PathReader:
    def __init__(self, paths, image_size, channels):
        self.paths, self.image_size, self.channels = paths, image_size, channels

    def __len__(self):
        return len(self.paths)

    def __call__(self, index: int):
        return _read_file(self.paths[index], self.image_size, self.channels)


def _folder_paths(root, image_size, channels, skip_unreadable):
    if root is None:
        raise ValueError("dataset 'folder' needs root: the folder that holds the images (--data-root DIR).")
    root = pathlib.Path(root)
    if not root.is_dir():
        raise ValueError(f"root == {str(root)!r} is not a folder; pass the folder that holds the images.")
    paths = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)
    if not paths:
        raise ValueError(f"no image files ({', '.join(IMAGE_EXTENSIONS)}) under {root}; the folder is empty of images.")
    from PIL import Image, UnidentifiedImageError

    def problem(path):
        try:
            with Image.open(path) as image:
                image.verify()
        except (OSError, UnidentifiedImageError, ValueError) as error:
            return error
        return None

    good, skipped = [], 0
    # check every header once, in parallel: an error names the file now, not hours into a run
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        for path, error in zip(paths, pool.map(problem, paths, chunksize=256)):
            if error is None:
                good.append(path)
            elif not skip_unreadable:
                raise ValueError(f"cannot read image file {path}: {error}; fix or remove it, "
                                 "or pass --skip-unreadable to skip such files and count them.") from error
            else:
                skipped += 1
    if not good:
        raise ValueError(f"none of the {len(paths)} image files under {root} could be read.")
    return good, skipped


def _npz_arrays(root, image_size, channels):
    if root is None:
        raise ValueError("dataset 'npz' needs root: the .npz file (--data-root FILE.npz).")
    path = pathlib.Path(root)
    if not path.is_file():
        raise ValueError(f"root == {str(path)!r} is not a file; pass the .npz file.")
    with np.load(path) as archive:
        keys = list(archive.keys())
        if "images" in keys:
            array = archive["images"]
        elif len(keys) == 1:
            array = archive[keys[0]]
        else:
            raise ValueError(f"{path} holds arrays {keys}; name the image array 'images'.")
    if array.ndim == 3:
        array = array[:, None]
    elif array.ndim == 4 and array.shape[-1] in (1, 3) and array.shape[1] not in (1, 3):
        array = array.transpose(0, 3, 1, 2)
    if array.ndim != 4 or array.shape[1] not in (1, 3) or len(array) == 0:
        raise ValueError(f"{path}: images have shape {array.shape}, must be (N, H, W), (N, H, W, C) or (N, C, H, W) with C in (1, 3).")
    if array.dtype != np.uint8:
        if not np.isfinite(array).all() or array.min() < 0 or array.max() > 1:
            raise ValueError(f"{path}: float images must lie in [0, 1] (or be uint8 in [0, 255]); "
                             f"got values in [{array.min()}, {array.max()}].")
        array = np.round(array * 255).astype(np.uint8)
    from PIL import Image

    out = np.empty((len(array), channels, image_size, image_size), dtype=np.uint8)
    for index, image in enumerate(array):
        pil = Image.fromarray(image[0] if image.shape[0] == 1 else image.transpose(1, 2, 0))
        out[index] = _resize_pil(pil, image_size, channels)
    return out


def _torchvision_reader(dataset, root, image_size, channels):
    try:
        import torchvision.datasets as tv_datasets
    except Exception as error:  # not installed, or the PyPI build that fails beside the CPU torch
        raise ValueError(f"dataset {dataset!r} needs torchvision, which does not import here ({error}); "
                         "use dataset 'folder' on the extracted images, or 'npz', or install a torchvision "
                         "that matches your torch (README: GPU setup).") from error
    if root is None:
        raise ValueError(f"dataset {dataset!r} needs root: the folder that holds its files (nothing is downloaded).")
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
