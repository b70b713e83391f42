"""Where an image run computes: the process's rank among torchrun's processes, its device, its
slice of the global batch, torch's CPU threads and the precision (bfloat16 autocast and
channels-last memory where the device computes bf16 natively), and the networks built there.

:class:`~wgan_toys.images.trainer.ImageTrainer` places itself with :func:`place`, joins the
process group with :func:`init_process_group` and builds its networks with :func:`build_networks`;
on several processes :func:`wrap_for_processes` wraps the critic's objective and the generator in
DistributedDataParallel (see :mod:`~wgan_toys.images.trainer` for what the processes share).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from torch import nn

from ..runtime import resolve_device
from .models import make_image_critic, make_image_generator

if TYPE_CHECKING:
    from .config import ImageConfig

__all__ = [
    "Placement",
    "place",
    "native_bf16",
    "distributed_context",
    "init_process_group",
    "build_networks",
    "clip_targets",
    "wrap_for_processes",
]


@dataclass(frozen=True)
class Placement:
    """One process's share of a run: ``rank`` of ``world_size``, its ``device``, its slice
    ``local_batch`` of the global batch, torch's CPU ``threads``, ``autocast_dtype`` (bfloat16 or
    None for float32) and ``channels_last`` memory."""

    rank: int
    world_size: int
    device: torch.device
    local_batch: int
    threads: int
    autocast_dtype: torch.dtype | None
    channels_last: bool


def native_bf16(device: torch.device) -> bool:
    """Whether ``device`` computes in bfloat16 natively: CUDA GPUs from Ampere on, and CPUs with
    AVX512-BF16 or AMX (oneDNN's check); elsewhere bf16 autocast would be slower than float32."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported(including_emulation=False)
    if device.type == "cpu":
        try:
            return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
        except (AttributeError, RuntimeError):
            return False
    return False


def distributed_context():
    """(rank, world_size, local_rank) from torchrun's environment; (0, 1, 0) without it."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    return int(os.environ.get("RANK", "0")), world_size, int(os.environ.get("LOCAL_RANK", "0"))


def place(config: ImageConfig) -> Placement:
    """This process's :class:`Placement` for ``config``; sets torch's CPU threads (``config.threads``,
    or the process's share of the cores on the CPU).

    Raises
    ------
    ValueError
        If the global ``batch_size`` does not split evenly over the processes.
    """
    rank, world_size, local_rank = distributed_context()
    device_name = config.device
    if world_size > 1 and device_name in ("auto", "cuda") and torch.cuda.is_available():
        device_name = f"cuda:{local_rank}"
    device = resolve_device(device_name)
    if config.batch_size % world_size:
        raise ValueError(
            f"batch_size == {config.batch_size} (the global batch m) must be divisible by "
            f"the number of processes, {world_size}."
        )
    threads = config.threads
    if threads is None and device.type == "cpu":
        threads = max(1, len(os.sched_getaffinity(0)) // world_size)
    if threads is not None:
        torch.set_num_threads(threads)
    use_bf16 = config.precision == "bf16" or (config.precision == "auto" and native_bf16(device))
    return Placement(
        rank=rank,
        world_size=world_size,
        device=device,
        local_batch=config.batch_size // world_size,
        threads=torch.get_num_threads(),
        autocast_dtype=torch.bfloat16 if use_bf16 else None,
        channels_last=config.channels_last if config.channels_last is not None else use_bf16,
    )


def init_process_group(device: torch.device, world_size: int) -> None:
    """Join torchrun's process group (NCCL on GPUs, gloo on the CPU); nothing on one process."""
    if world_size == 1:
        return
    import torch.distributed as dist

    if not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group(backend)


def build_networks(config: ImageConfig, placement: Placement) -> tuple[nn.Module, nn.Module]:
    """The generator and the critic of ``config``, initialised from ``config.seed`` (without
    touching torch's global random state), on the placement's device and memory format."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        generator = make_image_generator(
            config.generator,
            config.image_size,
            config.channels,
            config.noise_dim,
            config.filters,
            config.extra_layers,
            config.mlp_width,
        )
        critic = make_image_critic(
            config.critic,
            config.image_size,
            config.channels,
            config.filters,
            config.extra_layers,
            config.resolved_normalization,
            config.mlp_width,
        )
    if placement.world_size > 1 and placement.device.type == "cuda":
        # batch statistics over the global batch, so N GPUs train what one GPU would
        generator = nn.SyncBatchNorm.convert_sync_batchnorm(generator)
        critic = nn.SyncBatchNorm.convert_sync_batchnorm(critic)
    memory_format = torch.channels_last if placement.channels_last else torch.contiguous_format
    # torch's stubs omit nn.Module.to's memory_format keyword, which it documents and accepts
    generator.to(placement.device, memory_format=memory_format)  # type: ignore[call-overload]
    critic.to(placement.device, memory_format=memory_format)  # type: ignore[call-overload]
    return generator, critic


def clip_targets(critic: nn.Module, clip_parameters: str) -> list[torch.Tensor]:
    """w of Algorithm 1, line 7: every parameter of ``critic`` (``clip_parameters="all"``) or only
    those outside its normalisation layers (``"weights"``)."""
    normalizations = (nn.modules.batchnorm._BatchNorm, nn.GroupNorm, nn.LayerNorm)
    return [
        p
        for module in critic.modules()
        if clip_parameters == "all" or not isinstance(module, normalizations)
        for p in module.parameters(recurse=False)
    ]


def wrap_for_processes(objective: nn.Module, generator: nn.Module, placement: Placement) -> tuple[nn.Module, nn.Module]:
    """``(critic objective, generator forward)``: DistributedDataParallel around each on several
    processes, the modules themselves on one."""
    if placement.world_size == 1:
        return objective, generator
    from torch.nn.parallel import DistributedDataParallel

    ids = [placement.device.index] if placement.device.type == "cuda" else None
    return DistributedDataParallel(objective, device_ids=ids), DistributedDataParallel(generator, device_ids=ids)
