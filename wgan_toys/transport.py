r"""Exact optimal transport: plans, costs and Kantorovich potentials (the ground-truth critic).

Between two weighted point clouds, :func:`exact_transport` solves the linear program of eq. (1)
with POT's network simplex (``ot.emd``) under the Euclidean cost :math:`\|x - y\|` (note that
``ot.dist`` defaults to the *squared* Euclidean cost, which gives W2^2, not W1). Its dual
variables u, v satisfy :math:`u_i + v_j \le \|x_i - y_j\|` and
:math:`\sum_i a_i u_i + \sum_j b_j v_j = W`.

Kantorovich-Rubinstein duality, eq. (2), says :math:`W(P, Q) = \sup_{\|f\|_L \le 1} E_P f - E_Q f`.
:func:`kantorovich_critic` turns POT's duals into that optimal f, defined everywhere, by the
c-transform :math:`f(x) = \min_j (\|x - y_j\| - v_j)`: a minimum of 1-Lipschitz functions is
1-Lipschitz, :math:`f(x_i) \ge u_i` and :math:`f(y_j) \le -v_j`, so
:math:`E_P f - E_Q f \ge \sum a u + \sum b v = W`, and duality forces equality.

On the line the optimal critic has a closed form (:class:`OptimalCritic1D`). Integrating by parts,
:math:`E_P f - E_Q f = \int f'(x)\,(F_Q(x) - F_P(x))\,dx`, which under :math:`|f'| \le 1` is largest
for :math:`f' = \operatorname{sign}(F_Q - F_P)`: slope +1 where the real law P has *less* mass to
the left than Q, -1 where it has more, and the value is :math:`\int |F_P - F_Q| = W`.

References
----------
Arjovsky, Chintala, Bottou (2017), arXiv:1701.07875, eqs. (1)-(2).
Flamary et al. (2021), "POT: Python Optimal Transport", JMLR 22(78).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._validation import check_finite_array, check_samples, check_weights
from .distributions import Discrete1D, Gaussian1D, Uniform1D

__all__ = ["TransportResult", "exact_transport", "kantorovich_critic", "OptimalCritic1D", "discretize"]

_MAX_SIMPLEX_ITERATIONS = 10_000_000


@dataclass
class TransportResult:
    """The solution of eq. (1) between weighted points, with its Kantorovich duals.

    Attributes
    ----------
    source, target : ndarray, shapes (n, d) and (m, d)
        The points of P (the real law) and Q.
    source_weights, target_weights : ndarray, shapes (n,) and (m,)
        Their probabilities a and b.
    plan : ndarray, shape (n, m)
        The optimal coupling gamma; rows sum to a, columns to b.
    cost : float
        W1 = sum_ij gamma_ij ||x_i - y_j||.
    source_potential, target_potential : ndarray, shapes (n,) and (m,)
        POT's duals u and v, with u_i + v_j <= ||x_i - y_j|| and a.u + b.v = cost.
    """

    source: np.ndarray
    target: np.ndarray
    source_weights: np.ndarray
    target_weights: np.ndarray
    plan: np.ndarray
    cost: float
    source_potential: np.ndarray
    target_potential: np.ndarray


def _pairwise_distances(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Euclidean distances ||x_i - y_j||, shape (n, m), from the differences x_i - y_j.

    Not from |x|^2 + |y|^2 - 2 x.y, which cancels: two clouds shifted by 1e8 gave W1 = 0.
    In d >= 2 the points are first divided by a power of 2 near their largest coordinate (exact),
    so that the squares inside the norm neither overflow (coordinates of 1e200 would give inf) nor
    underflow (coordinates of 1e-180 would give 0), and the distances are scaled back.
    """
    if x.shape[1] == 1:
        return np.abs(x - y.T)
    from scipy.spatial.distance import cdist

    exponent = _binary_exponent(max(np.abs(x).max(), np.abs(y).max()))
    return np.ldexp(cdist(np.ldexp(x, -exponent), np.ldexp(y, -exponent), metric="euclidean"), exponent)


def _binary_exponent(largest: float) -> int:
    """e with 2^(e-1) <= ``largest`` < 2^e (0 for 0): dividing by 2^e is exact and brings it to [1/2, 1)."""
    return int(np.frexp(largest)[1]) if largest > 0 else 0


