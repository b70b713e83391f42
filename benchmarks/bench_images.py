"""Generator steps per second of WGAN image training: the paper's public code against ImageTrainer.

Both sides train the same networks the same way, Algorithm 1 with the paper's settings: RMSProp
with learning rate 5e-5, clipping c = 0.01, n_critic = 5 critic steps per generator step, batch
m = 64, the DCGAN generator and the DCGAN critic with batch norm (``make_image_generator`` /
``make_image_critic`` from ``wgan_toys.images.models``), 3 channels, noise dimension 100, 64
filters, float32 (bar the bf16 rows), on the CPU with 2 torch threads, at image sizes 32 and 64
(``--quick``: 16). The data are scikit-learn's digits on both sides (all 1,797 for the baseline,
as the paper code reads a whole folder; 1,497 for ours, which holds 300 out for evaluation, which
never runs here). What differs is the training loop:

- the baseline is the way the paper's public code (github.com/martinarjovsky/WassersteinGAN,
  ``main.py``) trains, ported to current torch and written out below (:class:`PaperCodeTrainer`):
  a ``torch.utils.data.DataLoader`` (batch 64, shuffled, no worker processes, last partial
  batch dropped) over a dataset whose ``__getitem__`` transforms each image every time it is
  read, as torchvision's ``Scale``, ``CenterCrop``, ``ToTensor`` and ``Normalize`` do (written
  here with Pillow, numpy and torch, since torchvision does not import beside this CPU torch);
  every critic parameter, batch-norm scales and shifts included, clamped one tensor at a time
  *before* each critic update; separate backward passes for the real and the generated batch;
- ours is ``wgan_toys.images.trainer.ImageTrainer``: the digits preloaded once as one uint8
  tensor (a batch is an ``index_select`` and one multiply-add), one backward pass for the
  critic's loss, clipping of the convolution weights after the update with two fused
  multi-tensor kernels. Its defaults (``precision="auto"``: bf16 autocast with channels-last
  memory where the CPU computes bfloat16 natively, AVX512-BF16 or AMX, else float32) and its
  single options (float32, float32 + channels-last, bf16 without channels-last) are timed as
  separate rows, each against the same baseline.

The achieved GFLOP/s column is the FLOP count of one generator step with its critic steps
(``torch.utils.flop_counter``, convolutions and matrix products, forward and backward) times the
measured steps per second; ``--peak-tflops`` (the device's data-sheet peak) adds the achieved
fraction. ``--device cuda`` runs both loops on a GPU and adds its peak memory.

One timed block is ``--steps`` generator steps (each with its 5 critic steps) after 2 warm-up
steps. The implementations run in rounds, the baseline first and then each of ours (A B C ...
A B C ...), ``--pairs`` rounds, so that load that drifts during the run hits them alike; the ratio
reported is the median over rounds of (baseline block time / ours block time), i.e. how many
times more generator steps per second ours makes. Images per second count the real images the
critic sees: 5 x 64 per generator step. Target: ours at least 1.3x the baseline at 32x32 and
64x64 on the CPU. The table is printed, never asserted.

Run ``python benchmarks/bench_images.py`` (about 8 minutes on a 2-core CPU) or ``--quick``
(32x32 only, one round of 2 steps, about 15 s).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import time

import numpy as np
import torch
from _timing import format_seconds, print_table  # puts the repo on sys.path
from PIL import Image

from wgan_toys.images.data import digits_arrays
from wgan_toys.images.models import make_image_critic, make_image_generator
from wgan_toys.images.trainer import ImageConfig, ImageTrainer

LEARNING_RATE = 5e-5  # alpha, Algorithm 1
CLIP_VALUE = 0.01  # c, Algorithm 1
CRITIC_ITERATIONS = 5  # n_critic, Algorithm 1 (the paper code's Diters after its first 25 steps)
BATCH_SIZE = 64  # m, Algorithm 1
CHANNELS = 3
NOISE_DIM = 100
FILTERS = 64
THREADS = 2
WARM_UP_STEPS = 2
TARGET_RATIO = 1.3

# ImageTrainer's speed options timed against the baseline: row label -> ImageConfig fields
OUR_VARIANTS = {
    "ours, defaults (auto)": {},
    'ours, precision="fp32"': {"precision": "fp32", "channels_last": False},
    "ours, fp32 + channels_last": {"precision": "fp32", "channels_last": True},
    'ours, precision="bf16"': {"precision": "bf16", "channels_last": False},
}


# ----- the baseline: the paper's public code, ported ----------------------------------------
class PaperCodeDigits(torch.utils.data.Dataset):
    """scikit-learn's digits as the paper code reads an image folder: PIL images, transformed
    on every ``__getitem__`` by Scale(S), CenterCrop(S), ToTensor(), Normalize(0.5, 0.5).

    The images are held at their native 8x8 (as RGB), so that every read pays the resize, as
    reading LSUN or CIFAR-10 at another size does in the paper code.
    """

    def __init__(self, image_size: int):
        arrays, labels = digits_arrays(8, CHANNELS)  # uint8 (N, 3, 8, 8)
        self.images = [Image.fromarray(np.ascontiguousarray(array.transpose(1, 2, 0))) for array in arrays]
        self.labels = labels
        self.image_size = image_size
        self.mean = torch.tensor([0.5, 0.5, 0.5]).view(3, 1, 1)
        self.std = torch.tensor([0.5, 0.5, 0.5]).view(3, 1, 1)

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int):
        image = self.images[index]
        image = scale_shorter_side(image, self.image_size)
        image = center_crop(image, self.image_size)
        array = np.array(image, dtype=np.uint8, copy=True)  # (S, S, 3), as ToTensor reads a PIL image
        tensor = torch.from_numpy(array).permute(2, 0, 1).contiguous().float().div(255)
        tensor = tensor.sub_(self.mean).div_(self.std)  # [0, 1] -> [-1, 1]
        return tensor, int(self.labels[index])


def scale_shorter_side(image: Image.Image, size: int) -> Image.Image:
    """torchvision's ``Scale(size)`` (now ``Resize``): the shorter side to ``size``, bilinear."""
    width, height = image.size
    if min(width, height) == size:
        return image
    if width <= height:
        new_size = (size, int(size * height / width))
    else:
        new_size = (int(size * width / height), size)
    return image.resize(new_size, Image.BILINEAR)


