"""How the grading process compares as the tests' own helpers do: `pytest.approx`, and doctest's
"prints the same" for an otter test case's output. Used by `grader.importers.safe`."""

from __future__ import annotations

from typing import Any

import numpy as np

from .guards import guard_broadcast


class Approx:
    """`pytest.approx(expected, rel=None, abs=None)` as a value that compares equal within its
    tolerance: rel 1e-6 and abs 1e-12 by default, numbers, arrays, and sequences and dicts of them."""

    def __init__(self, expected: Any, rel: float | None = None, abs: float | None = None, nan_ok: bool = False) -> None:
        self.expected, self.nan_ok = expected, nan_ok
        self.rel = 1e-6 if rel is None and abs is None else (rel or 0.0)
        self.abs = 1e-12 if abs is None else abs

    def __eq__(self, other: object) -> bool:
        return _approx(other, self.expected, self)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"approx({self.expected!r})"


def _approx(got: Any, expected: Any, tol: Approx) -> bool:
    if isinstance(expected, dict):
        return isinstance(got, dict) and set(got) == set(expected) and \
            all(_approx(got[k], v, tol) for k, v in expected.items())
    if isinstance(expected, (list, tuple)) and not isinstance(got, np.ndarray):
        return isinstance(got, (list, tuple)) and len(got) == len(expected) and \
            all(_approx(g, e, tol) for g, e in zip(got, expected))
    try:
        g = np.asarray(got, dtype=np.complex128 if np.iscomplexobj(got) or np.iscomplexobj(expected) else np.float64)
        e = np.asarray(expected, dtype=g.dtype)
    except (TypeError, ValueError):
        return bool(got == expected)
    if g.shape != e.shape and g.size != 1 and e.size != 1:
        return False
    guard_broadcast(g, e)
    tolerance = np.maximum(tol.rel * np.abs(e), tol.abs)
    with np.errstate(invalid="ignore", over="ignore"):
        ok = (g == e) | (np.abs(g - e) <= tolerance)
    if tol.nan_ok:
        ok |= np.isnan(g) & np.isnan(e)
    return bool(np.all(ok))


def plain_printed(*args: Any, sep: str = " ", end: str = "") -> str:
    """What `print(*args)` writes, as text (nothing is written)."""
    return sep.join(str(a) for a in args) + ("" if end == "\n" else end)


def output_matches(value: Any, text: str, expected: Any) -> bool:
    """Whether `value` prints as a doctest's expected output `text` (the solution's value `expected`
    printed it): exactly, or once converted to the type the solution's value has, so an array is
    compared to numpy's printed precision and a float to its shortest printed form."""
    if expected is None:
        return value is None
    if repr(value) == text:
        return True
    return _prints_alike(value, expected)


# numpy's own defaults: the solution's output was printed with them.
_DEFAULT_PRINT = {"precision": 8, "threshold": 1000, "edgeitems": 3, "linewidth": 75, "suppress": False, "nanstr": "nan",
                      "infstr": "inf", "sign": "-", "floatmode": "maxprec", "legacy": False}


def _prints_alike(value: Any, expected: Any) -> bool:
    with np.printoptions(**_DEFAULT_PRINT):
        if isinstance(expected, np.ndarray):
            try:
                arr = np.asarray(value, dtype=expected.dtype)
            except (TypeError, ValueError):
                return False
            return arr.shape == expected.shape and np.array_repr(arr) == np.array_repr(expected)
        if isinstance(expected, (bool, np.bool_)) or isinstance(value, (bool, np.bool_)):
            return isinstance(value, (bool, np.bool_)) and bool(value) == bool(expected)
        if isinstance(expected, (int, float, np.integer, np.floating)):
            if not isinstance(value, (int, float, np.integer, np.floating)):
                return False
            kind = float if isinstance(expected, (float, np.floating)) else int
            if kind is int and float(value) != int(value):
                return False
            return repr(kind(value)) == repr(kind(expected))
        if isinstance(expected, (list, tuple)):
            return type(value) is type(expected) and len(value) == len(expected) and \
                all(_prints_alike(v, e) for v, e in zip(value, expected))
        if isinstance(expected, dict):
            return isinstance(value, dict) and list(value) == list(expected) and \
                all(_prints_alike(value[k], e) for k, e in expected.items())
        return bool(value == expected) if type(value) is type(expected) else False


