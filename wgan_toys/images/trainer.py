r"""The Section 4 image trainer: WGAN (Algorithm 1), the GAN baseline (-log D) and WGAN-GP, on one
process or several (``torchrun``, DistributedDataParallel).

Algorithm 1 on images, with the paper's defaults (``algorithm="wgan"``): RMSProp with
alpha = 5e-5, clipping c = 0.01, batch m = 64, n_critic = 5. The critic ascends eq. (3),
:math:`E_{x \sim P_r} f_w(x) - E_{z} f_w(g_\theta(z))` (lines 2-8), its weights are clipped *after*
each update (line 7), and the generator descends :math:`-E_z f_w(g_\theta(z))` (lines 9-10).
``critic_schedule="paper-code"`` adds what the paper's public code does beyond Algorithm 1:
100 critic iterations for each of the first 25 generator steps and every 500th one.

Clipping follows Algorithm 1: line 7 clips :math:`w`, *all* the critic's parameters, batch-norm
scales and shifts included (``clip_parameters="all"``, the default), so that the parameters lie in
the compact box :math:`\mathcal{W} = [-c, c]^l` that Section 3's argument needs ("the fact that
:math:`\mathcal{W}` is compact implies that all the functions :math:`f_w` will be K-Lipschitz for
some K"). ``clip_parameters="weights"`` clips only convolution and linear weights and leaves the
normalisation layers' parameters free: then :math:`\mathcal{W}` is not compact and no K bounds the
family. The paper's public code also clamps every parameter, but *before* the RMSProp update
instead of after it; here the clip follows the update, in Algorithm 1's order (lines 6-7).

- ``algorithm="gan-logd"``: the DCGAN baseline with the -log D trick (Section 4.1), Adam 2e-4,
  betas (0.5, 0.999), one discriminator step per generator step.
- ``algorithm="gan-minimax"``: the same discriminator and optimiser, the generator descending
  Goodfellow et al.'s minimax loss :math:`E_z \log(1 - D(g_\theta(z)))` (Section 4.2 of the paper).
- ``algorithm="wgan-gp"``: Gulrajani et al. (2017), Adam 1e-4, betas (0, 0.9) by default,
  lambda = 10, n_critic = 5, and a critic with layer norm instead of batch norm.

These defaults are the ``paper`` rows of :data:`~wgan_toys.objectives.DEFAULTS` (each citing its
source), which :class:`ImageConfig` reads; the numbers above quote it.

What a run writes in its folder (``out``; on several processes rank 0 alone writes): ``config.json``,
``metrics.jsonl`` (one row per logged generator step: ``wasserstein_estimate`` (WGAN, WGAN-GP: the
critic's :math:`E_r f - E_g f`) or ``js_estimate`` (GAN: :math:`\log 2 + \tfrac12 L(D)`, the quantity of
Figure 4), the losses, speed and, at evaluation steps, the sample-quality measures of
:mod:`~wgan_toys.images.evaluation`), ``samples/step_NNNNNN.png`` and ``checkpoint.pt``. The folder's
mechanics (one run per folder, atomic writes, resume checks) live in :mod:`~wgan_toys.runs`; the book's
"Run folders" page lists them. ``ImageTrainer.resume(out)`` continues exactly where the checkpoint
stopped: on the CPU, the parameters are bitwise equal to those of an uninterrupted run. Only
:data:`RESUME_MAY_CHANGE` (``device``, ``threads``) may differ on resume, and ``generator_steps`` may
move but never below the step the checkpoint reached.

Speed: ``precision="auto"`` autocasts the networks to bfloat16 where the device computes it natively
(CUDA GPUs from Ampere on; CPUs with AVX512-BF16 or AMX), with channels-last memory; parameters,
optimiser states, clipping and losses stay float32. ``precision="fp32"`` is the exact setting.
``benchmarks/bench_images.py`` measures both.

Every random draw (data order, noise, WGAN-GP's epsilon) comes from one ``torch.Generator`` that
all processes share. Each draws the *global* batch of ``batch_size`` and keeps its own slice, so
N processes compute the same gradient as one process with the same global batch (DDP averages
the slices' gradients) up to the order of floating-point sums. Batch norm is the exception on the
CPU: each process normalises its own slice (measured: the parameters then differ from a
single-process run by about 0.07 after three steps, while without batch norm they agree to 1e-8).
On GPUs the batch-norm layers become ``SyncBatchNorm``, whose statistics span the global batch.

References
----------
Arjovsky, Chintala, Bottou (2017), arXiv:1701.07875, Algorithm 1, Section 4, Figures 3-7.
Gulrajani et al. (2017), arXiv:1704.00028, Algorithm 1.
"""

