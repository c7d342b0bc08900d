"""Where and in what precision the references compute.

Every reference function turns its inputs into tensors with :func:`as_tensor`, so they all land
on :func:`device` (CUDA when present, else the CPU) in ``float64`` unless told otherwise. This is
the only module that decides the device; nothing else in ``reference`` calls ``.cuda()``.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator, Sequence
from typing import Any, TypeAlias

import numpy as np
import torch

# Grading compares student answers within tight tolerances; float64 keeps the reference's own
# rounding far below any tolerance a test would use.
DTYPE = torch.float64

ArrayLike: TypeAlias = torch.Tensor | np.ndarray | float | int | bool | Sequence[Any]
"""What every reference function accepts: a tensor, a numpy array, a Python scalar or list."""

_forced: torch.device | None = None


@functools.cache
def _detected() -> torch.device:
    # Asked lazily, on first use, so that importing `reference` never initialises CUDA (a warm
    # worker imports torch and then forks; CUDA does not survive a fork).
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def device() -> torch.device:
    """The device references compute on: CUDA when available, else the CPU."""
    return _forced if _forced is not None else _detected()


@contextlib.contextmanager
def using_device(dev: str | torch.device) -> Iterator[torch.device]:
    """Compute on ``dev`` inside the ``with`` block (tests run the same checks on CPU and CUDA)."""
    global _forced
    previous, _forced = _forced, torch.device(dev)
    try:
        yield _forced
    finally:
        _forced = previous


def as_tensor(x: ArrayLike, dtype: torch.dtype | None = DTYPE) -> torch.Tensor:
    """``x`` as a tensor on :func:`device`, in ``dtype`` (``None`` keeps the input's own dtype).

    Tensors are converted with ``.to``, which autograd sees through, so gradients still flow back
    to a caller's tensor. Numpy arrays and Python scalars or lists are copied.
    """
    if isinstance(x, torch.Tensor):
        return x.to(device=device(), dtype=dtype if dtype is not None else x.dtype)
    array = np.asarray(x)
    if not array.flags.c_contiguous:
        # Torch refuses numpy views with negative strides (x[::-1]); a contiguous copy is
        # accepted. (np.ascontiguousarray would also turn a 0-d scalar into shape (1,).)
        array = array.copy()
    return torch.as_tensor(array, device=device(), dtype=dtype)


def to_numpy(t: ArrayLike) -> np.ndarray:
    """A numpy copy of ``t``, detached from any graph and brought back to the CPU."""
    if isinstance(t, torch.Tensor):
        return t.detach().cpu().numpy()
    return np.asarray(t)


def cpu_generator(seed: int | torch.Generator | None) -> torch.Generator:
    """A CPU random generator from a seed (or the given one).

    Random draws are made on the CPU and then moved, so one seed gives the same numbers on every
    device; CUDA generators produce a different stream.
    """
    if isinstance(seed, torch.Generator):
        return seed
    generator = torch.Generator(device="cpu")
    if seed is None:
        generator.seed()
    else:
        generator.manual_seed(seed)
    return generator
