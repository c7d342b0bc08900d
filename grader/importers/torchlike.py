"""PyTorch's comparisons and tensor methods, computed by the grading process on numpy arrays.

A tensor the student's code returns reaches the grading process as an array marked as a tensor
(`TensorArray`); tests written for PyTorch compare it with `torch.allclose`, `torch.testing.
assert_close`, `t.sum(dim=1)`, `t.size()`. These are their numpy equivalents, so that such tests
convert without the grading process importing torch, and without the student's torch deciding.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from ..sandbox.codec import TensorArray

# torch.testing.assert_close's default (rtol, atol) by dtype.
_CLOSE = {np.dtype(np.float16): (1e-3, 1e-5), np.dtype(np.float32): (1.3e-6, 1e-5),
          np.dtype(np.float64): (1e-7, 1e-7), np.dtype(np.complex64): (1.3e-6, 1e-5),
          np.dtype(np.complex128): (1e-7, 1e-7)}


def allclose(a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    return bool(np.allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol, equal_nan=equal_nan))


def isclose(a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Any:
    return np.isclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol, equal_nan=equal_nan).view(TensorArray)


def equal(a: Any, b: Any) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and bool(np.array_equal(a, b))


def assert_close(actual: Any, expected: Any, *, rtol: float | None = None, atol: float | None = None,
                 equal_nan: bool = False, check_dtype: bool = True, **_: Any) -> bool:
    a, e = np.asarray(actual), np.asarray(expected)
    if a.shape != e.shape:
        raise AssertionError(f"The values are not close: shape {a.shape} where {e.shape} is expected")
    if check_dtype and isinstance(actual, np.ndarray) and isinstance(expected, np.ndarray) and a.dtype != e.dtype:
        raise AssertionError(f"The values are not close: dtype {a.dtype} where {e.dtype} is expected")
    default = _CLOSE.get(e.dtype, (0.0, 0.0))
    np.testing.assert_allclose(a, e, rtol=default[0] if rtol is None else rtol,
                               atol=default[1] if atol is None else atol, equal_nan=equal_nan)
    return True


def is_tensor(value: Any) -> bool:
    return isinstance(value, TensorArray)


def _reduce(name: str) -> Any:
    def reduce(t: Any, dim: Any = None, keepdim: bool = False, **kwargs: Any) -> Any:
        axis = kwargs.pop("axis", dim)
        values = getattr(np, name)(np.asarray(t), axis=axis, keepdims=kwargs.pop("keepdims", keepdim), **kwargs)
        if name in ("max", "min") and axis is not None:  # torch gives back the values and where they are
            where = getattr(np, "arg" + name)(np.asarray(t), axis=axis)
            return np.asarray(values).view(TensorArray), np.asarray(where).view(TensorArray)
        return np.asarray(values).view(TensorArray)

    return reduce


FUNCTIONS: dict[str, Any] = {
    "torch.allclose": allclose, "torch.isclose": isclose, "torch.equal": equal, "torch.is_tensor": is_tensor,
    "torch.testing.assert_close": assert_close, "torch.Tensor": TensorArray,
    **{f"torch.{name}": _reduce(name) for name in ("sum", "mean", "max", "min", "std", "prod", "all", "any")},
    "torch.abs": lambda t: np.abs(np.asarray(t)).view(TensorArray),
    "torch.argmax": lambda t, dim=None, keepdim=False: np.asarray(np.argmax(np.asarray(t), axis=dim,
                                                                            keepdims=keepdim)).view(TensorArray),
}

METHODS: dict[str, Any] = {
    "size": lambda t, dim=None: tuple(t.shape) if dim is None else t.shape[dim],
    "dim": lambda t: t.ndim, "numel": lambda t: t.size,
    "detach": lambda t: t, "cpu": lambda t: t, "contiguous": lambda t: t, "clone": lambda t: t.copy(),
    "numpy": lambda t: np.asarray(t).view(np.ndarray),
    "float": lambda t: t.astype(np.float32), "double": lambda t: t.astype(np.float64),
    "long": lambda t: t.astype(np.int64), "int": lambda t: t.astype(np.int32), "bool": lambda t: t.astype(bool),
    **{name: _reduce(name) for name in ("sum", "mean", "max", "min", "std", "prod", "all", "any")},
    "abs": lambda t: np.abs(np.asarray(t)).view(TensorArray),
    "argmax": lambda t, dim=None, keepdim=False: np.asarray(np.argmax(np.asarray(t), axis=dim,
                                                                      keepdims=keepdim)).view(TensorArray),
}


def originals() -> dict[int, str]:
    """torch's own functions by identity, when this process has torch loaded (the solution's run)."""
    torch = sys.modules.get("torch")
    if torch is None:
        return {}
    found = {}
    for name in FUNCTIONS:
        obj: Any = torch
        for part in name.split(".")[1:]:
            obj = getattr(obj, part, None)
        if obj is not None:
            found[id(obj)] = name
    return found
