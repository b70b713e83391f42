"""The distributions of the paper's toy problems, with exact densities and seeded sampling.

- :class:`ParallelLines` is Example 1: P_theta, the law of g_theta(Z) = (theta, Z) in R^2 with
  Z ~ U[0, 1]. It is supported on a vertical segment, so it has no density on R^2.
- :class:`Gaussian1D` is N(mean, std^2), the pair of Figure 2.
- :class:`NoisyParallelLines` is Example 1 convolved with N(0, sigma^2 I), Section 1's "typical remedy":
  it has a density, so a likelihood.
- :class:`Uniform1D` and :class:`Discrete1D` (weighted atoms; one atom is a Dirac mass) give the
  sequences of Theorem 2.

Sampling takes ``seed`` (int, None or a generator) and never touches global random state;
``sample`` returns numpy arrays and ``sample_torch`` returns torch tensors of shape (n, d).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ._validation import check_int, check_positive, check_real, check_samples, check_weights
from .runtime import numpy_generator, torch_generator

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


def _check_torch_range(largest: float, dtype, name: str) -> None:
    """Raise if values of magnitude ``largest`` overflow torch ``dtype`` (they would become inf)."""
    import torch

    limit = float(torch.finfo(dtype).max)
    if largest > limit:
        raise ValueError(
            f"{name}: samples reach |x| ~ {largest:.3g}, beyond {dtype}'s largest value {limit:.3g}; "
            "pass dtype=torch.float64."
        )


def _check_torch_resolution(spread: float, dtype, name: str, what: str) -> None:
    """Raise if a law's ``spread`` (a std or a width) underflows torch ``dtype``'s normal range:
    ``spread * noise`` would come out 0 (or a few subnormal levels) and every sample the mean."""
    import torch

    tiny = float(torch.finfo(dtype).tiny)
    if spread < tiny:
        raise ValueError(
            f"{name}: {what} == {spread:.3g} is below {dtype}'s smallest normal number {tiny:.3g}, "
            f"so the noise times {what} underflows and every sample would equal the location; "
            + ("rescale the law." if dtype == torch.float64 else "pass dtype=torch.float64 (or rescale the law).")
        )


def _to_torch(array: np.ndarray, device, dtype):
    import torch

    dtype = dtype or torch.float32
    if array.size:
        _check_torch_range(float(np.abs(array).max()), dtype, "Discrete1D")
    return torch.as_tensor(array, dtype=dtype, device=device)


@dataclass(frozen=True)
class Gaussian1D:
    """The normal law N(mean, std^2) on the real line.

    Parameters
    ----------
    mean : float
        Its mean mu; any finite number.
    std : float
        Its standard deviation sigma; must be finite and > 0.

    Examples
    --------
    >>> p = Gaussian1D(0.0, 1.0)
    >>> round(float(p.pdf(0.0)), 6)
    0.398942
    >>> p.sample(3, seed=0).shape
    (3,)
    """

    mean: float
    std: float
    dim: int = field(default=1, init=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "mean", check_real("mean", self.mean))
        object.__setattr__(self, "std", check_positive("std", self.std))

    @property
    def support(self) -> tuple[float, float]:
        return (-math.inf, math.inf)

    def logpdf(self, x):
        """log p(x); stays finite far in the tails, where ``log(pdf(x))`` would give -inf."""
        z = (np.asarray(x, dtype=float) - self.mean) / self.std
        return -0.5 * z * z - math.log(self.std) - _LOG_SQRT_2PI

    def pdf(self, x):
        return np.exp(self.logpdf(x))

    def cdf(self, x):
        from scipy.special import ndtr

        return ndtr((np.asarray(x, dtype=float) - self.mean) / self.std)

    def quantile(self, u):
        from scipy.special import ndtri

        return self.mean + self.std * ndtri(np.asarray(u, dtype=float))

    def sample(self, n: int, seed=None) -> np.ndarray:
        """Draw ``n`` samples, shape (n,)."""
        n = check_int("n", n, minimum=1)
        return self.mean + self.std * numpy_generator(seed).standard_normal(n)

    def sample_torch(self, n: int, seed=None, device="cpu", dtype=None):
        """Draw ``n`` samples as a torch tensor of shape (n, 1) on ``device``.

        ``dtype`` defaults to float32; a law that float32 cannot hold (|x| beyond 3.4e38, or a
        std below 1.2e-38, where every sample would be the mean) is a ValueError that says to
        pass ``dtype=torch.float64``.
        """
        import torch

        n = check_int("n", n, minimum=1)
        dtype = dtype or torch.float32
        _check_torch_range(abs(self.mean) + 40.0 * self.std, dtype, f"Gaussian1D({self.mean}, {self.std})")
        _check_torch_resolution(self.std, dtype, f"Gaussian1D({self.mean}, {self.std})", "std")
        rng = torch_generator(seed, device=device)
        noise = torch.randn(n, 1, generator=rng, device=device, dtype=dtype)
        return self.mean + self.std * noise


@dataclass(frozen=True)
class Uniform1D:
    """The uniform law U[low, high]; ``Uniform1D()`` is the paper's Z ~ U[0, 1]."""

    low: float = 0.0
    high: float = 1.0
    dim: int = field(default=1, init=False, repr=False)

    def __post_init__(self):
        low = check_real("low", self.low)
        high = check_real("high", self.high)
        if high <= low:
            raise ValueError(f"high == {high}, must be > low == {low}.")
        if not math.isfinite(high - low):
            raise ValueError(
                f"high - low == {high} - ({low}) overflows float64 (> 1.8e308); "
                "shift or rescale the law so that its width is representable."
            )
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)

    @property
    def support(self) -> tuple[float, float]:
        return (self.low, self.high)

    def logpdf(self, x):
        x = np.asarray(x, dtype=float)
        inside = (x >= self.low) & (x <= self.high)
        return np.where(inside, -math.log(self.high - self.low), -np.inf)

    def pdf(self, x):
        return np.exp(self.logpdf(x))

    def cdf(self, x):
        x = np.asarray(x, dtype=float)
        return np.clip((x - self.low) / (self.high - self.low), 0.0, 1.0)

    def sample(self, n: int, seed=None) -> np.ndarray:
        n = check_int("n", n, minimum=1)
        return numpy_generator(seed).uniform(self.low, self.high, size=n)

    def sample_torch(self, n: int, seed=None, device="cpu", dtype=None):
        import torch

        n = check_int("n", n, minimum=1)
        dtype = dtype or torch.float32
        _check_torch_range(max(abs(self.low), abs(self.high)), dtype, f"Uniform1D({self.low}, {self.high})")
        _check_torch_resolution(self.high - self.low, dtype, f"Uniform1D({self.low}, {self.high})", "high - low")
        rng = torch_generator(seed, device=device)
        unit = torch.rand(n, 1, generator=rng, device=device, dtype=dtype)
        return self.low + (self.high - self.low) * unit