from __future__ import annotations

import contextlib
import dataclasses
import pathlib
import signal
import sys
import threading
import time

import torch
from torch import nn

from .._validation import check_int
from ..algorithm1 import CriticObjective, critic_update, generator_update, make_optimizer
from ..lipschitz import GradientPenalty, NoConstraint, WeightClipping
from ..objectives import ALGORITHMS, generator_loss_kind
from ..run_files import (
    CHECKPOINT,
    PREVIOUS_CHECKPOINT,
    NonFiniteState,
    atomic_write_bytes,
    describe_os_error,
    save_checkpoint,
    truncate_jsonl,
)
from ..runs import (
    RUN_FILES,
    RunFolder,
    load_latest_checkpoint,
    new_run_id,
    refuse_existing_run,
    run_lock,
)
from ..runtime import progress_bar
from .checkpoints import check_checkpoint, check_counters, check_recorded_config
from .config import RESUME_MAY_CHANGE, ImageConfig, resumed_values, upgrade_config
from .data import check_batch_size, load_images
from .evaluation import Evaluation, metrics_record, progress_fields, read_metrics, recorded_config
from .placement import Placement, build_networks, clip_targets, init_process_group, place, wrap_for_processes

__all__ = [
    "ALGORITHMS",
    "CHECKPOINT",
    "RESUME_MAY_CHANGE",
    "ImageConfig",
    "ImageTrainer",
    "TrainingStopped",
    "read_metrics",
]

CHECKPOINT_KEYS = (
    "config",
    "generator",
    "critic",
    "generator_optimizer",
    "critic_optimizer",
    "random",
    "order",
    "position",
    "generator_step",
    "critic_steps",
    "wall_seconds",
)
# what a run writes: markers refuse a new run unless overwrite; with overwrite, every file of RUN_FILES is deleted
RUN_MARKERS = ("config.json", "metrics.jsonl", CHECKPOINT, PREVIOUS_CHECKPOINT)
RUN_OUTPUTS = tuple(name for name in RUN_FILES if name not in RUN_MARKERS)


class TrainingStopped(RuntimeError):
    """The run stopped early (a NaN or infinite loss or state, a checkpoint that could not be
    written); the last good checkpoint is kept."""


