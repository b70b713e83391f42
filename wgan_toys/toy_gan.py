r"""A GAN / WGAN / WGAN-GP trainer for 2D toy data, with exact W1 as the yardstick.

:class:`ToyGAN` holds the whole state (generator g_theta, critic or discriminator, optimisers,
random stream, history) in one object, with a stepping API that a script, a test or a
classroom widget drives alike: :meth:`ToyGAN.critic_step`, :meth:`ToyGAN.generator_step_update`,
:meth:`ToyGAN.iteration` (n_critic critic steps, then one generator step: Algorithm 1,
lines 2-10), :meth:`ToyGAN.train` and :meth:`ToyGAN.evaluate`. ``wgan-toys toy`` runs the
same object.

Algorithms (``ToyConfig.algorithm``, the names of :data:`~wgan_toys.objectives.ALGORITHMS`):

- ``gan-minimax``: the minimax GAN, the generator descends :math:`E_z \log(1 - D(g_\theta(z)))`;
- ``gan-logd``: the -log D trick, the generator descends :math:`-E_z \log D(g_\theta(z))`
  (the paper's baseline, Section 4);
- ``wgan``: Algorithm 1 (RMSProp, clipping to [-c, c]); the generator descends
  :math:`-E_z f_w(g_\theta(z))`;
- ``wgan-gp``: WGAN-GP: Adam, the penalty lambda on interpolates.

Every algorithm-dependent default (optimiser, alpha, betas, n_critic, c, lambda, m) is the ``toy``
row of :data:`~wgan_toys.objectives.DEFAULTS`, filled in by :meth:`ToyConfig.resolved`: alpha is
ten times Algorithm 1's for WGAN (5e-4) and 1e-3 for the others, so that a toy moves within a few
thousand steps (WGAN-GP's toy script uses 1e-4).

At each evaluation the trainer logs, besides the losses, the critic's estimate
:math:`E_r f - E_g f` (WGAN) or the GAN's JS estimate :math:`\tfrac12 L(D) + \log 2` (Figure 4),
the *exact* W1 between a fresh generated sample and a fresh real sample (``ot.emd2`` on n >= 1000
points each), the size of the generator's gradient at the generated points (:meth:`ToyGAN.push`),
and the mode coverage of mixtures. For the momentum remark of Section 4.2 it logs
the cosine between the critic optimiser's step and the ascent direction of the critic's
objective ("as the loss blew up ... the cosine between the Adam step and the gradient usually
turned negative").

A run that explodes while staying finite stops like one that turns NaN, with a
:class:`~wgan_toys.train.TrainingDivergedError` naming the quantity (after the row is logged):
:meth:`ToyGAN.train` checks each evaluation against ``EXPLOSION_FACTOR = 1000``: the exact W1
against 1000 times the data's scale (the root mean square norm of real points, about 2 on every
toy), the estimate's absolute value against 1000 times the larger of the exact W1 and that
scale, and each network's parameter norm against 1000 times its norm at initialisation (at
least 1). A healthy run stays orders of magnitude below these (its estimate is at most a few
times W1, its parameters move by at most alpha per step); a learning rate of 1e3 crosses them
within ten steps.

:func:`run_folder` holds a run folder for ``wgan-toys toy`` (locked while the run writes it, never
overwritten without ``overwrite``, ``config.json`` written atomically; the mechanics are those of
:mod:`~wgan_toys.runs`).

References
----------
Arjovsky, Chintala, Bottou (2017), arXiv:1701.07875, Algorithm 1, Sections 3-4, Figures 3-4.
Gulrajani et al. (2017), arXiv:1704.00028, Algorithm 1 and the toy experiments.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import time

import numpy as np
import torch
from torch.nn import functional

from ._validation import check_int
from .algorithm1 import CriticObjective, critic_update, generator_update, make_optimizer
from .lipschitz import GradientPenalty, LipschitzConstraint, NoConstraint, WeightClipping
from .networks import make_critic, make_generator
from .objectives import (
    gan_objective,
    generator_loss_kind,
    generator_losses,
    js_estimate,
    wasserstein_estimate,
)
from .runs import RunFolder
from .runtime import build_seeded, resolve_device, torch_generator
from .toy_config import ALGORITHMS, DATASETS, ToyConfig
from .toys2d import make_dataset, mode_coverage
from .train import TrainingDivergedError

__all__ = ["ALGORITHMS", "DATASETS", "ToyConfig", "ToyGAN", "claims_table", "logged_estimate", "run_folder"]

RUN_MARKERS = ("config.json", "metrics.jsonl")  # a folder holding one of these holds a run
RUN_OUTPUTS = ("toy_run.png", "samples_over_iterations.png", "samples.gif")  # deleted with it on overwrite
# Metric keys renamed in the toy's rows, old -> new: the toy logged eq. (3)'s estimate as
ESTIMATE_KEYS = ("wasserstein_estimate", "js_estimate")  # WGANs: eq. (3); GANs: L(D)/2 + log 2


def logged_estimate(row: dict) -> tuple[str, float]:
    """The estimate a toy metrics row logged, as ``(key, value)`` under today's key.

    ``key`` is ``"wasserstein_estimate"`` (WGANs: eq. (3), :math:`E_r f - E_g f`) or
    ``"js_estimate"`` (GANs: :math:`L(D)/2 + \\log 2`).

    Raises
    ------
    KeyError
        If ``row`` holds none of these keys.
    """
    for key in ESTIMATE_KEYS:
        if key in row:
            return key, row[key]
    raise KeyError(
        f"row has none of the estimate keys {ESTIMATE_KEYS}: pass a row of a toy "
        f"run's history or metrics.jsonl (its keys were {sorted(row)})"
    )


EXPLOSION_FACTOR = (
    1e3  # a finite run has exploded beyond 1000 x the data's scale / its initial norms (see the module doc)
)


def _constraint(config: ToyConfig) -> LipschitzConstraint:
    """The critic's Lipschitz constraint for ``config.algorithm``: clipping at c (wgan), the penalty
    with weight lambda (wgan-gp), none for a GAN discriminator (its loss is its own)."""
    if config.algorithm == "wgan":
        return WeightClipping(config.clip_value)
    if config.algorithm == "wgan-gp":
        return GradientPenalty(config.penalty_weight)
    return NoConstraint()


def _flat_parameters(module) -> torch.Tensor:
    return torch.cat([p.detach().reshape(-1) for p in module.parameters()])


class ToyGAN:
    """The state of one toy run and the steps that change it.

    Parameters
    ----------
    config : ToyConfig, default=ToyConfig()

    Attributes
    ----------
    generator, critic : nn.Module
        g_theta (noise -> R^2) and f_w (for GANs, the discriminator's logits).
    history : list of dict
        One row per evaluation (see :meth:`evaluate`).
    generator_step, critic_steps : int
        Generator updates and critic updates done (``generator_step`` as in ``ImageTrainer``; the
        method that does one generator update is :meth:`generator_step_update`).
    """

    critic_objective: CriticObjective  # made by reset(); a config set before it has none to update
    _optimizers: (
        tuple[torch.optim.Optimizer, torch.optim.Optimizer] | None
    )  # (critic's, generator's), made at first use

    def __init__(self, config: ToyConfig | None = None):
        self.config = (config or ToyConfig()).resolved()
        self.reset()

    @property
    def config(self) -> ToyConfig:
        """The settings. A new one (the classroom's sliders) reaches the next critic step: its c or
        lambda becomes the constraint's (Algorithm 1, lines 5 and 7)."""
        return self._config

    @config.setter
    def config(self, config: ToyConfig) -> None:
        self._config = config
        if hasattr(self, "critic_objective"):
            self.constraint = self.critic_objective.constraint = _constraint(config)

    # ------------------------------------------------------------------ optimisers
    @property
    def critic_optimizer(self) -> torch.optim.Optimizer:
        """The critic's optimiser: the algorithm's (:data:`~wgan_toys.objectives.DEFAULTS`, toy scale)
        unless ``config.critic_optimizer`` says otherwise; made at its first use after a reset."""
        return self._made_optimizers()[0]

    @property
    def generator_optimizer(self) -> torch.optim.Optimizer:
        """The generator's optimiser, the algorithm's; made at its first use after a reset."""
        return self._made_optimizers()[1]

    def _made_optimizers(self) -> tuple[torch.optim.Optimizer, torch.optim.Optimizer]:
        if self._optimizers is None:
            config = self.config
            # an Adam on WGAN's critic takes that row's betas
            critic = make_optimizer(
                self.critic.parameters(),
                config.algorithm,
                "toy",
                learning_rate=config.learning_rate,
                optimizer=config.critic_optimizer,
            )
            generator = make_optimizer(
                self.generator.parameters(), config.algorithm, "toy", learning_rate=config.learning_rate
            )
            self._optimizers = (critic, generator)
        return self._optimizers

    # ------------------------------------------------------------------ state
    def reset(self) -> None:
        """Back to the initial state: fresh networks, optimisers, random stream and history."""
        config = self.config
        self.device = resolve_device(config.device)
        self.dataset = make_dataset(config.dataset)
        self.rng = torch_generator(config.seed, device=self.device)
        self.generator = build_seeded(
            lambda: make_generator(config.noise_dim, 2, config.width, config.depth), config.seed
        ).to(self.device)
        self.critic = build_seeded(lambda: make_critic(2, config.width, config.depth), config.seed + 1).to(self.device)
        self.constraint = _constraint(config)
        self.constraint.prepare(self.critic)
        self.critic_objective = CriticObjective(
            self.critic, self.constraint, discriminator=not self.is_wgan, rng=self.rng
        )
        # made at their first use (the first step): the first optimiser pulls in torch._dynamo (1-3 s of
        # imports), which a session that only draws its step 0 (the classroom's first picture) never needs
        self._optimizers = None
        # the yardsticks of _check_bounded; they draw nothing from self.rng (seed 0 of numpy)
        self.data_scale = float(np.sqrt(np.mean(np.sum(self.dataset.sample(2000, seed=0) ** 2, axis=1))))
        self.initial_norms = {
            "generator": float(_flat_parameters(self.generator).norm()),
            "critic": float(_flat_parameters(self.critic).norm()),
        }
        evaluation_random = torch_generator(config.seed + 2, device=self.device)
        self.fixed_noise = torch.randn(
            config.eval_samples, config.noise_dim, generator=evaluation_random, device=self.device
        )
        self.history: list[dict] = []
        self.snapshots: list[tuple[int, np.ndarray]] = []  # (generator step, fixed-noise samples)
        self.generator_step = 0
        self.critic_steps = 0
        self.wall_seconds = 0.0
        self.exact_w1_seconds = 0.0
        self._recent: dict[str, list[float]] = {"critic_loss": [], "generator_loss": [], "step_cosine": []}

    @property
    def is_wgan(self) -> bool:
        return self.config.algorithm.startswith("wgan")

    @property
    def generator_loss(self) -> str:
        """What the generator descends: ``"wgan"``, ``"gan-minimax"`` or ``"gan-logd"`` (read it to
        label a loss, rather than comparing the algorithm's name)."""
        return generator_loss_kind(self.config.algorithm)

    def noise(self, n: int) -> torch.Tensor:
        return torch.randn(n, self.config.noise_dim, generator=self.rng, device=self.device)

    def real_batch(self, n: int) -> torch.Tensor:
        return self.dataset.sample_torch(n, seed=self.rng, device=self.device)

    # ------------------------------------------------------------------ steps
    def critic_step(self) -> float:
        """One critic (or discriminator) update on fresh batches; returns its loss.

        WGAN: ascend eq. (3), :math:`E_r f_w - E_g f_w` (minus the penalty for WGAN-GP), then clip
        (Algorithm 1, lines 3-7). GAN: ascend :math:`L(D) = E_r \\log D + E_g \\log(1 - D)`.
        """
        m = self.config.batch_size
        before = _flat_parameters(self.critic)

        def sample_fake():
            with torch.no_grad():
                return self.generator(self.noise(m))

        critic_loss, _ = critic_update(  # Algorithm 1, lines 3-7
            self.critic,
            self.critic_objective,
            self.critic_optimizer,
            self.constraint,
            lambda: self.real_batch(m),
            sample_fake,
            check=lambda loss: self._check(loss, "critic_loss"),
        )
        ascent = -torch.cat([p.grad.reshape(-1) for p in self.critic.parameters()])
        step = _flat_parameters(self.critic) - before
        cosine = (
            functional.cosine_similarity(step, ascent, dim=0).item()
            if step.norm() > 0 and ascent.norm() > 0
            else float("nan")
        )
        self.critic_steps += 1
        self._recent["critic_loss"].append(critic_loss.item())
        self._recent["step_cosine"].append(cosine)
        return critic_loss.item()

    def generator_step_update(self) -> float:
        """One generator update (Algorithm 1, lines 9-10); returns the generator's loss.

        WGAN: descend :math:`-E_z f_w(g_\\theta(z))`. GAN minimax: descend
        :math:`E_z \\log(1 - D(g_\\theta(z)))`. GAN -log D: descend :math:`-E_z \\log D(g_\\theta(z))`.
        """
        generator_loss = generator_update(  # Algorithm 1, lines 9-11
            self.critic,
            self.generator,
            self.generator_optimizer,
            self.generator_loss,
            lambda: self.noise(self.config.batch_size),
            check=lambda loss: self._check(loss, "generator_loss"),
        )
        self.generator_step += 1
        self._recent["generator_loss"].append(generator_loss.item())
        return generator_loss.item()

    def generator_losses(self, output: torch.Tensor) -> torch.Tensor:
        r"""The generator's loss for each generated point, from the critic's output there (n, 1).

        WGAN: :math:`-f_w(x)`. GAN minimax: :math:`\log(1 - D(x)) = -\mathrm{softplus}(\ell(x))`
        with :math:`\ell` the discriminator's logit. GAN -log D: :math:`-\log D(x) =
        \mathrm{softplus}(-\ell(x))`. :meth:`generator_step_update` descends their mean and
        :meth:`push` differentiates their sum, so the arrows show the loss that is trained.
        """
        return generator_losses(self.generator_loss, output)

    def iteration(self) -> None:
        """n_critic critic steps, then one generator step: one pass of Algorithm 1's loop."""
        for _ in range(self.config.resolved_n_critic):
            self.critic_step()
        self.generator_step_update()

    def _check_bounded(self, row: dict) -> None:
        """Raise a TrainingDivergedError if the evaluation ``row`` shows a finite explosion: the
        exact W1, the estimate or a parameter norm beyond ``EXPLOSION_FACTOR`` times its yardstick
        (the module doc states the bounds)."""
        key = "wasserstein_estimate" if self.is_wgan else "js_estimate"
        scale = self.data_scale
        checks = [
            ("the exact W1", row["exact_w1"], scale, f"the data's scale {scale:.3g} (RMS norm of real points)"),
            (f"|{key}|", abs(row[key]), max(row["exact_w1"], scale), "the larger of the exact W1 and the data's scale"),
        ]
        for name, module in (("generator", self.generator), ("critic", self.critic)):
            initial = max(self.initial_norms[name], 1.0)
            checks.append(
                (
                    f"the {name}'s parameter norm",
                    float(_flat_parameters(module).norm()),
                    initial,
                    f"its norm at initialisation {initial:.3g}",
                )
            )
        for what, value, yardstick, described in checks:
            if value > EXPLOSION_FACTOR * yardstick:
                raise TrainingDivergedError(
                    f"{what} became {value:.3g} at generator step {self.generator_step}, more than "
                    f"{EXPLOSION_FACTOR:g} x {described}: the run exploded (finite, but its numbers mean nothing); "
                    f"lower learning_rate (now {self.config.learning_rate})."
                )

    def _check(self, loss: torch.Tensor, what: str) -> None:
        if not torch.isfinite(loss):
            raise TrainingDivergedError(
                f"{what} became {loss.item()} at generator step {self.generator_step} (critic step {self.critic_steps}); "
                f"lower learning_rate (now {self.config.learning_rate}) or use the algorithm's default optimiser."
            )

    # ------------------------------------------------------------------ measuring
    def generated(self, n: int | None = None) -> np.ndarray:
        """Generator samples as numpy (n, 2); the fixed evaluation noise when n is None."""
        noise = self.fixed_noise if n is None else self.noise(n)
        with torch.no_grad():
            return self.generator(noise).cpu().numpy().astype(float)

    def loss_estimate(self, real_out: torch.Tensor, fake_out: torch.Tensor) -> float:
        """From the critic's outputs on real and generated points: E_r f - E_g f (eq. 3) for WGAN,
        the JS estimate L(D)/2 + log 2 (Figure 4) for GAN."""
        if self.is_wgan:
            return wasserstein_estimate(real_out, fake_out).item()
        return js_estimate(gan_objective(real_out, fake_out).item())

    def push(self, points) -> np.ndarray:
        r"""Where the generator's loss pushes each generated point: :math:`-\nabla_x` of the
        per-point loss of :meth:`generator_losses`, as numpy (k, 2).

        WGAN: :math:`\nabla_x f_w(x)` (Theorem 3: the generator follows the critic's slope).
        GAN minimax: :math:`-\nabla_x \log(1 - D(x)) = D(x)\, \nabla_x \ell(x)`, which vanishes
        where the discriminator is sure the point is fake (D near 0: Figure 2's saturation).
        GAN -log D: :math:`\nabla_x \log D(x) = (1 - D(x))\, \nabla_x \ell(x)`.
        Its size is meaningful: plots draw it on one scale per run, never divided by its own maximum.
        """
        x = torch.as_tensor(np.asarray(points), dtype=torch.float32, device=self.device).requires_grad_(True)
        descent = -self.generator_losses(self.critic(x)).sum()
        (gradient,) = torch.autograd.grad(descent, x)
        return gradient.detach().cpu().numpy()

    def arrow_scale(self) -> float | None:
        """The largest generator-gradient norm logged in this run (``push_norm_max`` over the
        history), the one length scale on which the field plot draws every frame's arrows."""
        logged = [row["push_norm_max"] for row in self.history if row.get("push_norm_max") is not None]
        return max(logged) if logged else None

    def critic_values(self, points) -> np.ndarray:
        """f_w (or the discriminator's logit) at numpy points (k, 2)."""
        with torch.no_grad():
            return (
                self.critic(torch.as_tensor(np.asarray(points), dtype=torch.float32, device=self.device)).cpu().numpy()
            )

    def evaluate(self) -> dict:
        """Measure now and append a row to ``history``.

        The row holds ``step`` (= ``generator_step``), ``critic_steps``, ``wasserstein_estimate``
        (WGAN: E_r f - E_g f on fresh batches of ``eval_samples``) or ``js_estimate`` (GAN:
        L(D)/2 + log 2), ``exact_w1`` (``ot.emd2`` between ``eval_samples`` fresh generated and
        real points), the mean losses and step cosine since the last row, mode coverage for
        mixtures, ``push_norm_max`` and ``push_norm_median`` (the norm of :meth:`push` over the
        generated points: how hard the generator's loss pulls them), ``wall_seconds`` and
        ``exact_w1_seconds``.
        """
        import ot  # noqa: F401  (imported before the clock starts: the first import takes ~2 s)

        from .empirical import wasserstein_1_samples

        evaluation_start = time.perf_counter()
        n = self.config.eval_samples
        real = self.real_batch(n)
        with torch.no_grad():
            fake = self.generator(self.noise(n))
            real_out, fake_out = self.critic(real), self.critic(fake)
        if not bool(torch.isfinite(fake).all()):
            self._check(torch.tensor(float("nan")), "a generated sample")
        step = self.generator_step
        row: dict[str, float | None] = {"step": step, "generator_step": step, "critic_steps": self.critic_steps}
        row["wasserstein_estimate" if self.is_wgan else "js_estimate"] = self.loss_estimate(real_out, fake_out)
        start = time.perf_counter()
        row["exact_w1"] = wasserstein_1_samples(real.cpu().numpy(), fake.cpu().numpy())
        self.exact_w1_seconds += time.perf_counter() - start
        push_norms = np.linalg.norm(self.push(fake.cpu().numpy()), axis=1)
        row["push_norm_max"] = float(push_norms.max())
        row["push_norm_median"] = float(np.median(push_norms))
        for name, values in self._recent.items():
            finite = [v for v in values if math.isfinite(v)]
            row[name] = float(np.mean(finite)) if finite else None
        cosines = [v for v in self._recent["step_cosine"] if math.isfinite(v)]
        row["negative_cosine_share"] = float(np.mean(np.array(cosines) < 0)) if cosines else None
        self._recent = {name: [] for name in self._recent}
        if self.dataset.is_mixture:
            coverage = mode_coverage(self.dataset, fake.cpu().numpy())
            row["modes_covered"] = coverage["modes_covered"]
            row["high_quality_fraction"] = coverage["high_quality_fraction"]
        self.snapshots.append((self.generator_step, self.generated()))
        self.wall_seconds += time.perf_counter() - evaluation_start
        row["wall_seconds"] = self.wall_seconds  # training and evaluation, not idle time
        row["exact_w1_seconds"] = self.exact_w1_seconds
        self.history.append(row)
        return row

    def train(self, iterations: int | None = None, callback=None) -> list[dict]:
        """Run ``iterations`` (default: the config's) passes of Algorithm 1, evaluating at step 0,
        every ``log_every`` generator steps, and at the end. ``callback(row)`` sees each new row.

        A TrainingDivergedError (a NaN or infinite loss, or a finite explosion past
        ``EXPLOSION_FACTOR``, see the module doc) propagates; what was logged before it stays in
        ``history``.
        """
        iterations = self.config.iterations if iterations is None else check_int("iterations", iterations, minimum=0)

        def log(row):  # the row is logged before a finite explosion stops the run
            if callback:
                callback(row)
            self._check_bounded(row)

        if not self.history:
            log(self.evaluate())
        for _ in range(iterations):
            start = time.perf_counter()
            self.iteration()
            self.wall_seconds += time.perf_counter() - start
            if self.generator_step % self.config.log_every == 0:
                log(self.evaluate())
        if self.history[-1]["generator_step"] != self.generator_step:
            log(self.evaluate())
        return self.history


@contextlib.contextmanager
def run_folder(trainer: ToyGAN, out, *, overwrite: bool = False):
    """Hold the folder ``out`` for one toy run and yield ``log(row)``, which appends a row to
    ``out/metrics.jsonl`` and flushes it (a crash or Ctrl-C keeps every row logged so far).

    While the block runs, ``out`` is locked (:func:`~wgan_toys.runs.run_lock`: a second
    process is refused); ``config.json`` is written atomically first.

    Parameters
    ----------
    trainer : ToyGAN
        The run; its resolved config goes to ``config.json``.
    out : str or path-like
        The run folder, created if missing.
    overwrite : bool, default=False
        Replace a run already in ``out`` (its config, metrics and figures are deleted first).

    Raises
    ------
    ValueError
        If ``out`` holds ``config.json`` or ``metrics.jsonl`` and not ``overwrite``, or another
        process holds ``out``.
    """
    folder = RunFolder(out)  # config.json and each row record the run's id
    with folder.locked():
        folder.start(dataclasses.asdict(trainer.config), overwrite=overwrite, markers=RUN_MARKERS)
        yield folder.append_metrics


CLAIMS_ALGORITHMS = ("wgan-gp", "wgan", "gan-minimax", "gan-logd")


def claims_runs(algorithms=CLAIMS_ALGORITHMS, momentum_test: bool = True) -> list[tuple[str, str | None]]:
    """The (algorithm, critic optimiser) pairs :func:`claims_table` trains for each seed: each
    algorithm with its own optimiser, and with ``momentum_test`` WGAN again with Adam."""
    runs: list[tuple[str, str | None]] = [(algorithm, None) for algorithm in algorithms]
    if momentum_test and "wgan" in algorithms:
        runs.append(("wgan", "adam"))
    return runs


def claims_table(
    algorithms=CLAIMS_ALGORITHMS,
    seeds=(0, 1, 2),
    dataset: str = "8gaussians",
    iterations: int = 1000,
    log_every: int = 50,
    momentum_test: bool = True,
    callback=None,
    **overrides,
) -> list[dict]:
    """Section 4's claims as numbers, one row per (algorithm, seed), on one mixture data set.

    Each row holds the Spearman and Pearson correlation between the logged estimate (critic's
    E_r f - E_g f, or the GAN's JS estimate) and the exact W1 over training (step 0 left out:
    the critic is untrained there); ``residual_spearman``, the Spearman correlation of the two
    series' residuals around their own fitted trends (:func:`wgan_toys.trend.residual_spearman`:
    the level correlation mostly says "both fell", this one whether they move together beyond
    the trend, at a false-positive rate measured in ``tests/test_trend.py``); the final exact W1, modes covered, high-quality fraction,
    and the share of critic steps whose step direction had a negative cosine with the ascent
    direction. With ``momentum_test``, WGAN is also run with Adam on the critic (the paper's
    negative result, Section 4.2), as algorithm ``wgan (adam critic)``.
    """
    from scipy.stats import pearsonr, spearmanr

    from .trend import residual_spearman

    rows = []
    for algorithm, critic_optimizer in claims_runs(algorithms, momentum_test):
        for seed in seeds:
            config = ToyConfig(
                dataset=dataset,
                algorithm=algorithm,
                iterations=iterations,
                log_every=log_every,
                seed=seed,
                critic_optimizer=critic_optimizer,
                **overrides,
            )
            trainer = ToyGAN(config)
            diverged = ""
            try:
                trainer.train()
            except TrainingDivergedError as error:
                diverged = str(error)
            history = trainer.history[1:]
            key = "wasserstein_estimate" if trainer.is_wgan else "js_estimate"
            estimate = np.array([row[key] for row in history])
            exact = np.array([row["exact_w1"] for row in history])
            enough = len(history) >= 3 and np.ptp(estimate) > 0 and np.ptp(exact) > 0
            steps = [row["generator_step"] for row in history]
            beyond_trend = residual_spearman(estimate, exact, steps) if enough else None
            shares = [row["negative_cosine_share"] for row in history if row["negative_cosine_share"] is not None]
            last = trainer.history[-1]
            row = {
                "algorithm": algorithm + (f" ({critic_optimizer} critic)" if critic_optimizer else ""),
                "seed": seed,
                "spearman": float(spearmanr(estimate, exact)[0]) if enough else float("nan"),
                "pearson": float(pearsonr(estimate, exact)[0]) if enough else float("nan"),
                "residual_spearman": float("nan") if beyond_trend is None else beyond_trend,
                "final_exact_w1": last["exact_w1"],
                "modes_covered": last.get("modes_covered"),
                "high_quality_fraction": last.get("high_quality_fraction"),
                "negative_cosine_share": float(np.mean(shares)) if shares else float("nan"),
                "diverged": diverged,
                "seconds": last["wall_seconds"],
            }
            rows.append(row)
            if callback:
                callback(row)
    return rows
