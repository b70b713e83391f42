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


@pytest.fixture(params=_devices())
def device(request):
    return request.param