class Discrete1D:
    """A law with finitely many atoms on the real line: sum_i weights[i] * delta(points[i]).

    ``Discrete1D([0.0])`` is the Dirac mass at 0. Repeated points are merged.

    Parameters
    ----------
    points : array_like, shape (n,)
        Finite atom locations.
    weights : array_like, shape (n,), default=None
        Probabilities, >= 0 and summing to 1; None gives uniform weights.
    """

    dim = 1

    def __init__(self, points, weights=None):
        points = check_samples("points", points, dim=1)[:, 0]
        weights = check_weights("weights", weights, points.shape[0])
        unique, inverse = np.unique(points, return_inverse=True)
        merged = np.zeros(unique.shape[0])
        np.add.at(merged, inverse, weights)
        keep = merged > 0
        self.points = unique[keep]
        self.weights = merged[keep]

    def __repr__(self) -> str:
        return f"Discrete1D(points={self.points!r}, weights={self.weights!r})"

    @property
    def support(self) -> tuple[float, float]:
        return (float(self.points[0]), float(self.points[-1]))

    def cdf(self, x):
        cumulative = np.concatenate([[0.0], np.cumsum(self.weights)])
        index = np.searchsorted(self.points, np.asarray(x, dtype=float), side="right")
        return np.minimum(cumulative[index], 1.0)

    def sample(self, n: int, seed=None) -> np.ndarray:
        n = check_int("n", n, minimum=1)
        return numpy_generator(seed).choice(self.points, size=n, p=self.weights)

    def sample_torch(self, n: int, seed=None, device="cpu", dtype=None):
        return _to_torch(self.sample(n, seed=seed)[:, None], device, dtype)


