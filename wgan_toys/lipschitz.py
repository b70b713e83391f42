r"""Ways to keep the critic Lipschitz (the *constraint*), behind one interface.

Eq. (2) takes the supremum over 1-Lipschitz f; eq. (3) takes it over a family
:math:`\{f_w\}_{w \in \mathcal{W}}` of K-Lipschitz functions, so its value is *at most*
:math:`K \cdot W` (Section 3); a trained critic realises some effective slope
estimate / W below K, which depends on the pair of laws and on the run.

- :class:`WeightClipping` (the paper, Algorithm 1, line 7): clamp every parameter to
  [-c, c] after each critic step; the family's K then depends on c and the architecture
  (:func:`clipped_family_bound`). RMSProp, alpha = 5e-5, as in Algorithm 1 (the paper reports
  that momentum-based optimisers such as Adam made training unstable, Section 4.2).
- :class:`GradientPenalty` (WGAN-GP, Gulrajani et al. 2017): add
  :math:`\lambda\, E_{\hat x}[(\|\nabla f(\hat x)\|_2 - 1)^2]` at
  :math:`\hat x = \epsilon x_r + (1 - \epsilon) x_g` with a fresh :math:`\epsilon \sim U[0, 1]`
  *per sample*, the norm taken *per sample* (the most reported bug in public code is a norm over
  the whole batch). Adam, alpha = 1e-4, betas = (0, 0.9), lambda = 10.
- :class:`SpectralNormalization` (Miyato et al. 2018): each linear layer divided by its largest
  singular value (torch's parametrization), so that with 1-Lipschitz activations f is
  1-Lipschitz.

Each constraint (a :class:`LipschitzConstraint`) has ``prepare(network)`` (before training),
``penalty(critic, real, fake, rng)`` (added to the loss where ``penalizes``) and
``after_update(network)`` (after each optimiser step); Algorithm 1's critic update
(:func:`~wgan_toys.algorithm1.critic_update`) calls them. The optimisers are
:func:`~wgan_toys.algorithm1.make_optimizer`'s, from :data:`~wgan_toys.objectives.DEFAULTS`.

References
----------
Arjovsky, Chintala, Bottou (2017), arXiv:1701.07875, eqs. (2)-(3), Algorithm 1.
Gulrajani, Ahmed, Arjovsky, Dumoulin, Courville (2017), arXiv:1704.00028, eq. (3), Algorithm 1.
Miyato, Kataoka, Koyama, Yoshida (2018), arXiv:1802.05957.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ._validation import check_choice, check_positive, check_real

__all__ = [
    "clip_weights_",
    "clip_parameters_",
    "gradient_penalty",
    "gradient_norms",
    "LipschitzConstraint",
    "WeightClipping",
    "GradientPenalty",
    "SpectralNormalization",
    "NoConstraint",
    "make_constraint",
    "CONSTRAINTS",
    "fraction_at_clip_value",
    "uniform_in_box_",
    "spectral_norm_product",
    "clipped_family_bound",
]


def _check_clip_value(clip_value):
    if isinstance(clip_value, torch.Tensor):
        if clip_value.numel() == 0 or not bool(torch.all(clip_value > 0)):
            raise ValueError(f"clip_value == {clip_value.tolist()}, every entry must be > 0 (the paper uses c = 0.01).")
        return clip_value
    return check_positive("clip_value", clip_value, hint=" (the paper uses c = 0.01)")


def _check_penalty_weight(penalty_weight):
    if isinstance(penalty_weight, torch.Tensor):
        if penalty_weight.numel() == 0 or not bool(torch.all(penalty_weight >= 0)):
            raise ValueError(
                f"penalty_weight == {penalty_weight.tolist()}, every entry must be >= 0 (WGAN-GP uses lambda = 10)."
            )
        return penalty_weight
    value = check_real("penalty_weight", penalty_weight)
    if value < 0:
        raise ValueError(f"penalty_weight == {value}, must be >= 0 (WGAN-GP uses lambda = 10).")
    return value


@torch.no_grad()
def clip_weights_(network: nn.Module, clip_value) -> None:
    """Clamp every parameter of ``network`` to [-c, c] in place (Algorithm 1, line 7).

    ``clip_value`` is a float c > 0, or for :class:`~wgan_toys.networks.StackedCritics` a
    tensor of shape (S,) with one c per critic.
    """
    clip_value = _check_clip_value(clip_value)
    if not isinstance(clip_value, torch.Tensor):
        clip_parameters_(list(network.parameters()), clip_value)
        return
    for parameter in network.parameters():
        bound = clip_value.to(parameter).view(-1, *([1] * (parameter.dim() - 1)))
        parameter.copy_(torch.maximum(torch.minimum(parameter, bound), -bound))


@torch.no_grad()
def clip_parameters_(parameters: list[torch.Tensor], clip_value: float) -> None:
    """Clamp a list of tensors to [-c, c] in place with two fused multi-tensor kernels
    (``torch._foreach_clamp_min_`` / ``_max_``) instead of one kernel per tensor."""
    if parameters:
        torch._foreach_clamp_min_(parameters, -clip_value)
        torch._foreach_clamp_max_(parameters, clip_value)


def gradient_norms(
    critic: nn.Module, points: torch.Tensor, create_graph: bool = False, batch_dims: int = 1
) -> torch.Tensor:
    r"""Per-sample :math:`\|\nabla_x f(x)\|_2`, shape = the leading ``batch_dims`` dims of ``points``.

    ``batch_dims`` is 1 for one critic (points (n, ...)) and 2 for stacked critics (S, n, ...).
    """
    points = points.detach().requires_grad_(True)
    values = critic(points)
    (gradient,) = torch.autograd.grad(values.sum(), points, create_graph=create_graph)
    return gradient.flatten(batch_dims).norm(dim=-1)


def gradient_penalty(
    critic: nn.Module,
    real: torch.Tensor,
    fake: torch.Tensor,
    penalty_weight=10.0,
    rng: torch.Generator | None = None,
    batch_dims: int = 1,
    epsilon: torch.Tensor | None = None,
    one_sided: bool = False,
) -> torch.Tensor:
    r"""The WGAN-GP penalty :math:`\lambda\, E[(\|\nabla f(\hat x)\|_2 - 1)^2]`, eq. (3) of
    Gulrajani et al. (2017), or its one-sided form :math:`\lambda\, E[\max(0, \|\nabla f(\hat x)\|_2 - 1)^2]`.

    :math:`\hat x = \epsilon x_r + (1 - \epsilon) x_g` with one :math:`\epsilon \sim U[0, 1]` per
    sample, and one gradient norm per sample.

    The two forms have the same optimum between two 1D Gaussians (its slope exceeds 1 in norm
    everywhere, :func:`wgan_toys.optimal.gradient_penalty_optimum`), so the same bias above W. They
    differ on the way there: the two-sided penalty charges slopes *below* 1 in norm, so turning a
    slope of the wrong sign around (through 0) costs lambda, and a critic that starts with the
    wrong sign sits at a local optimum of the wrong sign; the one-sided penalty charges nothing
    for :math:`\|\nabla f\| \le 1` and has no such local optimum.

    Parameters
    ----------
    critic : nn.Module
    real, fake : Tensor, shape (n, ...) or, for stacked critics, (S, n, ...)
        Paired batches of real and generated points.
    penalty_weight : float or Tensor of shape (S,), default=10.0
        lambda >= 0.
    rng : torch.Generator, default=None
        Source of epsilon.
    batch_dims : int, default=1
        2 for stacked critics.
    epsilon : Tensor, optional
        The mixing weights, shape ``real.shape[:batch_dims] + (1, ...)``, when the caller draws
        them (the image trainer draws one global batch and gives each process its slice).
    one_sided : bool, default=False
        Penalise only norms above 1: :math:`\max(0, \|\nabla f\| - 1)^2`.

    Returns
    -------
    Tensor
        A scalar, or shape (S,) for stacked critics: one penalty per critic.
    """
    penalty_weight = _check_penalty_weight(penalty_weight)
    if real.shape != fake.shape:
        raise ValueError(
            f"real has shape {tuple(real.shape)} and fake {tuple(fake.shape)}; the penalty pairs them, so they must match."
        )
    epsilon_shape = real.shape[:batch_dims] + (1,) * (real.dim() - batch_dims)
    if epsilon is None:
        epsilon = torch.rand(epsilon_shape, generator=rng, device=real.device, dtype=real.dtype)
    elif tuple(epsilon.shape) != tuple(epsilon_shape):
        raise ValueError(
            f"epsilon has shape {tuple(epsilon.shape)}, must be {tuple(epsilon_shape)}: one weight per sample."
        )
    interpolates = epsilon * real.detach() + (1 - epsilon) * fake.detach()
    norms = gradient_norms(critic, interpolates, create_graph=True, batch_dims=batch_dims)
    excess = (norms - 1.0).clamp(min=0.0) if one_sided else norms - 1.0
    squared_gap = (excess**2).mean(dim=-1)  # mean over the n samples
    if isinstance(penalty_weight, torch.Tensor):
        penalty_weight = penalty_weight.to(squared_gap)
    return penalty_weight * squared_gap


class LipschitzConstraint:
    """How a critic is kept Lipschitz, one object per way: what Algorithm 1's critic update
    (:func:`~wgan_toys.algorithm1.critic_update`) calls at its three places.

    - ``prepare(network)``: once, before training (clip the start, or parametrise the layers);
    - ``penalty(critic, real, fake, rng)``: a term of the loss (line 5), used where ``penalizes``;
    - ``after_update(network)``: after each optimiser step (line 7, clipping).

    The base class does nothing at any of them: a critic without a constraint, or a GAN
    discriminator, whose loss is its own.
    """

    name = "none"
    penalizes = False  # whether penalty() joins the critic's loss

    def prepare(self, network: nn.Module) -> nn.Module:
        return network

    def penalty(self, critic, real, fake, rng=None, batch_dims: int = 1, epsilon=None):
        return torch.zeros((), device=real.device)

    def after_update(self, network: nn.Module) -> None:
        return None

    def describe(self) -> str:
        return self.name


class NoConstraint(LipschitzConstraint):
    """No Lipschitz control: for the GAN discriminator, or to see a critic blow up."""

    name = "none"


class WeightClipping(LipschitzConstraint):
    """Clamp parameters to [-c, c] after each step (Algorithm 1, line 7).

    Parameters
    ----------
    clip_value : float, or Tensor of shape (S,) for stacked critics
        c > 0.
    select : callable, optional
        ``select(network)`` -> the list of tensors to clip (the image trainer's ``clip_parameters``);
        None clips every parameter, w of Algorithm 1.
    """

    name = "clip"

    def __init__(self, clip_value=0.01, select=None):
        self.clip_value = _check_clip_value(clip_value)
        self.select = select

    def prepare(self, network):
        self.after_update(network)
        return network

    def after_update(self, network):
        if self.select is None:
            clip_weights_(network, self.clip_value)
        else:
            clip_parameters_(self.select(network), self.clip_value)

    def describe(self):
        c = self.clip_value.tolist() if isinstance(self.clip_value, torch.Tensor) else self.clip_value
        return f"weight clipping, c = {c}"


def _check_penalty_weight_positive(penalty_weight):
    """lambda > 0 (every entry, for stacked critics): at lambda = 0 the penalty is no constraint, and
    E_r f - E_g f (eq. (3)) has no maximum over critics."""
    penalty_weight = _check_penalty_weight(penalty_weight)
    zero = not bool(torch.all(penalty_weight > 0)) if isinstance(penalty_weight, torch.Tensor) else penalty_weight == 0
    if zero:
        shown = penalty_weight.tolist() if isinstance(penalty_weight, torch.Tensor) else penalty_weight
        raise ValueError(
            f"penalty_weight == {shown} leaves the critic unconstrained: without the penalty, E_r f - E_g f "
            "(eq. (3)) has no maximum over critics and the estimate grows without bound while training runs; "
            "pass penalty_weight > 0 (WGAN-GP uses lambda = 10)."
        )
    return penalty_weight


class GradientPenalty(LipschitzConstraint):
    """WGAN-GP: the penalty on random interpolates, two-sided (default, WGAN-GP's eq. (3)) or
    ``one_sided``, added to the critic's loss (:func:`gradient_penalty`).

    ``penalty_weight`` (lambda) must be > 0, every entry of a tensor too: at lambda = 0 the critic
    is unconstrained and its objective, eq. (3) of the paper, is unbounded above (scaling a critic
    whose estimate is positive by t > 1 scales the estimate by t), so training would only run it up.
    """

    name = "gp"
    penalizes = True

    def __init__(self, penalty_weight=10.0, one_sided: bool = False):
        self.penalty_weight = _check_penalty_weight_positive(penalty_weight)
        if not isinstance(one_sided, bool):
            raise TypeError(f"one_sided must be True or False, got {one_sided!r}.")
        self.one_sided = one_sided

    def penalty(self, critic, real, fake, rng=None, batch_dims: int = 1, epsilon=None):
        return gradient_penalty(
            critic, real, fake, self.penalty_weight, rng, batch_dims, epsilon=epsilon, one_sided=self.one_sided
        )

    def describe(self):
        weight = self.penalty_weight.tolist() if isinstance(self.penalty_weight, torch.Tensor) else self.penalty_weight
        return f"{'one-sided ' if self.one_sided else ''}gradient penalty, lambda = {weight}"


SPECTRAL_START_SEED = 0  # the power iteration's start vectors (SpectralNormalization.prepare)


class SpectralNormalization(LipschitzConstraint):
    """Every nn.Linear divided by its spectral norm (torch.nn.utils.parametrizations.spectral_norm)."""

    name = "spectral"

    def prepare(self, network):
        """Parametrise every nn.Linear of ``network`` by its spectral normalisation, in place.

        torch's ``spectral_norm`` draws the power iteration's start vectors from the global random
        state; here they come from a fixed seed (SPECTRAL_START_SEED) in a forked random state, so
        that two runs with the same seed are identical and the caller's random state is left as it
        was. The start is immaterial to the norm: ``spectral_norm`` runs 15 power iterations first.
        """
        cuda_devices = sorted({p.device.index or 0 for p in network.parameters() if p.device.type == "cuda"})
        with torch.random.fork_rng(devices=cuda_devices):
            torch.manual_seed(SPECTRAL_START_SEED)
            for module in list(network.modules()):
                if isinstance(module, nn.Linear) and not hasattr(module, "parametrizations"):
                    nn.utils.parametrizations.spectral_norm(module)
        return network

    def describe(self):
        return "spectral normalisation"


CONSTRAINTS = ("clip", "gp", "spectral", "none")


def make_constraint(constraint: str = "clip", clip_value=0.01, penalty_weight=10.0) -> LipschitzConstraint:
    """The constraint named ``constraint`` ('clip', 'gp', 'spectral' or 'none') with its constant.

    Raises
    ------
    ValueError
        An unknown name, ``clip_value <= 0`` for 'clip', ``penalty_weight <= 0`` for 'gp' (at lambda = 0
        the objective is unbounded: :class:`GradientPenalty`).
    """
    check_choice("constraint", constraint, CONSTRAINTS)
    if constraint == "clip":
        return WeightClipping(clip_value)
    if constraint == "gp":
        return GradientPenalty(penalty_weight)
    if constraint == "spectral":
        return SpectralNormalization()
    return NoConstraint()


def _weight_matrices(network: nn.Module) -> list[torch.Tensor]:
    """The weight matrices of the network's linear layers, input layer first."""
    return [module.weight for module in network.modules() if isinstance(module, nn.Linear)]


def fraction_at_clip_value(network: nn.Module, clip_value: float, relative_tolerance: float = 1e-3) -> dict:
    r"""The share of weights at the walls of the clipping box, :math:`|w| \ge (1 - \text{tol})\,c`.

    Weights only (the matrices of the linear layers, as WGAN-GP's Figure 1 histograms), not biases.

    Returns
    -------
    dict
        ``all``: the share over every weight; ``per_layer``: one share per linear layer, input
        layer first.
    """
    clip_value = check_positive("clip_value", clip_value, hint=" (the paper uses c = 0.01)")
    relative_tolerance = check_positive("relative_tolerance", relative_tolerance)
    matrices = [weight.detach().abs().flatten() for weight in _weight_matrices(network)]
    if not matrices:
        raise ValueError("network has no nn.Linear layer: nothing to measure.")
    wall = (1.0 - relative_tolerance) * clip_value
    per_layer = [float((weights >= wall).double().mean()) for weights in matrices]
    return {"all": float((torch.cat(matrices) >= wall).double().mean()), "per_layer": per_layer}


@torch.no_grad()
def uniform_in_box_(network: nn.Module, clip_value: float, seed=None) -> nn.Module:
    """Redraw every parameter uniformly in [-c, c], in place: a start inside the clipping box.

    PyTorch's default initialisation draws a 64-to-64 layer's weights from U[-1/8, 1/8]; clipped
    at c = 0.01 that puts about 92% of them at +-c before any training step. This start puts
    none there, so that what training does to the weights can be seen on its own.
    """
    from .runtime import torch_generator

    clip_value = check_positive("clip_value", clip_value, hint=" (the paper uses c = 0.01)")
    rng = torch_generator(seed)
    for parameter in network.parameters():
        draw = torch.rand(parameter.shape, generator=rng, dtype=torch.float64) * 2.0 - 1.0
        parameter.copy_((clip_value * draw).to(parameter))
    return network


def spectral_norm_product(network: nn.Module) -> float:
    r""":math:`\prod_l \|W_l\|_2` over the linear layers: an upper bound on the Lipschitz constant of
    an MLP whose activations are 1-Lipschitz (ReLU, leaky ReLU, tanh)."""
    matrices = _weight_matrices(network)
    if not matrices:
        raise ValueError("network has no nn.Linear layer: nothing to measure.")
    return float(math.prod(float(torch.linalg.matrix_norm(weight.detach().double(), ord=2)) for weight in matrices))


def clipped_family_bound(network: nn.Module, clip_value: float) -> float:
    r"""The Lipschitz bound of the whole clipped family :math:`\{f_w : |w_i| \le c\}` of this
    architecture: :math:`\prod_l \max_{|W_{ij}| \le c} \|W_l\|_2 = \prod_l c \sqrt{n_{l-1} n_l}`.

    The maximum of each factor is reached by the matrix with every entry c (rank one). This is the
    K of Section 3 that clipping guarantees, so eq. (3) gives at most K W; the slope a trained
    critic realises (estimate / W) is far smaller.
    """
    clip_value = check_positive("clip_value", clip_value, hint=" (the paper uses c = 0.01)")
    matrices = _weight_matrices(network)
    if not matrices:
        raise ValueError("network has no nn.Linear layer: nothing to measure.")
    return float(math.prod(clip_value * math.sqrt(weight.shape[0] * weight.shape[1]) for weight in matrices))
