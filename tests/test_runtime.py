"""runtime.set_threads: one thread policy for every torch workload (issue 12, item 2)."""

import pytest
import torch

from wgan_toys.runtime import available_cores, default_threads, set_threads


def test_set_threads_sets_torch_and_returns_the_count():
    before = torch.get_num_threads()
    try:
        assert set_threads(1) == 1 and torch.get_num_threads() == 1
        assert set_threads(None, workload="mlp") == 1 and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_conv_default_never_exceeds_the_available_cores():
    threads = default_threads("conv")
    assert 1 <= threads <= available_cores()


@pytest.mark.parametrize("threads, error", [(0, ValueError), (-2, ValueError), (1.5, TypeError), (True, TypeError)])
def test_bad_thread_counts_name_the_parameter(threads, error):
    with pytest.raises(error, match="threads"):
        set_threads(threads)


def test_unknown_workload_is_refused():
    with pytest.raises(ValueError, match="workload == 'gpu'"):
        default_threads("gpu")