class ImageTrainer:
    """Holds a whole image run: data, networks, optimisers, random stream, counters and folder.

    >>> trainer = ImageTrainer(ImageConfig(generator_steps=2, image_size=16, filters=8, noise_dim=8,
    ...                                    eval_every=2, sample_every=2, checkpoint_every=2, device="cpu"),
    ...                        verbose=False)
    >>> trainer.train().generator_step, trainer.critic_steps
    (2, 10)
    """

    def __init__(
        self,
        config: ImageConfig,
        out=None,
        *,
        verbose: bool = True,
        overwrite: bool = False,
        _state: dict | None = None,
    ):
        self.config = config
        self.overwrite = overwrite  # a new run may replace the run files already in out
        placement = place(config)  # sets torch's threads
        self.rank, self.world_size, self.device = placement.rank, placement.world_size, placement.device
        self.local_batch, self.threads = placement.local_batch, placement.threads
        self.autocast_dtype, self.channels_last = placement.autocast_dtype, placement.channels_last
        self.is_main = self.rank == 0
        self.verbose = verbose and self.is_main
        self.out = pathlib.Path(out) if out is not None else None
        init_process_group(self.device, self.world_size)
        self.data = load_images(
            config.dataset,
            root=config.data_root,
            image_size=config.image_size,
            channels=config.channels,
            device=self.device,
            held_out=config.held_out,
            preload=config.preload,
            skip_unreadable=config.skip_unreadable,
            verbose=self.verbose,
        )
        check_batch_size(config.batch_size, self.data)  # a batch never silently shrinks to the dataset
        self.generator, self.critic = build_networks(config, placement)
        self.clip_targets: list[torch.Tensor] = clip_targets(self.critic, config.clip_parameters)
        self._init_algorithm(placement)
        self.rng = torch.Generator().manual_seed(config.seed)
        self.fixed_noise = torch.randn(64, config.noise_dim, generator=torch.Generator().manual_seed(config.seed + 1))
        self.order = torch.randperm(self.data.count, generator=self.rng)
        self.position, self.generator_step, self.critic_steps, self.wall_seconds = 0, 0, 0, 0.0
        self.last: dict = {}
        self._nonfinite = torch.zeros((), dtype=torch.bool, device=self.device)
        self._stop_requested, self._saving = False, False
        self.stop_signal = None  # the signal (SIGINT, SIGTERM) that stopped the last train() early
        self.saved_step = None  # the generator step of the last checkpoint written or loaded
        self.evaluation = Evaluation(config, self.data)
        self.run_id: str | None = new_run_id()  # recorded in config.json, the checkpoint and each metrics row
        self._resumed = _state is not None
        if _state is not None:
            self._load_state(_state)
            self.saved_step = self.generator_step

    # ----- set-up --------------------------------------------------------------------------
    def _init_algorithm(self, placement: Placement) -> None:
        """The optimisers (Algorithm 1, lines 6 and 11), the Lipschitz constraint and the critic's
        objective, wrapped in DistributedDataParallel on several processes."""
        config = self.config
        rate, betas = config.resolved_learning_rate, config.resolved_betas
        self.critic_optimizer = make_optimizer(
            self.critic.parameters(), config.algorithm, "paper", learning_rate=rate, betas=betas
        )
        self.generator_optimizer = make_optimizer(
            self.generator.parameters(), config.algorithm, "paper", learning_rate=rate, betas=betas
        )
        self.constraint = (
            WeightClipping(config.clip_value, select=lambda critic: self.clip_targets)  # w of Alg. 1, line 7
            if config.algorithm == "wgan"
            else GradientPenalty(config.penalty_weight)
            if config.algorithm == "wgan-gp"
            else NoConstraint()  # a GAN discriminator: its loss is its own
        )
        uses_batch_norm = any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in self.critic.modules())
        # batch norm: real and fake get their own statistics; otherwise one forward on both
        objective = CriticObjective(
            self.critic, self.constraint, discriminator=config.is_gan, joint_batch=not uses_batch_norm
        )
        # DDP-wrapped on several processes
        self.critic_objective, self.generator_forward = wrap_for_processes(objective, self.generator, placement)

    @property
    def classifier_accuracy(self) -> float | None:
        """Held-out accuracy of the digits classifier, after the first evaluation on digits."""
        return self.evaluation.classifier_accuracy

    @classmethod
    def resume(
        cls, out, *, generator_steps: int | None = None, settings: dict | None = None, verbose: bool = True
    ) -> "ImageTrainer":
        """Rebuild a run from ``out/checkpoint.pt`` (loaded with ``weights_only=True``, its CRC-32
        checked; ``checkpoint.previous.pt`` with a warning if it fails) and the config it records.

        Parameters
        ----------
        out : str or path-like
            The run folder.
        generator_steps : int or None, default=None
            A new total of generator steps, >= the step the checkpoint reached (extend a run).
        settings : dict or None, default=None
            Settings given again (``ImageConfig`` field names, e.g. the command's flags). Each
            must equal what the run recorded, except :data:`RESUME_MAY_CHANGE` (``device``,
            ``threads``) and ``generator_steps`` as above.

        Raises
        ------
        ValueError
            No loadable checkpoint (naming the files), a changed setting (listing each), or
            ``generator_steps`` below the step reached.
        """
        out = pathlib.Path(out)
        state, path = load_latest_checkpoint(out, CHECKPOINT_KEYS)
        check_counters(state, path)
        values = check_recorded_config(
            upgrade_config(check_recorded_config(state["config"], path, ImageConfig, upgraded=False), path),
            path,
            ImageConfig,
        )
        RunFolder(out).check_resume(state.get("run_id"), state["generator_step"], path, values["log_every"])
        values = resumed_values(values, settings, generator_steps, int(state["generator_step"]), out)
        return cls(ImageConfig(**values), out, verbose=verbose, _state={**state, "_path": path})

    def state_dict(self) -> dict:
        return {
            "run_id": self.run_id,
            "config": dataclasses.asdict(self.config),
            "generator": self.generator.state_dict(),
            "critic": self.critic.state_dict(),
            "generator_optimizer": self.generator_optimizer.state_dict(),
            "critic_optimizer": self.critic_optimizer.state_dict(),
            "random": self.rng.get_state(),
            "order": self.order,
            "position": self.position,
            "generator_step": self.generator_step,
            "critic_steps": self.critic_steps,
            "wall_seconds": self.wall_seconds,
        }

    def _load_state(self, state: dict) -> None:
        # every piece checked against the networks, data and random stream this config builds, before loading
        check_checkpoint(self, state, state.get("_path", "the checkpoint"))
        self.run_id = state.get("run_id")
        self.generator.load_state_dict(state["generator"])
        self.critic.load_state_dict(state["critic"])
        self.generator_optimizer.load_state_dict(state["generator_optimizer"])
        self.critic_optimizer.load_state_dict(state["critic_optimizer"])
        self.rng.set_state(state["random"])
        self.order, self.position = state["order"], int(state["position"])
        self.generator_step, self.critic_steps = int(state["generator_step"]), int(state["critic_steps"])
        self.wall_seconds = float(state["wall_seconds"])

    def save_checkpoint(self) -> pathlib.Path | None:
        """Write ``checkpoint.pt`` atomically (:func:`~wgan_toys.run_files.save_checkpoint`: a
        temporary file, then ``os.replace``; the replaced one kept as ``checkpoint.previous.pt``);
        rank 0 only.

        Raises
        ------
        TrainingStopped
            If a parameter or optimiser state is NaN or infinite (nothing is written), or the file
            cannot be written (a full disk: the temporary file is removed); the message names the
            step and the last good checkpoint.
        """
        if self.out is None or not self.is_main:
            return None
        path = self.out / CHECKPOINT
        kept = (
            f"The last good checkpoint ({path}, generator step {self.saved_step}) is kept."
            if self.saved_step is not None
            else "No checkpoint of this run was written before."
        )
        with run_lock(self.out):
            self._saving = True
            try:
                RunFolder(self.out, self.run_id).sync_metrics()  # every row up to this step is on disk first
                save_checkpoint(path, self.state_dict())
            except NonFiniteState as error:
                shown = ", ".join(error.names[:3]) + (
                    f" and {len(error.names) - 3} more" if len(error.names) > 3 else ""
                )
                raise TrainingStopped(
                    f"the parameters or optimiser state became NaN or infinite by generator step "
                    f"{self.generator_step} ({shown}); they were not saved. {kept} Lower the learning "
                    "rate, or for WGAN check the clip value."
                ) from None
            except OSError as error:
                then = (
                    f"then continue it with resume=True (out {self.out})"
                    if self.saved_step is not None
                    else f"then start it again with overwrite=True (out {self.out})"
                )
                raise TrainingStopped(
                    f"could not write {path} at generator step {self.generator_step}: "
                    f"{describe_os_error(error)}; the temporary file was removed. {kept} Free space "
                    f"(or fix the folder), {then}."
                ) from None
            finally:
                self._saving = False
        self.saved_step = self.generator_step
        return path

    # ----- random draws (global batch, then this process's slice) --------------------------
    def _indices(self) -> torch.Tensor:
        size = self.config.batch_size
        if self.position + size > len(self.order):
            self.order = torch.randperm(self.data.count, generator=self.rng)
            self.position = 0
        chosen = self.order[self.position : self.position + size]
        self.position += size
        return self._local(chosen)

    def _local(self, tensor: torch.Tensor) -> torch.Tensor:
        start = self.rank * self.local_batch
        return tensor[start : start + self.local_batch]

    def _noise(self) -> torch.Tensor:
        noise = torch.randn(self.config.batch_size, self.config.noise_dim, generator=self.rng)
        return self._local(noise).to(self.device, non_blocking=True)

    def _real(self) -> torch.Tensor:
        real = self.data.batch(self._indices())
        upcoming = self.order[self.position : self.position + self.config.batch_size]
        if hasattr(self.data, "prefetch") and len(upcoming) == self.config.batch_size:
            self.data.prefetch(self._local(upcoming))  # the next batch is gathered during this step
        return real.contiguous(memory_format=torch.channels_last) if self.channels_last else real

    def _autocast(self):
        if self.autocast_dtype is None:
            return torch.autocast(self.device.type, enabled=False)
        return torch.autocast(self.device.type, dtype=self.autocast_dtype)

    # ----- Algorithm 1 ----------------------------------------------------------------------
    def critic_step(self) -> None:
        """One critic (discriminator) update on a fresh real batch and a fresh generated batch:
        Algorithm 1, lines 3-7 (:func:`~wgan_toys.algorithm1.critic_update`; clipping after the
        update, line 7, for WGAN). The trainer adds the devices: the global batch's slice of this
        process, autocast, DistributedDataParallel, and WGAN-GP's epsilon drawn from the shared stream."""

        def sample_fake():
            noise = self._noise()
            with torch.no_grad(), self._autocast():  # no autograd graph for the generator here
                return self.generator(noise)

        def objective(real, fake):
            epsilon = None
            if self.config.algorithm == "wgan-gp":  # one global draw, this process's slice
                epsilon = self._local(torch.rand(self.config.batch_size, 1, 1, 1, generator=self.rng))
                epsilon = epsilon.to(self.device)
            with self._autocast():
                return self.critic_objective(real, fake, epsilon)

        loss, estimate = critic_update(
            self.critic, objective, self.critic_optimizer, self.constraint, self._real, sample_fake
        )
        self.critic_steps += 1
        self._nonfinite |= ~torch.isfinite(loss.detach())
        self.last["critic_loss"], self.last["estimate"] = loss.detach(), estimate

    def generator_step_update(self) -> None:
        """One generator update: Algorithm 1, lines 9-10 (WGAN, WGAN-GP: descend -E f(g(z));
        GAN: descend -E log D(g(z)), the -log D trick, or E log(1 - D(g(z))), the minimax loss)."""
        loss = generator_update(
            self.critic,
            self.generator_forward,
            self.generator_optimizer,
            generator_loss_kind(self.config.algorithm),
            self._noise,
            autocast=self._autocast,
        )
        self.generator_step += 1
        self._nonfinite |= ~torch.isfinite(loss.detach())
        self.last["generator_loss"] = loss.detach()

    def iteration(self) -> None:
        """``critic_iterations`` critic steps, then one generator step."""
        for _ in range(self.config.critic_iterations(self.generator_step)):
            self.critic_step()
        self.generator_step_update()

    # ----- evaluation ------------------------------------------------------------------------
    @torch.no_grad()
    def generate(self, noise: torch.Tensor) -> torch.Tensor:
        """Images for ``noise`` (float32 on the CPU), in batches of the training batch size.

        The generator stays in training mode (batch statistics, as the paper's code samples), and
        its batch-norm buffers are restored afterwards, so looking at samples never changes a run.
        """
        buffers = [buffer.clone() for buffer in self.generator.buffers()]
        pieces = []
        for start in range(0, len(noise), self.config.batch_size):
            with self._autocast():
                pieces.append(
                    self.generator(noise[start : start + self.config.batch_size].to(self.device)).float().cpu()
                )
        for buffer, saved in zip(self.generator.buffers(), buffers):
            buffer.copy_(saved)
        return torch.cat(pieces)

    def evaluate(self) -> dict:
        """Sliced W1 between ``eval_samples`` generated and the held-out real images
        (``sliced_w``), beside the same between the first ``eval_samples`` *training* images and
        the held-out ones (``sliced_w_real``: the floor a perfect generator would reach with
        these sample sizes); on digits, also the classes covered and KL(class histogram || uniform)
        (:meth:`Evaluation.measure <wgan_toys.images.evaluation.Evaluation.measure>`)."""
        generator = torch.Generator().manual_seed(self.config.seed + 2)  # the same noise at every evaluation
        noise = torch.randn(self.config.eval_samples, self.config.noise_dim, generator=generator)
        return self.evaluation.measure(self.generate(noise))

    # ----- the loop ---------------------------------------------------------------------------
    def _check_finite(self) -> None:
        bad = self._nonfinite.clone()
        if self.world_size > 1:
            import torch.distributed as dist

            flag = bad.to(torch.int32)
            dist.all_reduce(flag)
            bad = flag > 0
        if bool(bad):
            where = (
                f" The last checkpoint (generator step {self.saved_step}, {self.out / CHECKPOINT}) is kept."
                if self.out is not None and self.saved_step is not None
                else ""
            )
            raise TrainingStopped(
                f"a loss became NaN or infinite by generator step {self.generator_step} "
                f"(last values: {self._last_values()}).{where} Lower the learning rate, or for WGAN check the clip value."
            )

    def _last_values(self) -> dict:
        return {key: round(float(value), 6) for key, value in self.last.items()}

    def _agree_to_stop(self) -> bool:
        if self.world_size == 1:
            return self._stop_requested
        import torch.distributed as dist

        flag = torch.tensor([int(self._stop_requested)], device=self.device if self.device.type == "cuda" else "cpu")
        dist.all_reduce(flag)
        return bool(flag.item())

    def _prepare_folder(self) -> None:
        if self.out is None or not self.is_main:
            return
        if not self._resumed and self.generator_step == 0:
            refuse_existing_run(self.out, RUN_MARKERS, overwrite=self.overwrite)  # overwrite: every RUN_FILES file
        self._resumed = True  # later calls of train() continue this run
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / "samples").mkdir(exist_ok=True)
        RunFolder(self.out, self.run_id).write_config(recorded_config(self))
        metrics = self.out / "metrics.jsonl"
        if metrics.exists():  # on resume, drop what was logged after the checkpoint (atomically)
            step = self.generator_step
            truncate_jsonl(metrics, lambda record: record.get("generator_step", 0) <= step)

    def _save_samples(self) -> None:
        if self.out is None or not self.is_main:
            return
        import io

        from PIL import Image

        from .grids import image_grid

        path = self.out / "samples" / f"step_{self.generator_step:06d}.png"
        encoded = io.BytesIO()
        Image.fromarray(image_grid(self.generate(self.fixed_noise))).save(encoded, format="PNG")
        try:
            atomic_write_bytes(path, encoded.getvalue())  # a full disk leaves no truncated PNG
        except OSError as error:
            raise TrainingStopped(
                f"could not write the sample grid {path} at generator step {self.generator_step}: "
                f"{describe_os_error(error)}; no partial file was left. Free space (or fix the folder)."
            ) from None

    def train(self, until: int | None = None) -> "ImageTrainer":
        """Run generator steps up to ``until`` (default ``config.generator_steps``); log, sample,
        evaluate and checkpoint on the way, holding the folder's lock.

        Ctrl-C or SIGTERM finishes the current generator step, writes the checkpoint and returns
        with :attr:`stop_signal` set; a second Ctrl-C before the checkpoint is being written stops
        at once (KeyboardInterrupt, the last checkpoint kept), one while it is written is ignored.
        A non-finite loss or state raises :class:`TrainingStopped`."""
        config = self.config
        until = config.generator_steps if until is None else check_int("until", until, minimum=0)
        self._stop_requested, self.stop_signal = False, None
        previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

        def request_stop(signum, frame):
            if self._stop_requested:
                if self._saving:  # never leave a half-written checkpoint behind: let it finish
                    if self.is_main:
                        print("\nwgan_toys: still writing the checkpoint; it stops when that is done", file=sys.stderr)
                    return
                self.stop_signal = signum
                raise KeyboardInterrupt  # a second Ctrl-C stops at once; the last checkpoint is kept
            self._stop_requested, self.stop_signal = True, signum
            if self.is_main:
                print(
                    f"\nwgan_toys: stopping after generator step {self.generator_step + 1}, writing the checkpoint "
                    "(press Ctrl-C again to stop at once)",
                    file=sys.stderr,
                )

        in_main_thread = threading.current_thread() is threading.main_thread()  # signals go to the main thread only
        with contextlib.ExitStack() as stack:
            if self.out is not None and self.is_main:
                stack.enter_context(run_lock(self.out))  # one run per folder, for as long as it trains
            if in_main_thread:  # before the folder is touched: a Ctrl-C never interrupts a rewrite
                stack.callback(lambda: [signal.signal(sig, handler) for sig, handler in previous.items()])
                for sig in previous:
                    signal.signal(sig, request_stop)
            self._prepare_folder()
            progress = stack.enter_context(progress_bar(until, "train-images", enabled=None if self.verbose else False))
            progress.n = progress.last_print_n = progress.initial = min(self.generator_step, until)  # a resumed run
            self._train_loop(until, progress)
        return self

    def _train_loop(self, until: int, progress) -> None:
        config = self.config
        interval_start, interval_critic = time.perf_counter(), self.critic_steps
        wall_start = time.perf_counter() - self.wall_seconds
        if self.generator_step == 0 and self.generator_step < until:
            self._save_samples()
        while self.generator_step < until:
            self.iteration()
            step = self.generator_step
            progress.update(1)
            stop = self._agree_to_stop()
            log_now = step % config.log_every == 0 or step == until or stop
            if log_now or step % config.checkpoint_every == 0:
                self._check_finite()
            if log_now:
                now = time.perf_counter()
                images = (self.critic_steps - interval_critic) * config.batch_size
                record = metrics_record(self, images, now - interval_start, now - wall_start)
                if step % config.eval_every == 0 or step == until:
                    record.update(self.evaluate())
                if self.out is not None and self.is_main:
                    RunFolder(self.out, self.run_id).append_metrics(record)
                progress.set_postfix(progress_fields(record), refresh=False)
            if step % config.sample_every == 0 or step == until:
                self._save_samples()
            self.wall_seconds = time.perf_counter() - wall_start
            if step % config.checkpoint_every == 0 or step == until or stop:
                self.save_checkpoint()
            if log_now:  # the next interval starts here: evaluation, samples and checkpoints are not timed
                interval_start, interval_critic = time.perf_counter(), self.critic_steps
            if stop:
                break
        self.wall_seconds = time.perf_counter() - wall_start

    def close(self) -> None:
        """Leave the process group (torchrun runs)."""
        if self.world_size > 1:
            import torch.distributed as dist

            if dist.is_initialized():
                dist.destroy_process_group()
