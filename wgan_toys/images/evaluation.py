"""What an image run measures and logs: :class:`Evaluation` (the sliced W1 of generated against
held-out real images beside its real-vs-real floor, the diversity and, on digits, the classes
covered), the row of ``metrics.jsonl`` a logged step writes (:func:`metrics_record`), the progress
bar's fields, the settings recorded in ``config.json`` (:func:`recorded_config`), and
:func:`read_metrics`, which reads a run's metrics back.
"""

from __future__ import annotations

import dataclasses
import pathlib
from typing import TYPE_CHECKING, Protocol

import torch
from torch import nn

from ..run_files import read_jsonl
from .models import count_parameters

if TYPE_CHECKING:
    from .config import ImageConfig
    from .data import ImageSource
    from .quality import DigitsClassifier

__all__ = ["Evaluation", "RunState", "metrics_record", "progress_fields", "recorded_config", "read_metrics"]


class RunState(Protocol):
    """What the records read of a run (an :class:`~wgan_toys.images.trainer.ImageTrainer`)."""

    config: ImageConfig
    generator_step: int
    critic_steps: int
    last: dict
    world_size: int
    device: torch.device
    threads: int
    autocast_dtype: torch.dtype | None
    channels_last: bool
    generator: nn.Module
    critic: nn.Module


class Evaluation:
    """The evaluation of one run, with its yardsticks made at the first use and kept: the floor
    ``sliced_w_real`` and, on digits, the classifier (``classifier_accuracy``: its held-out accuracy)."""

    def __init__(self, config: ImageConfig, data: ImageSource) -> None:
        self.config, self.data = config, data
        self.classifier: DigitsClassifier | None = None
        self.classifier_accuracy: float | None = None  # after the first evaluation on digits
        self.sliced_w_real: float | None = None  # sliced W1 between training and held-out real images, the floor

    def measure(self, images: torch.Tensor) -> dict:
        """Sliced W1 between ``images`` and the held-out real images (``sliced_w``), beside the same
        between the first ``eval_samples`` *training* images and the held-out ones (``sliced_w_real``:
        the floor a perfect generator would reach with these sample sizes); on digits, also the
        classes covered and KL(class histogram || uniform)."""
        from .quality import CONFIDENCE, digits_classifier, diversity, mode_coverage, sliced_wasserstein

        config, data = self.config, self.data
        result = {}
        if data.held_out is not None and len(data.held_out) > 1:
            result["sliced_w"] = sliced_wasserstein(images, data.held_out)
            if self.sliced_w_real is None:  # the floor: as many training images as generated ones, same yardstick
                real = data.batch(torch.arange(min(config.eval_samples, data.count)))
                self.sliced_w_real = sliced_wasserstein(real, data.held_out)
            result["sliced_w_real"] = self.sliced_w_real
            result["diversity"] = diversity(images, data.held_out)
        if config.dataset == "digits":
            if self.classifier is None:
                self.classifier, self.classifier_accuracy = digits_classifier(config.image_size, config.channels)
            result.update(mode_coverage(self.classifier.predict(images, confidence=CONFIDENCE)))
        return result


def metrics_record(trainer: RunState, images: int, seconds: float, wall_seconds: float) -> dict:
    """The ``metrics.jsonl`` row of the step ``trainer`` reached: counters, the last losses, the
    critic's estimate (``wasserstein_estimate``, or ``js_estimate`` for a GAN) and the speed of
    ``images`` critic images in ``seconds``."""
    record = {
        "generator_step": trainer.generator_step,
        "critic_steps": trainer.critic_steps,
        **{k: float(v) for k, v in trainer.last.items() if k != "estimate"},
        "images_per_second": round(images / max(seconds, 1e-9), 2),
        "wall_seconds": round(wall_seconds, 3),
    }
    estimate = float(trainer.last["estimate"])
    record["js_estimate" if trainer.config.is_gan else "wasserstein_estimate"] = estimate
    return record


def progress_fields(record: dict) -> dict:
    """What the progress bar shows beside the step: the estimate, images/s, the sliced W1."""
    name = "W" if "wasserstein_estimate" in record else "JS"
    fields = {
        name: f"{record.get('wasserstein_estimate', record.get('js_estimate')):.4f}",
        "img/s": f"{record['images_per_second']:.0f}",
    }
    if "sliced_w" in record:
        fields["sliced W1"] = f"{record['sliced_w']:.4f}"
    return fields


def recorded_config(trainer: RunState) -> dict:
    """What ``config.json`` records: the config's fields and where and how the run computes."""
    config = dataclasses.asdict(trainer.config)
    config.update(
        world_size=trainer.world_size,
        device=str(trainer.device),
        threads=trainer.threads,
        autocast="bf16" if trainer.autocast_dtype is not None else "fp32",
        memory_format="channels_last" if trainer.channels_last else "contiguous",
        torch_version=torch.__version__,
        generator_parameters=count_parameters(trainer.generator),
        critic_parameters=count_parameters(trainer.critic),
    )
    return config


def read_metrics(out) -> list[dict]:
    """The records of ``out/metrics.jsonl``, in order (a torn last line, what a crash leaves, is
    dropped with a warning; any other bad line is a ValueError naming the file and line)."""
    path = pathlib.Path(out) / "metrics.jsonl"
    if not path.exists():
        raise ValueError(f"no metrics.jsonl in {out}; is it a run folder?")
    return read_jsonl(path)
