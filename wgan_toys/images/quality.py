r"""Offline quality numbers for generated images: sliced Wasserstein distance and, on digits,
mode coverage from a small classifier.

- :func:`sliced_wasserstein` averages the exact 1D W1 over random directions of the flattened
  images (``ot.sliced_wasserstein_distance``, p = 1), between generated and held-out real images.
  The directions come from a fixed seed, so numbers along one run and across runs compare.
- :func:`diversity` compares how far apart generated images are with how far apart real ones
  are: near 0 when the generator produces one image whatever the noise (mode collapse).
- :class:`DigitsClassifier` is an MLP trained on the training split of scikit-learn's digits at
  the run's image size (held-out accuracy about 0.95-0.98), cached on disk after its first fit
  (written atomically, with a SHA-256 of its weights: a cache that does not load or verify is
  rebuilt, with a warning).
  :func:`mode_coverage` turns its confident predictions (probability >= 0.9) on generated images
  into the classes produced and the KL divergence of the class histogram from uniform: the
  paper's "significant degree of mode collapse in the GAN MLP" (Figure 7) as a number. Images it
  cannot read as a digit with that confidence (noise, blobs) count for no class.
"""

from __future__ import annotations

import hashlib
import math
import os
import pathlib
import tempfile
import warnings

import numpy as np
import torch
from torch import nn

__all__ = ["sliced_wasserstein", "diversity", "DigitsClassifier", "digits_classifier", "mode_coverage", "cache_dir"]

SLICED_PROJECTIONS = 512
SLICED_SEED = 0


def cache_dir() -> pathlib.Path:
    """Where trained helpers are cached: ``$WGAN_TOYS_CACHE``, else ``~/.cache/wgan_toys``."""
    return pathlib.Path(os.environ.get("WGAN_TOYS_CACHE", pathlib.Path.home() / ".cache" / "wgan_toys"))


def sliced_wasserstein(
    generated: torch.Tensor, real: torch.Tensor, n_projections: int = SLICED_PROJECTIONS, seed: int = SLICED_SEED
) -> float:
    """Sliced W1 between two image batches (flattened), by POT with ``n_projections`` directions.

    ``generated`` and ``real`` are batches of shape (n, ...) and (m, ...) with the same shape
    after the first axis: torch tensors of any real dtype (bfloat16 included, converted to
    float64), numpy arrays or lists. Empty, NaN, infinite, complex, string or object input is
    a ValueError or TypeError naming the argument.
    """
    import ot

    from .._validation import as_real_array, check_int, check_samples

    n_projections = check_int("n_projections", n_projections, minimum=1)
    x, y = as_real_array("generated", generated), as_real_array("real", real)
    if x.ndim == 0 or y.ndim == 0 or x.shape[1:] != y.shape[1:]:
        raise ValueError(
            f"generated images have shape {x.shape[1:]} and real {y.shape[1:]}; they must match "
            f"(batches of shape (n, ...) with the same image shape)."
        )
    x = check_samples("generated", x, flatten=True)
    y = check_samples("real", y, flatten=True)
    return float(ot.sliced_wasserstein_distance(x, y, n_projections=n_projections, p=1, seed=seed))


def diversity(generated: torch.Tensor, real: torch.Tensor) -> float:
    """Mean pairwise distance between generated images over that between real images.

    About 1 when the samples differ from one another as much as real images do; near 0 when
    they are all alike: mode collapse in its plainest form (Figure 7's GAN MLP), measured without
    a classifier.

    >>> images = torch.rand(50, 1, 4, 4, generator=torch.Generator().manual_seed(0))
    >>> diversity(images, images), diversity(images[:1].repeat(50, 1, 1, 1), images)
    (1.0, 0.0)
    """

    def mean_distance(images):
        flat = images.detach().float().cpu().reshape(len(images), -1)
        distances = torch.cdist(flat, flat)
        return distances.sum() / (len(flat) * (len(flat) - 1))

    return round(float(mean_distance(generated) / mean_distance(real)), 4)


class DigitsClassifier(nn.Module):
    """MLP (C*S*S -> 256 -> 256 -> 10) on images in [-1, 1]."""

    def __init__(self, image_size: int, channels: int):
        super().__init__()
        self.image_size, self.channels = image_size, channels
        self.main = nn.Sequential(
            nn.Flatten(),
            nn.Linear(channels * image_size * image_size, 256),
            nn.ReLU(),
            nn.Linear(256, 256),
            nn.ReLU(),
            nn.Linear(256, 10),
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.main(images)

    @torch.no_grad()
    def predict(self, images: torch.Tensor, batch: int = 512, confidence: float = 0.0) -> np.ndarray:
        """Predicted digits; -1 where the largest class probability is below ``confidence``
        (noise and scribbles are "no digit", not a class)."""
        labels = []
        for start in range(0, len(images), batch):
            probabilities = torch.softmax(self(images[start : start + batch].float().cpu()), dim=1)
            best, label = probabilities.max(1)
            labels.append(torch.where(best >= confidence, label, torch.full_like(label, -1)))
        return torch.cat(labels).numpy()


def _fit_classifier(image_size: int, channels: int, seed: int = 0):
    from .data import digits_arrays, images_to_float, split_indices

    arrays, labels = digits_arrays(image_size, channels)
    train_index, test_index = split_indices(len(arrays), 300)
    images = images_to_float(torch.from_numpy(arrays))
    targets = torch.from_numpy(labels)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a small MLP: one thread is fastest, and safe beside other jobs
    try:
        model = _fit(images[train_index], targets[train_index], image_size, channels, seed)
    finally:
        torch.set_num_threads(threads)
    accuracy = float((model.predict(images[test_index]) == labels[test_index]).mean())
    return model, accuracy


def _fit(train_images, train_targets, image_size, channels, seed):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = DigitsClassifier(image_size, channels)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-4)
        for _ in range(40):
            order = torch.randperm(len(train_images))
            for start in range(0, len(order), 128):
                batch = order[start : start + 128]
                # small random shifts make it robust to generated digits that sit off-centre
                shifted = torch.roll(
                    train_images[batch], shifts=tuple(torch.randint(-1, 2, (2,)).tolist()), dims=(2, 3)
                )
                loss = nn.functional.cross_entropy(model(shifted), train_targets[batch])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
    return model