def exact_transport(source, target, source_weights=None, target_weights=None) -> TransportResult:
    r"""Exact W1 transport between two weighted point clouds (``ot.emd`` with Euclidean cost).

    .. math::

        W = \min_{\gamma \ge 0,\ \gamma 1 = a,\ \gamma^T 1 = b} \sum_{ij} \gamma_{ij} \|x_i - y_j\|

    Parameters
    ----------
    source : array_like, shape (n,) or (n, d)
        Points x_i of P.
    target : array_like, shape (m,) or (m, d)
        Points y_j of Q, same dimension d.
    source_weights, target_weights : array_like, shapes (n,) and (m,), default=None
        Probabilities (>= 0, summing to 1); None gives uniform weights.

    Returns
    -------
    TransportResult

    Raises
    ------
    ValueError
        On empty or non-finite points, mismatched dimensions, or invalid weights.

    Examples
    --------
    >>> result = exact_transport([[0.0, 0.0], [0.0, 1.0]], [[0.5, 0.0], [0.5, 1.0]])
    >>> round(result.cost, 12)
    0.5
    """
    import ot

    x = check_samples("source", source)
    y = check_samples("target", target, dim=x.shape[1])
    a = check_weights("source_weights", source_weights, x.shape[0])
    b = check_weights("target_weights", target_weights, y.shape[0])
    # ot.emd wants the two weight vectors to sum to exactly the same float
    b = b * (a.sum() / b.sum())
    cost_matrix = _pairwise_distances(x, y)
    # the network simplex compares costs with fixed tolerances: solve with costs in [0, 1)
    # (divided by a power of 2, exactly) and scale the cost and the duals back, so that
    # W1(c x, c y) = c W1(x, y) for any c > 0 (raw costs of 1e-14 lose 6% of W1, of 1e-180 all of it)
    exponent = _binary_exponent(float(cost_matrix.max()))
    plan, log = ot.emd(a, b, np.ldexp(cost_matrix, -exponent), numItermax=_MAX_SIMPLEX_ITERATIONS, log=True)
    if log.get("warning"):
        raise RuntimeError(f"ot.emd did not solve the problem exactly: {log['warning']}")
    return TransportResult(
        source=x,
        target=y,
        source_weights=a,
        target_weights=b,
        plan=plan,
        cost=float(np.sum(plan * cost_matrix)),
        source_potential=np.ldexp(np.asarray(log["u"], dtype=float), exponent),
        target_potential=np.ldexp(np.asarray(log["v"], dtype=float), exponent),
    )


def kantorovich_critic(result: TransportResult):
    r"""The optimal critic of eq. (2), evaluated anywhere, from POT's duals by the c-transform.

    .. math::

        f(x) = \min_j \big(\|x - y_j\| - v_j\big)

    f is 1-Lipschitz and :math:`E_P f - E_Q f = W` on the result's weighted points (see the
    module docstring for why).

    Parameters
    ----------
    result : TransportResult
        From :func:`exact_transport`; P is its source.

    Returns
    -------
    callable
        ``critic(points)`` maps an array of shape (k,) or (k, d) to values of shape (k,).

    Raises
    ------
    TypeError
        If ``result`` is not a TransportResult; the critic raises on points that are not
        finite real numbers of the result's dimension.
    """
    if not isinstance(result, TransportResult):
        raise TypeError(f"result must be a TransportResult from exact_transport, got {type(result).__name__}.")
    target = result.target
    potential = result.target_potential

    def critic(points) -> np.ndarray:
        x = check_samples("points", points, dim=target.shape[1])
        values = np.empty(x.shape[0])
        for start in range(0, x.shape[0], 2048):  # chunks keep the (k, m) matrix small
            block = x[start : start + 2048]
            values[start : start + 2048] = np.min(_pairwise_distances(block, target) - potential, axis=1)
        return values

    return critic


def _cdf_gap(p, q):
    return lambda x: float(q.cdf(x)) - float(p.cdf(x))