@dataclass(frozen=True)
class ParallelLines:
    """Example 1 of the paper: P_theta, the law of g_theta(Z) = (theta, Z) with Z ~ U[0, 1].

    ``ParallelLines(0.0)`` is the target P_0, uniform on the vertical segment {0} x [0, 1].
    The law lives on a segment of R^2, a set of Lebesgue measure zero, so it has no density
    on R^2; along its own line it is uniform (density 1 with respect to length).

    Parameters
    ----------
    theta : float
        The horizontal offset theta; any finite number.

    Examples
    --------
    >>> ParallelLines(0.5).sample(2, seed=0)[:, 0]
    array([0.5, 0.5])
    """

    theta: float
    dim: int = field(default=2, init=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "theta", check_real("theta", self.theta))

    def generator(self, z):
        """g_theta(z) = (theta, z) for noise ``z`` of shape (n,); returns shape (n, 2)."""
        z = np.asarray(z, dtype=float)
        return np.stack([np.full_like(z, self.theta), z], axis=-1)

    def sample(self, n: int, seed=None) -> np.ndarray:
        """Draw ``n`` points (theta, z), shape (n, 2)."""
        n = check_int("n", n, minimum=1)
        return self.generator(numpy_generator(seed).uniform(0.0, 1.0, size=n))

    def sample_torch(self, n: int, seed=None, device="cpu", dtype=None):
        """Draw ``n`` points as a torch tensor of shape (n, 2) on ``device``."""
        import torch

        n = check_int("n", n, minimum=1)
        rng = torch_generator(seed, device=device)
        z = torch.rand(n, generator=rng, device=device, dtype=dtype or torch.float32)
        return torch.stack([torch.full_like(z, self.theta), z], dim=1)


# Figure 2's pair. The paper gives no parameters for it; two narrow Gaussians 4 apart reproduce its
# picture (a saturated discriminator, a critic with slope everywhere). Defined once, here: the
# figure, the lessons, verify and the benchmarks all use these two laws.
FIGURE_2_REAL = Gaussian1D(0.0, 0.5)
FIGURE_2_FAKE = Gaussian1D(4.0, 0.5)


def _log_normal_mass(low, high):
    """log(Phi(high) - Phi(low)) elementwise for low <= high, taken in the tail where it does not cancel."""
    from scipy.special import log_ndtr

    low, high = np.broadcast_arrays(np.asarray(low, dtype=float), np.asarray(high, dtype=float))
    upper_tail = low > 0  # both in the upper tail: Phi(-low) - Phi(-high) keeps the digits
    big = np.where(upper_tail, log_ndtr(-low), log_ndtr(high))
    small = np.where(upper_tail, log_ndtr(-high), log_ndtr(low))
    with np.errstate(divide="ignore"):  # a mass of exactly 0 is log 0 = -inf, never NaN
        return big + np.log1p(-np.exp(small - big))


