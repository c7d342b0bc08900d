"""Shared fixtures of the reference tests: the device each check runs on."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

# The reference package sits at the repository root; make it importable when the project is not
# installed and pytest is started as a script (which does not put the working directory on path).
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from reference.device import using_device  # noqa: E402

CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")

DEVICES = [pytest.param("cpu", id="cpu"), pytest.param("cuda", id="cuda", marks=[pytest.mark.cuda, CUDA])]


@pytest.fixture(params=DEVICES)
def dev(request: pytest.FixtureRequest) -> Iterator[torch.device]:
    """Run the test with the references computing on each device (CUDA only where present)."""
    with using_device(request.param) as chosen:
        yield chosen