class OptimalCritic1D:
    r"""The exact optimal critic between two 1D laws: :math:`f' = \operatorname{sign}(F_Q - F_P)`.

    Maximises :math:`E_P f - E_Q f` over 1-Lipschitz f, with P the real law, and reaches W1.
    f is piecewise linear with slopes +-1 that switch where the CDFs cross. It is unique up to
    an additive constant on the region holding mass; here f(anchor) = 0 with anchor the
    midpoint of the two medians.

    For Gaussians the CDFs cross at most once, at
    :math:`x^* = (\mu_Q \sigma_P - \mu_P \sigma_Q) / (\sigma_P - \sigma_Q)`, so the optimal critic
    is :math:`\pm|x - x^*|` (different widths) or linear (equal widths).

    Parameters
    ----------
    p, q : Gaussian1D, Uniform1D or Discrete1D
        The real law P and the generated law Q.

    Examples
    --------
    >>> critic = OptimalCritic1D(Gaussian1D(0, 1), Gaussian1D(4, 1))
    >>> critic.gradient([-3.0, 0.0, 7.0])   # P sits left of Q: f decreases
    array([-1., -1., -1.])
    """

    def __init__(self, p, q):
        for name, law in (("p", p), ("q", q)):
            if not isinstance(law, (Gaussian1D, Uniform1D, Discrete1D)):
                raise TypeError(f"{name} must be a Gaussian1D, Uniform1D or Discrete1D, got {type(law).__name__}.")
        self.p, self.q = p, q
        self.crossings = self._find_crossings()
        if isinstance(p, Gaussian1D) and isinstance(q, Gaussian1D):
            self.slopes = self._gaussian_slopes(p, q)
        else:
            edges = np.concatenate([[-np.inf], self.crossings, [np.inf]])
            probes = [self._probe(lo, hi) for lo, hi in zip(edges[:-1], edges[1:])]
            self.slopes = np.array([np.sign(_cdf_gap(p, q)(x)) for x in probes])
        self.anchor = 0.5 * (self._median(p) + self._median(q))
        self._offset = 0.0
        self._offset = -float(self(np.array([self.anchor]))[0])

    @staticmethod
    def _median(d) -> float:
        if isinstance(d, Gaussian1D):
            return d.mean
        low, high = d.support
        return 0.5 * (low + high)

    @staticmethod
    def _gaussian_slopes(p: Gaussian1D, q: Gaussian1D) -> np.ndarray:
        """sign(F_Q - F_P) on each piece, in closed form: Phi is increasing, so the sign is that of
        z_Q(x) - z_P(x) = x (1/sigma_Q - 1/sigma_P) - (mu_Q/sigma_Q - mu_P/sigma_P), linear in x. With equal
        stds it is sign(mu_P - mu_Q) everywhere; otherwise it is sign(sigma_P - sigma_Q) right of the crossing
        and the opposite left of it. Probing F_Q - F_P at a point instead reads 0 where both CDFs round to 0
        or 1 (N(50, 1) against N(54, 1) at x = 0), and would give a flat critic."""
        if p.std == q.std:
            return np.array([np.sign(p.mean - q.mean)])
        right = np.sign(p.std - q.std)
        return np.array([-right, right])

    @staticmethod
    def _probe(low: float, high: float) -> float:
        if np.isinf(low) and np.isinf(high):
            return 0.0
        if np.isinf(low):
            return high - 1.0
        if np.isinf(high):
            return low + 1.0
        return 0.5 * (low + high)

    def _find_crossings(self) -> np.ndarray:
        p, q = self.p, self.q
        if isinstance(p, Gaussian1D) and isinstance(q, Gaussian1D):
            if p.std == q.std:
                return np.array([])
            return np.array([(q.mean * p.std - p.mean * q.std) / (p.std - q.std)])
        from .quadrature import integration_window

        def sign_of_gap(x):
            gap = float(q.cdf(x)) - float(p.cdf(x))
            return 0.0 if abs(gap) < 1e-15 else math.copysign(1.0, gap)

        low, high, _ = integration_window(p, q)
        margin = 0.01 * (high - low)  # start and end outside both supports, where the gap is 0
        grid = np.linspace(low - margin, high + margin, 20001)
        signs = [sign_of_gap(x) for x in grid]
        breakpoints = []
        for i in range(grid.size - 1):
            if signs[i] != signs[i + 1]:  # bisect to where sign(F_Q - F_P) changes
                left, right = grid[i], grid[i + 1]
                for _ in range(64):
                    middle = 0.5 * (left + right)
                    if sign_of_gap(middle) == signs[i]:
                        left = middle
                    else:
                        right = middle
                breakpoints.append(right)
        return np.unique(breakpoints)

    def gradient(self, x) -> np.ndarray:
        """f'(x) = sign(F_Q(x) - F_P(x)), in {-1, 0, +1}, at finite points ``x`` of any shape."""
        x = check_finite_array("x", x)
        return self.slopes[np.searchsorted(self.crossings, x)]

    def __call__(self, x) -> np.ndarray:
        """f(x) at finite points ``x`` of any shape (the result has the same shape)."""
        x = check_finite_array("x", x)
        # f(x) = sum over pieces of slope * (length of the piece between 0-origin and x)
        knots = self.crossings
        values = self.slopes[0] * np.minimum(x, knots[0] if knots.size else math.inf)
        for k, knot in enumerate(knots):
            upper = knots[k + 1] if k + 1 < knots.size else math.inf
            values = values + self.slopes[k + 1] * (np.clip(x, knot, upper) - knot)
        return values + self._offset


def discretize(distribution, grid) -> np.ndarray:
    """Probabilities of a continuous 1D law on the points of ``grid``: pdf(grid) normalised."""
    grid = check_samples("grid", grid, dim=1)[:, 0]
    mass = np.asarray(distribution.pdf(grid), dtype=float)
    if mass.sum() <= 0:
        raise ValueError("grid holds none of the law's mass; widen it to cover the law's support.")
    return mass / mass.sum()