def center_crop(image: Image.Image, size: int) -> Image.Image:
    """torchvision's ``CenterCrop(size)``."""
    width, height = image.size
    left, top = int(round((width - size) / 2.0)), int(round((height - size) / 2.0))
    return image.crop((left, top, left + size, top + size))


class PaperCodeTrainer:
    """The training loop of the paper code's ``main.py`` (WGAN, ``--adam`` off), one generator
    step per :meth:`iteration`, with ``Diters = 5`` throughout.

    Modern equivalents of 2017 idioms: ``torch.no_grad()`` for ``volatile=True``, and losses
    with their signs in place of ``backward(one)`` / ``backward(mone)``. The code's copy of each
    batch into a preallocated ``input`` tensor (a CUDA staging buffer) is left out.
    """

    def __init__(self, image_size: int, seed: int = 0, device: str = "cpu"):
        torch.manual_seed(seed)
        self.device = torch.device(device)
        self.generator = make_image_generator("dcgan", image_size, CHANNELS, NOISE_DIM, FILTERS).to(self.device)
        self.critic = make_image_critic("dcgan", image_size, CHANNELS, FILTERS, 0, "batch").to(self.device)
        self.critic_optimizer = torch.optim.RMSprop(self.critic.parameters(), lr=LEARNING_RATE)
        self.generator_optimizer = torch.optim.RMSprop(self.generator.parameters(), lr=LEARNING_RATE)
        self.dataloader = torch.utils.data.DataLoader(
            PaperCodeDigits(image_size), batch_size=BATCH_SIZE, shuffle=True, num_workers=0, drop_last=True
        )
        self.data_iterator = iter(self.dataloader)

    def next_real_batch(self) -> torch.Tensor:
        try:
            real, _labels = next(self.data_iterator)
        except StopIteration:  # end of the epoch: the code starts a new pass over the data
            self.data_iterator = iter(self.dataloader)
            real, _labels = next(self.data_iterator)
        return real.to(self.device)  # the code copies each batch into a device buffer

    def iteration(self) -> None:
        for parameter in self.critic.parameters():  # reset requires_grad (set to False below)
            parameter.requires_grad = True
        for _ in range(CRITIC_ITERATIONS):
            for parameter in self.critic.parameters():  # clamp before the update, batch norm included
                parameter.data.clamp_(-CLIP_VALUE, CLIP_VALUE)
            real = self.next_real_batch()
            self.critic.zero_grad()
            loss_real = -self.critic(real).mean()
            loss_real.backward()
            noise = torch.randn(BATCH_SIZE, NOISE_DIM, device=self.device)
            with torch.no_grad():  # volatile=True: no graph through the generator
                fake = self.generator(noise)
            loss_fake = self.critic(fake).mean()
            loss_fake.backward()
            self.critic_optimizer.step()
        for parameter in self.critic.parameters():  # no parameter gradients for the critic
            parameter.requires_grad = False
        self.generator.zero_grad()
        noise = torch.randn(BATCH_SIZE, NOISE_DIM, device=self.device)
        loss_generator = -self.critic(self.generator(noise)).mean()
        loss_generator.backward()
        self.generator_optimizer.step()
        for parameter in self.critic.parameters():
            parameter.requires_grad = True


