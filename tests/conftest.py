"""Shared fixtures. The device fixture runs a test on the CPU and, where present, on CUDA."""

import pytest


def _devices():
    import torch

    devices = [pytest.param("cpu", id="cpu")]
    reason = "no CUDA GPU on this machine (the CPU case of this test still runs)"
    devices.append(
        pytest.param("cuda", id="cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(), reason=reason))
    )
    return devices


@pytest.fixture(scope="session")
def classifier_cache(tmp_path_factory):
    """One WGAN_TOYS_CACHE folder per test worker, for the tests that use the digits classifier
    (images.quality) without testing its cache: it is fitted once per worker (seconds of CPU)
    instead of once per test. The tests of the cache itself (tests/test_images_data.py, and
    test_digits_classifier_is_accurate_and_cached) still start from an empty folder of their own."""
    return tmp_path_factory.mktemp("classifier-cache")


@pytest.fixture
def one_thread():
    """One torch thread for a test (``runtime.set_threads``, the package's thread policy), restored afterwards:
    recorded numbers are those of one thread, and more threads than free cores slow small networks down many
    times on a busy machine. A test file asks for it with ``pytestmark = pytest.mark.usefixtures("one_thread")``."""
    import torch

    from wgan_toys.runtime import set_threads

    before = torch.get_num_threads()
    set_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(params=_devices())
def device(request):
    return request.param


# The longest tests run first. `make test` uses pytest-xdist's worksteal scheduler: each worker gets
# a contiguous share of the collection, and a worker that runs dry steals from the end of another's
# queue. The lessons are dealt round-robin to the start of each worker's share, so every worker runs its
# lessons while short tests remain to be stolen, and the run ends on short tests instead of one worker
# executing a lesson alone (the lessons are the longest tests: pytest's --durations, on by default,
# lists them).
# Only the order changes; every test stays independent of the others.
LONGEST_FIRST = ("test_notebook_executes_and_draws", "test_solutions_execute_and_pass_their_checks")


# doctests carry no decorators: the slow ones are named here (the image trainer's example trains a run)
SLOW_DOCTESTS = ("wgan_toys.images.trainer.ImageTrainer",)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.name in SLOW_DOCTESTS:
            item.add_marker(pytest.mark.slow)

    def rank(item):
        name = getattr(item, "originalname", None) or item.name
        return LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)  # stable: the order within each group is the collection's
    workers = getattr(config, "workerinput", {}).get("workercount", 1)
    if workers > 1:
        items[:] = _longest_spread_over(items, workers, rank)


def _longest_spread_over(items, workers: int, rank) -> list:
    """The order in which pytest-xdist's work-stealing scheduler starts each of ``workers`` workers on
    its share of the long tests: it hands worker i the i-th contiguous slice of the collection (sizes
    ``remaining // (workers - i)``), so the long tests, dealt round-robin, go at the start of each
    slice and the unit tests fill the rest (and are what the workers steal from each other's ends)."""
    long = [item for item in items if rank(item) < len(LONGEST_FIRST)]
    rest = [item for item in items if rank(item) == len(LONGEST_FIRST)]
    ordered, remaining = [], len(items)
    for worker in range(workers):
        size = remaining // (workers - worker)
        remaining -= size
        mine = long[worker::workers]
        fill, rest = rest[: max(0, size - len(mine))], rest[max(0, size - len(mine)) :]
        ordered += mine + fill
    return ordered + rest