@dataclass(frozen=True)
class NoisyParallelLines:
    r"""Example 1 with the "typical remedy" of Section 1: the parallel line blurred by Gaussian noise.

    The law of :math:`g_\theta(Z) + \sigma \varepsilon` with :math:`Z \sim U[0, 1]`,
    :math:`g_\theta(z) = (\theta, z)` and :math:`\varepsilon \sim N(0, I_2)`: :class:`ParallelLines`
    convolved with :math:`N(0, \sigma^2 I)`. Its two coordinates are independent: the horizontal one is
    :math:`N(\theta, \sigma^2)` and the vertical one is :math:`U[0, 1] * N(0, \sigma^2)`, so it has a
    density on :math:`\mathbb{R}^2`,

    .. math::

        p_{\theta,\sigma}(x, y) = \frac{1}{\sigma}\varphi\Big(\frac{x - \theta}{\sigma}\Big)
            \Big[\Phi\Big(\frac{y}{\sigma}\Big) - \Phi\Big(\frac{y - 1}{\sigma}\Big)\Big],

    and a likelihood. Two such laws with the same ``noise_std`` differ only in their horizontal
    part; :mod:`~wgan_toys.distances` gives their TV, KL, JS and W1 exactly.

    Parameters
    ----------
    theta : float
        The horizontal offset theta; any finite number.
    noise_std : float
        The noise's standard deviation sigma on each coordinate; finite and > 0 (the paper's
        Section 1 quotes about 0.1 per pixel for image models fitted by likelihood).
        ``sigma -> 0`` gives back :class:`ParallelLines`.

    References
    ----------
    Arjovsky, Chintala, Bottou (2017), arXiv:1701.07875, Section 1 and Example 1.

    Examples
    --------
    >>> law = NoisyParallelLines(0.5, 0.1)
    >>> law.sample(4, seed=0).shape
    (4, 2)
    >>> round(float(law.pdf([[0.5, 0.5]])[0]), 6)  # phi(0) / 0.1 * (Phi(5) - Phi(-5))
    3.989421
    """

    theta: float
    noise_std: float
    dim: int = field(default=2, init=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "theta", check_real("theta", self.theta))
        object.__setattr__(
            self,
            "noise_std",
            check_positive(
                "noise_std", self.noise_std, hint=" (sigma -> 0 is ParallelLines(theta), which has no density)"
            ),
        )

    @property
    def horizontal(self) -> Gaussian1D:
        """The law of the horizontal coordinate, N(theta, sigma^2)."""
        return Gaussian1D(self.theta, self.noise_std)

    def generator(self, z, noise):
        """g_theta(z) + sigma * noise for ``z`` of shape (n,) and ``noise`` of shape (n, 2); shape (n, 2)."""
        z = np.asarray(z, dtype=float)
        return ParallelLines(self.theta).generator(z) + self.noise_std * np.asarray(noise, dtype=float)

    def logpdf(self, points):
        """log p(x, y) at ``points`` of shape (n, 2); shape (n,). Finite far in the tails."""
        points = check_samples("points", points, dim=2)
        x, y = points[:, 0], points[:, 1]
        sigma = self.noise_std
        return self.horizontal.logpdf(x) + _log_normal_mass((y - 1.0) / sigma, y / sigma)

    def pdf(self, points):
        """p(x, y) at ``points`` of shape (n, 2); shape (n,)."""
        return np.exp(self.logpdf(points))

    def sample(self, n: int, seed=None) -> np.ndarray:
        """Draw ``n`` points, shape (n, 2): first the n heights z, then the (n, 2) noise, from one generator."""
        n = check_int("n", n, minimum=1)
        rng = numpy_generator(seed)
        z = rng.uniform(0.0, 1.0, size=n)
        return self.generator(z, rng.standard_normal((n, 2)))

    def sample_torch(self, n: int, seed=None, device="cpu", dtype=None):
        """Draw ``n`` points as a torch tensor of shape (n, 2) on ``device``."""
        import torch

        n = check_int("n", n, minimum=1)
        dtype = dtype or torch.float32
        _check_torch_range(abs(self.theta) + 1.0 + 40.0 * self.noise_std, dtype, repr(self))
        generator = torch_generator(seed, device=device)
        z = torch.rand(n, generator=generator, device=device, dtype=dtype)
        noise = torch.randn(n, 2, generator=generator, device=device, dtype=dtype)
        return torch.stack([torch.full_like(z, self.theta), z], dim=1) + self.noise_std * noise
