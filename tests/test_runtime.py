"""runtime.set_threads: one thread policy for every torch workload."""

import io

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


class _Stream(io.StringIO):
    def __init__(self, terminal):
        super().__init__()
        self.terminal = terminal

    def isatty(self):
        return self.terminal


def test_progress_bar_draws_on_a_terminal_only():
    from wgan_toys.runtime import progress_bar

    for terminal in (True, False):
        stream = _Stream(terminal)
        with progress_bar(3, "verify", unit="check", stream=stream) as bar:
            bar.update(3)
        assert ("verify" in stream.getvalue()) is terminal  # a log file gets no carriage-return noise


def test_progress_bar_draws_in_a_jupyter_kernel():
    """A lesson's long cell writes to ipykernel's OutStream, which is no terminal: the bar must still
    draw there (tqdm.auto picks the notebook widget inside a real kernel; here, outside one, text)."""
    from wgan_toys.runtime import progress_bar

    kernel_stream = type("OutStream", (_Stream,), {"__module__": "ipykernel.iostream"})(False)
    with progress_bar(3, "train-images", stream=kernel_stream) as bar:
        bar.update(3)
    assert "train-images" in kernel_stream.getvalue()
    with progress_bar(3, "train-images", stream=kernel_stream, enabled=False) as bar:  # verbose=False wins
        bar.update(3)


def test_verify_reports_each_finished_check_to_the_progress_bar():
    from wgan_toys.verify import CheckResult, Status, run_checks

    def first():
        yield CheckResult("first", "1", "1", Status.PASS)
        yield CheckResult("first", "2", "2", Status.PASS)

    def second():
        raise RuntimeError("broken")

    done, rows = [], []
    run_checks([first, second], callback=rows.append, check_done=lambda check: done.append(check.name))
    assert done == ["first", "second"]  # once per check, a crashed one included
    assert [row.status for row in rows] == [Status.PASS, Status.PASS, Status.FAIL]
