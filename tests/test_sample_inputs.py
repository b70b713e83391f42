"""One validation path (``_validation.as_real_array``) for samples.

Every entry point that takes samples accepts real numeric numpy arrays, lists and torch tensors
(bfloat16 and float16 converted to float64) and refuses strings, complex numbers, object arrays,
ragged lists, empty input and NaN or infinity with a ValueError or TypeError that names the
parameter. Before, these gave AttributeErrors, "unsupported ScalarType BFloat16", NaN results,
empty results, or dropped imaginary parts with only a ComplexWarning.
"""

import numpy as np
import pytest
import torch

from wgan_toys import Discrete1D, Gaussian1D
from wgan_toys.empirical import median_filter
from wgan_toys.images.quality import sliced_wasserstein
from wgan_toys.transport import OptimalCritic1D, exact_transport, kantorovich_critic

torch.set_num_threads(1)

GOOD = [0.0, 1.0, 3.0]  # a 1D sample every entry point takes


def _critic():
    return kantorovich_critic(exact_transport([0.0, 1.0], [2.0, 4.0]))


def _optimal():
    return OptimalCritic1D(Gaussian1D(0.0, 1.0), Gaussian1D(1.0, 2.0))


# entry point -> (the parameter its messages name, a function of the bad input)
ENTRY_POINTS = {
    "Discrete1D": ("points", lambda values: Discrete1D(values)),
    "Discrete1D weights": ("weights", lambda values: Discrete1D([0.0, 1.0], weights=values)),
    "kantorovich_critic": ("points", lambda values: _critic()(values)),
    "OptimalCritic1D": ("x", lambda values: _optimal()(values)),
    "OptimalCritic1D.gradient": ("x", lambda values: _optimal().gradient(values)),
    "median_filter": ("values", lambda values: median_filter(values, 1)),
    "sliced_wasserstein generated": ("generated", lambda values: sliced_wasserstein(values, torch.tensor(GOOD))),
    "sliced_wasserstein real": ("real", lambda values: sliced_wasserstein(torch.tensor(GOOD), values)),
}

# bad input -> (exception, what the message says about it)
BAD = {
    "a string": ("0.5", TypeError, "got the string"),
    "strings": (["0.5", "1"], TypeError, "holds strings"),
    "complex": (np.array([1 + 1j, 0.5]), TypeError, "complex dtype"),
    "complex tensor": (torch.tensor([1 + 1j, 0.5]), TypeError, "complex dtype"),
    "object (None)": (np.array([0.5, None], dtype=object), TypeError, "dtype object"),
    "ragged": ([[0.5], [0.5, 1.0]], ValueError, "not a rectangular array"),
    "empty": ([], ValueError, "is empty"),
    "NaN": ([0.5, float("nan")], ValueError, "NaN or infinite"),
    "inf": ([0.5, float("inf")], ValueError, "NaN or infinite"),
    "NaN bfloat16": (torch.tensor([0.5, float("nan")], dtype=torch.bfloat16), ValueError, "NaN or infinite"),
}


@pytest.mark.parametrize("bad", list(BAD))
@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
def test_bad_samples_are_refused_naming_the_parameter(entry, bad):
    name, call = ENTRY_POINTS[entry]
    values, error, says = BAD[bad]
    if name == "weights" and bad in ("empty",):
        says = "has shape"  # weights of the wrong length: the shape message
    if name == "weights" and bad in ("NaN", "inf", "NaN bfloat16"):
        says = "NaN or infinite"
    with pytest.raises(error, match=rf"^{name} .*{says}"):
        call(values)


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16, torch.float32, torch.float64, torch.int64])
@pytest.mark.parametrize("entry", [e for e in ENTRY_POINTS if e != "Discrete1D weights"])
def test_any_real_tensor_dtype_gives_the_float64_answer(entry, dtype):
    """0, 1 and 3 are exact in every dtype here, so each entry point must give exactly the
    answer of the float64 list (bfloat16 used to raise 'unsupported ScalarType BFloat16')."""
    _, call = ENTRY_POINTS[entry]
    expected = call(GOOD)
    got = call(torch.tensor(GOOD, dtype=dtype))
    if isinstance(expected, Discrete1D):
        expected, got = (expected.points, expected.weights), (got.points, got.weights)
    np.testing.assert_array_equal(
        np.asarray(got, dtype=object if isinstance(got, tuple) else float),
        np.asarray(expected, dtype=object if isinstance(expected, tuple) else float),
    )


def test_weights_keep_their_own_precision_through_the_one_path():
    # float32 and bfloat16 tensors that sum to 1 in their own precision are accepted
    third = torch.tensor([1 / 3, 1 / 3, 1 / 3], dtype=torch.float32)
    assert Discrete1D([0.0, 1.0, 2.0], weights=third).weights.sum() == pytest.approx(1.0, abs=1e-6)
    halves = torch.tensor([0.5, 0.5], dtype=torch.bfloat16)
    assert Discrete1D([0.0, 1.0], weights=halves).weights.tolist() == [0.5, 0.5]


def test_image_batches_flatten_and_must_share_their_image_shape():
    images = torch.rand(6, 1, 4, 4, generator=torch.Generator().manual_seed(0))
    assert sliced_wasserstein(images.to(torch.bfloat16), images.to(torch.bfloat16)) == pytest.approx(0.0, abs=1e-12)
    assert sliced_wasserstein(images.numpy(), images.tolist()) == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match=r"generated images have shape \(1, 4, 4\) and real \(1, 2, 8\)"):
        sliced_wasserstein(images, images.reshape(6, 1, 2, 8))
    with pytest.raises(ValueError, match="^generated is empty"):
        sliced_wasserstein(images[:0], images)
    with pytest.raises(ValueError, match="^n_projections == 0, must be >= 1"):
        sliced_wasserstein(images, images, n_projections=0)


def test_the_critics_refuse_what_is_not_a_law_or_a_transport_result():
    with pytest.raises(TypeError, match="^result must be a TransportResult from exact_transport, got str"):
        kantorovich_critic("plan")
    with pytest.raises(TypeError, match="^q must be a Gaussian1D, Uniform1D or Discrete1D, got list"):
        OptimalCritic1D(Gaussian1D(0.0, 1.0), [0.0, 1.0])


def test_shapes_are_kept_where_they_were():
    critic = _optimal()
    grid = np.linspace(-2.0, 2.0, 6).reshape(2, 3)
    assert critic(grid).shape == (2, 3) and critic.gradient(grid).shape == (2, 3)
    assert critic(0.5).shape == ()  # a scalar point gives a scalar value