def _weights_digest(state: dict) -> str:
    """SHA-256 of a state dict's names, dtypes, shapes and bytes: damaged bytes that still unpickle
    (torch.load checks no checksum) do not pass for a classifier."""
    digest = hashlib.sha256()
    for name in sorted(state):
        tensor = state[name].detach().cpu().contiguous()
        digest.update(f"{name}:{tensor.dtype}:{tuple(tensor.shape)};".encode())
        digest.update(tensor.view(torch.uint8).numpy().tobytes() if tensor.numel() else b"")
    return digest.hexdigest()


def _load_cached(path: pathlib.Path, image_size: int, channels: int):
    """The cached classifier and its accuracy; raises whatever a damaged file makes loading raise."""
    saved = torch.load(path, weights_only=True)
    if not isinstance(saved, dict) or saved.get("sha256") != _weights_digest(saved["state"]):
        raise ValueError("its weights do not match their SHA-256 (damaged, or written by an older version)")
    model = DigitsClassifier(image_size, channels)
    model.load_state_dict(saved["state"])
    return model, float(saved["accuracy"])


def _save_atomically(payload: dict, path: pathlib.Path) -> None:
    """torch.save to a unique temporary file in the same folder, fsync, then os.replace: a reader
    sees the old file or the new one, never half of one, whoever else writes it at the same time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as file:
            torch.save(payload, file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        pathlib.Path(temporary).unlink(missing_ok=True)
        raise


def digits_classifier(image_size: int = 32, channels: int = 1, cache: bool = True):
    """The digits classifier for this image size, from the cache or trained (a few seconds) and
    cached. Returns ``(model, held_out_accuracy)``.

    A cache file that fails to load or to match its SHA-256 (truncated, damaged, foreign) is
    rebuilt with a warning; a cache folder that cannot be written is warned about and skipped.
    """
    path = cache_dir() / f"digits_classifier_{channels}x{image_size}_v1.pt"
    if cache and path.exists():
        try:
            return _load_cached(path, image_size, channels)
        except Exception as error:  # any failure to load means: rebuild, never a crashed run
            warnings.warn(
                f"the cached digits classifier {path} cannot be used ({type(error).__name__}: {error}); "
                "training it again (a few seconds) and replacing the file.",
                stacklevel=2,
            )
    model, accuracy = _fit_classifier(image_size, channels)
    if cache:
        state = model.state_dict()
        try:
            _save_atomically({"state": state, "accuracy": accuracy, "sha256": _weights_digest(state)}, path)
        except OSError as error:
            warnings.warn(
                f"cannot cache the digits classifier at {path} ({error}); it will be trained again next "
                "time (set WGAN_TOYS_CACHE to a writable folder).",
                stacklevel=2,
            )
    return model, accuracy


CONFIDENCE = 0.9


def mode_coverage(labels: np.ndarray, classes: int = 10, minimum_share: float = 0.01) -> dict:
    """Mode coverage of predicted labels (-1 = no confident digit).

    ``classes_covered``: classes with at least ``minimum_share`` of *all* samples;
    ``class_kl``: KL(histogram of the confident labels || uniform) in nats, log(classes) when
    none is confident; ``confident_fraction``: the share of samples read as a digit.

    >>> mode_coverage(np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]))
    {'classes_covered': 10, 'class_kl': 0.0, 'confident_fraction': 1.0}
    >>> mode_coverage(np.zeros(50, dtype=int))["class_kl"] == round(math.log(10), 6)
    True
    >>> mode_coverage(np.full(20, -1))
    {'classes_covered': 0, 'class_kl': 2.302585, 'confident_fraction': 0.0}
    """
    labels = np.asarray(labels, dtype=np.int64)
    confident = labels[labels >= 0]
    counts = np.bincount(confident, minlength=classes).astype(float)
    covered = int(np.sum(counts >= minimum_share * len(labels))) if len(confident) else 0
    if len(confident):
        share = counts / counts.sum()
        present = share > 0
        kl = max(float(np.sum(share[present] * np.log(share[present] * classes))), 0.0)
    else:
        kl = math.log(classes)
    return {
        "classes_covered": covered,
        "class_kl": round(kl, 6),
        "confident_fraction": round(len(confident) / max(len(labels), 1), 4),
    }