# ----- ours ------------------------------------------------------------------------------------
def make_our_trainer(image_size: int, device: str = "cpu", **options) -> ImageTrainer:
    """ImageTrainer with Algorithm 1's defaults and nothing but training: no logging, samples,
    evaluation or checkpoints, no run folder."""
    never = 10**9
    config = ImageConfig(
        algorithm="wgan",
        dataset="digits",
        image_size=image_size,
        channels=CHANNELS,
        noise_dim=NOISE_DIM,
        filters=FILTERS,
        batch_size=BATCH_SIZE,
        device=device,
        threads=THREADS,
        eval_every=never,
        sample_every=never,
        checkpoint_every=never,
        log_every=never,
        generator_steps=never,
        **options,
    )
    return ImageTrainer(config, out=None, verbose=False)


def time_block(trainer, steps: int) -> float:
    """Wall time of ``steps`` calls of ``trainer.iteration()`` (one generator step each)."""
    synchronize(trainer)
    start = time.perf_counter()
    for _ in range(steps):
        trainer.iteration()
    synchronize(trainer)
    return time.perf_counter() - start


def synchronize(trainer) -> None:
    """Wait for a GPU's queued work, so that a timed block measures it."""
    if trainer.device.type == "cuda":
        torch.cuda.synchronize(trainer.device)


def bf16_supported(device=torch.device("cpu")) -> bool:
    """Whether the device runs bfloat16 matrix kernels natively (a GPU from Ampere on; a CPU
    with AVX512-BF16 or AMX, by oneDNN's check)."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported(including_emulation=False)
    try:
        return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def flops_per_generator_step(image_size: int, device: str = "cpu") -> int:
    """Floating-point operations of one generator step with its 5 critic steps (forward and
    backward passes, counted by torch.utils.flop_counter; the same work for every row)."""
    from torch.utils.flop_counter import FlopCounterMode

    trainer = make_our_trainer(image_size, device, precision="fp32", channels_last=False)
    with FlopCounterMode(display=False) as counter:
        trainer.iteration()
    return counter.get_total_flops()


def benchmark_size(
    image_size: int, variants: dict, steps: int, rounds: int, device: str = "cpu", peak_gflops: float | None = None
) -> list[list[str]]:
    """Table rows for one image size: the baseline, then each variant of ours."""
    flops = flops_per_generator_step(image_size, device)
    baseline = PaperCodeTrainer(image_size, device=device)
    ours = {label: make_our_trainer(image_size, device, **options) for label, options in variants.items()}
    for trainer in [baseline, *ours.values()]:
        time_block(trainer, WARM_UP_STEPS)
    baseline_seconds: list[float] = []
    our_seconds: dict[str, list[float]] = {label: [] for label in ours}
    for _ in range(rounds):  # baseline, ours, ours, ...; then again
        baseline_seconds.append(time_block(baseline, steps))
        for label, trainer in ours.items():
            our_seconds[label].append(time_block(trainer, steps))

    def row(label: str, seconds: list[float], ratio: str, spread: str) -> list[str]:
        steps_per_second = steps / statistics.median(seconds)
        return [
            f"{image_size}x{image_size}  {label}",
            format_seconds(1.0 / steps_per_second),
            f"{steps_per_second:.3f}",
            f"{steps_per_second * CRITIC_ITERATIONS * BATCH_SIZE:.0f}",
            f"{flops * steps_per_second / 1e9:.0f}",
            f"{flops * steps_per_second / 1e9 / peak_gflops:.1%}" if peak_gflops else "-",
            ratio,
            spread,
        ]

    rows = [row("paper code (baseline)", baseline_seconds, "1.00x", "-")]
    for label, seconds in our_seconds.items():
        ratios = [base / our for base, our in zip(baseline_seconds, seconds)]
        ratio = statistics.median(ratios)
        verdict = "yes" if ratio >= TARGET_RATIO else "no"
        rows.append(row(label, seconds, f"{ratio:.2f}x ({verdict})", f"{min(ratios):.2f}-{max(ratios):.2f}x"))
    return rows


def main(argv=None) -> int:
    global THREADS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 16x16 only, one round of 1 generator step")
    parser.add_argument("--sizes", type=int, nargs="+", default=[32, 64], help="image sizes (default: 32 64)")
    parser.add_argument("--steps", type=int, default=5, help="generator steps per timed block (default: 5)")
    parser.add_argument("--pairs", type=int, default=5, help="rounds of baseline and ours (default: 5)")
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda / cuda:N: both loops on that GPU")
    parser.add_argument(
        "--threads", type=int, default=THREADS, help=f"torch CPU threads for both loops (default: {THREADS})"
    )
    parser.add_argument(
        "--peak-tflops", type=float, help="the device's peak TFLOP/s (from its data sheet) for the 'of peak' column"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.steps, args.pairs = [16], 1, 1
    for name in ("steps", "pairs", "threads"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} == {getattr(args, name)}, must be >= 1")
    for size in args.sizes:
        if size not in (16, 32, 64, 128):
            parser.error(f"--sizes: {size} is not one of 16, 32, 64, 128")
    default_threads = torch.get_num_threads()
    THREADS = args.threads  # both loops, and the trainer's config, use this count
    torch.set_num_threads(THREADS)
    from wgan_toys.runtime import resolve_device

    try:
        device = resolve_device(args.device)
    except ValueError as error:  # no such GPU: say how to get one
        parser.error(f"--device: {error}")
    variants = dict(OUR_VARIANTS)
    if not bf16_supported(device):
        variants = {label: options for label, options in variants.items() if options.get("precision") != "bf16"}

    start = time.perf_counter()
    print(
        f"WGAN (Algorithm 1: RMSProp 5e-5, clip 0.01, n_critic 5, batch 64), DCGAN generator and critic "
        f"with batch norm, {CHANNELS} channels, noise {NOISE_DIM}, {FILTERS} filters, on {device}"
    )
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads (torch's default here: {default_threads}, "
        f"{os.cpu_count()} CPUs), {platform.machine()}, device {device}, bf16 kernels: {'yes' if bf16_supported(device) else 'no (bf16 rows skipped)'}; "
        f"load average {os.getloadavg()[0]:.2f} at the start"
    )
    print(
        f"{args.pairs} round(s) of {args.steps} generator steps per implementation after {WARM_UP_STEPS} warm-up steps; "
        f"ratio = median over rounds of baseline time / ours time. Target: >= {TARGET_RATIO}x at 32x32 and 64x64 on the CPU."
    )
    rows = []
    for size in args.sizes:
        rows += benchmark_size(
            size, variants, args.steps, args.pairs, str(device), args.peak_tflops * 1000 if args.peak_tflops else None
        )
    print_table(
        [
            "size  implementation",
            "per generator step",
            "steps/s",
            "critic images/s",
            "achieved GFLOP/s",
            "of peak",
            f"speed / baseline (>= {TARGET_RATIO}x)",
            "range over rounds",
        ],
        rows,
    )
    if device.type == "cuda":
        print(
            f"GPU {torch.cuda.get_device_name(device)}: peak memory allocated "
            f"{torch.cuda.max_memory_allocated(device) / 2**20:.0f} MiB"
        )
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(
        f"peak RSS {peak_kib / 1024:.0f} MiB; wall time {format_seconds(time.perf_counter() - start)}; "
        f"load average {os.getloadavg()[0]:.2f} at the end (this benchmark alone adds about {THREADS}; "
        "more means other work shared the CPU and the times are noisy)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
