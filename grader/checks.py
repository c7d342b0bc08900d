"""Comparisons the parent makes between what a student's code returned and what is expected.

Every check is a small frozen dataclass with a registered `kind`, so a test's checks can be
written to a release bundle as JSON and read back for `grader check`. `evaluate` returns None
when the value passes, or a `Failure` with a value-free summary (safe for hidden tests) and a
detail that quotes values (shown for public tests).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar

import numpy as np

from .i18n import Text, t
from .sandbox.codec import CallableRef, Opaque, TensorArray, TooBig

REGISTRY: dict[str, type[Check]] = {}


@dataclass(frozen=True)
class Failure:
    summary: Text
    detail: Text | None = None


@dataclass(frozen=True)
class Either:
    """Expected value with alternatives; arrays are matched element by element.

    ReLU′(0) may be 0 or 1: `Either(np.where(x > 0, 1., 0.), np.where(x >= 0, 1., 0.))`.
    """

    options: tuple[Any, ...]


def register(cls: type[Check]) -> type[Check]:
    REGISTRY[cls.kind] = cls
    return cls


class Check:
    kind: ClassVar[str] = ""
    needs_expected: ClassVar[bool] = False

    def evaluate(self, got: Any, expected: Any, args: tuple[Any, ...] = ()) -> Failure | None:
        raise NotImplementedError

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)  # type: ignore[call-overload]
        data["kind"] = self.kind
        return data


def check_from_json(data: dict[str, Any]) -> Check:
    cls = REGISTRY.get(str(data.get("kind")))
    if cls is None:
        raise ValueError(f"unknown check kind {data.get('kind')!r}")
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in names}
    return cls(**values)


def describe(value: Any, limit: int = 8) -> str:
    """A short, readable rendering of a value for feedback."""
    if isinstance(value, Either):
        first = describe(value.options[0], limit)
        others = [describe(v, limit) for v in value.options[1:]]
        others = [o for o in others if o != first]
        return first + "".join(f"  (also accepted: {o})" for o in others)
    if isinstance(value, Opaque):
        return f"<{value.type_name}> {value.repr}".strip()
    if isinstance(value, CallableRef):
        return f"<function {value.name}>"
    if isinstance(value, TooBig):
        return f"<too large: {value.reason}>"
    if isinstance(value, np.ndarray):
        arr = np.asarray(value).view(np.ndarray)
        if arr.ndim == 0:
            return describe(arr[()], limit)
        body = np.array2string(arr, precision=6, threshold=limit, edgeitems=3, separator=", ",
                               suppress_small=False, max_line_width=100)
        tag = "tensor" if isinstance(value, TensorArray) else "array"
        return f"{tag}({body}, shape={arr.shape}, dtype={arr.dtype})" if arr.size > limit else f"{tag}({body})"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    if isinstance(value, (np.integer, np.bool_)):
        return repr(value.item())
    if isinstance(value, tuple):
        return "(" + ", ".join(describe(v, limit) for v in value[:limit]) + (", …" if len(value) > limit else "") + \
            ("," if len(value) == 1 else "") + ")"
    if isinstance(value, list):
        return "[" + ", ".join(describe(v, limit) for v in value[:limit]) + (", …" if len(value) > limit else "") + "]"
    if isinstance(value, dict):
        items = list(value.items())[:limit]
        return "{" + ", ".join(f"{k!r}: {describe(v, limit)}" for k, v in items) + \
            (", …" if len(value) > limit else "") + "}"
    text = repr(value)
    return text if len(text) <= 200 else text[:200] + "…"


def _type_name(value: Any) -> str:
    if isinstance(value, TensorArray):
        return "a torch tensor"
    if isinstance(value, np.ndarray):
        return "a numpy array"
    if isinstance(value, Opaque):
        return value.type_name
    if isinstance(value, CallableRef):
        return "a function"
    if value is None:
        return "None"
    return type(value).__name__


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.number, np.bool_, bool)) and not isinstance(value, Either)


def _as_array(value: Any) -> np.ndarray | None:
    if isinstance(value, np.ndarray):
        return np.asarray(value).view(np.ndarray)
    if _is_number(value):
        return np.asarray(value)
    if isinstance(value, (list, tuple)):
        try:
            arr = np.asarray(value)
        except (ValueError, TypeError):
            return None
        return arr if arr.dtype.kind in "biuf" else None
    return None


_DTYPE_KINDS = {"float": "f", "int": "iu", "bool": "b", "number": "biuf"}
_DTYPE_WORDS = {"float": Text("floating-point", "de coma flotante"), "int": Text("integer", "enteros"),
                "bool": Text("boolean", "booleanos"), "number": Text("numeric", "numéricos")}


def _where(path: str) -> Text:
    return t("check.in_path", path=path) if path else Text("", "")


def _fmt_index(index: tuple[int, ...]) -> str:
    return "index " + (str(index[0]) if len(index) == 1 else str(tuple(int(i) for i in index)))


@register
@dataclass(frozen=True)
class Close(Check):
    """Same structure, shape and dtype class as expected, values within rtol/atol (nested values too)."""

    rtol: float = 1e-6
    atol: float = 1e-9
    dtype: str | None = None  # "float" | "int" | "bool" | "number" | None (any numeric)
    kind: ClassVar[str] = "close"
    needs_expected: ClassVar[bool] = True

    def evaluate(self, got: Any, expected: Any, args: tuple[Any, ...] = ()) -> Failure | None:
        return self._compare(got, expected, "")

    def _compare(self, got: Any, expected: Any, path: str) -> Failure | None:
        if isinstance(got, (Opaque, CallableRef)):
            return Failure(t("check.opaque", type=_type_name(got)) + _where(path))
        if isinstance(got, TooBig):
            return Failure(t("check.too_big", why=got.reason) + _where(path))
        if isinstance(expected, Either):
            return self._either(got, expected, path)
        if isinstance(expected, dict):
            if not isinstance(got, dict):
                return self._type_failure(got, "dict", path)
            if set(got) != set(expected):
                return Failure(t("check.keys", got=sorted(map(str, got)), expected=sorted(map(str, expected)))
                               + _where(path))
            for key in expected:
                failure = self._compare(got[key], expected[key], f"{path}[{key!r}]")
                if failure:
                    return failure
            return None
        if isinstance(expected, (tuple, list)) and not _numeric_sequence(expected):
            if not isinstance(got, (tuple, list)):
                return self._type_failure(got, "tuple" if isinstance(expected, tuple) else "list", path)
            if len(got) != len(expected):
                return Failure(t("check.length", got=len(got), expected=len(expected)) + _where(path))
            for i, (g, e) in enumerate(zip(got, expected)):
                failure = self._compare(g, e, f"{path}[{i}]")
                if failure:
                    return failure
            return None
        if expected is None or isinstance(expected, str):
            if got != expected or type(got) is not type(expected):
                return Failure(t("check.equal") + _where(path),
                               Text.of(f"got {describe(got)}, expected {describe(expected)}"))
            return None
        return self._numeric(got, expected, path)

    def _type_failure(self, got: Any, expected_type: str, path: str) -> Failure:
        return Failure(t("check.type", got_type=_type_name(got), expected_type=expected_type) + _where(path))

    def _numeric(self, got: Any, expected: Any, path: str) -> Failure | None:
        exp = _as_array(expected)
        arr = _as_array(got)
        if exp is None:
            raise TypeError(f"cannot compare against expected value of type {type(expected).__name__}")
        if arr is None:
            return self._type_failure(got, "a number" if exp.ndim == 0 else "a numpy array", path)
        if arr.shape != exp.shape:
            return Failure(t("check.shape", got=arr.shape, expected=exp.shape) + _where(path))
        wanted = self.dtype or "number"
        if arr.dtype.kind not in _DTYPE_KINDS[wanted]:
            return Failure(t("check.dtype", got=str(arr.dtype), expected=_DTYPE_WORDS[wanted]) + _where(path))
        ok = _close_mask(arr, exp, self.rtol, self.atol)
        if ok.all():
            return None
        return self._mismatch(arr, exp, ok, path)

    def _either(self, got: Any, expected: Either, path: str) -> Failure | None:
        options = expected.options
        arrays = [_as_array(o) for o in options]
        arr = _as_array(got)
        if arr is None or any(a is None for a in arrays) or any(a.shape != arrays[0].shape for a in arrays):  # type: ignore[union-attr]
            failures = [self._compare(got, o, path) for o in options]
            return None if any(f is None for f in failures) else failures[0]
        base = arrays[0]
        assert base is not None
        if arr.shape != base.shape:
            return Failure(t("check.shape", got=arr.shape, expected=base.shape) + _where(path))
        wanted = self.dtype or "number"
        if arr.dtype.kind not in _DTYPE_KINDS[wanted]:
            return Failure(t("check.dtype", got=str(arr.dtype), expected=_DTYPE_WORDS[wanted]) + _where(path))
        ok = np.zeros(arr.shape, dtype=bool)
        for option in arrays:
            ok |= _close_mask(arr, option, self.rtol, self.atol)  # type: ignore[arg-type]
        if ok.all():
            return None
        return self._mismatch(arr, base, ok, path)

    def _mismatch(self, arr: np.ndarray, exp: np.ndarray, ok: np.ndarray, path: str) -> Failure:
        got_f = arr.astype(np.float64)
        exp_f = exp.astype(np.float64)
        with np.errstate(invalid="ignore", over="ignore"):
            diff = np.abs(got_f - exp_f)
        diff = np.where(np.isnan(diff), np.inf, diff)
        diff = np.where(ok, -1.0, diff)
        flat = int(np.argmax(diff))
        if arr.ndim == 0:
            where = "the value"
            g, e = arr[()], exp[()]
        else:
            idx = np.unravel_index(flat, arr.shape)
            where = _fmt_index(idx)
            g, e = arr[idx], exp[idx]
        nonfinite = ~np.isfinite(got_f) & np.isfinite(exp_f)
        if nonfinite.any():
            first = np.argwhere(nonfinite)[0] if arr.ndim else ()
            return Failure(t("check.nonfinite") + _where(path),
                           t("check.nonfinite_detail", count=int(nonfinite.sum()),
                             where=_fmt_index(tuple(first)) if arr.ndim else "the value"))
        count = int((~ok).sum())
        return Failure(t("check.values") + _where(path),
                       t("check.values_detail", count=count, total=int(ok.size), where=where,
                         got=describe(g), expected=describe(e)) + _where(path))


def _numeric_sequence(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and len(value) > 0 and all(_is_number(v) for v in value)


def _close_mask(arr: np.ndarray, exp: np.ndarray, rtol: float, atol: float) -> np.ndarray:
    if arr.dtype.kind == "b" and exp.dtype.kind == "b":
        return np.asarray(arr == exp)
    a = arr.astype(np.float64)
    e = exp.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        return np.asarray(np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=True))


def _leaves(value: Any) -> list[np.ndarray]:
    if isinstance(value, dict):
        return [x for v in value.values() for x in _leaves(v)]
    if isinstance(value, (tuple, list)) and not _numeric_sequence(value):
        return [x for v in value for x in _leaves(v)]
    arr = _as_array(value)
    return [arr] if arr is not None else []


@register
@dataclass(frozen=True)
class Finite(Check):
    """No nan or inf anywhere in the result (for the stability probes at ±1000)."""

    kind: ClassVar[str] = "finite"

    def evaluate(self, got: Any, expected: Any, args: tuple[Any, ...] = ()) -> Failure | None:
        leaves = _leaves(got)
        if not leaves:
            return Failure(t("check.type", got_type=_type_name(got), expected_type="numbers"))
        for arr in leaves:
            if arr.dtype.kind in "fc":
                bad = ~np.isfinite(arr)
                if bad.any():
                    where = _fmt_index(tuple(np.argwhere(bad)[0])) if arr.ndim else "the value"
                    return Failure(t("check.nonfinite"), t("check.nonfinite_detail", count=int(bad.sum()), where=where))
        return None


@register
@dataclass(frozen=True)
class SumsTo(Check):
    """Values along `axis` sum to `target` (softmax rows sum to 1)."""

    target: float = 1.0
    axis: int = -1
    atol: float = 1e-6
    kind: ClassVar[str] = "sums_to"

    def evaluate(self, got: Any, expected: Any, args: tuple[Any, ...] = ()) -> Failure | None:
        arr = _as_array(got)
        if arr is None or arr.ndim == 0:
            return Failure(t("check.type", got_type=_type_name(got), expected_type="a numpy array"))
        with np.errstate(invalid="ignore", over="ignore"):
            sums = arr.astype(np.float64).sum(axis=self.axis)
        if np.all(np.abs(sums - self.target) <= self.atol):
            return None
        return Failure(t("check.sums_to", axis=self.axis, target=self.target),
                       Text.of(f"sums: {describe(sums)}"))


@register
@dataclass(frozen=True)
class InRange(Check):
    low: float = 0.0
    high: float = 1.0
    kind: ClassVar[str] = "in_range"

    def evaluate(self, got: Any, expected: Any, args: tuple[Any, ...] = ()) -> Failure | None:
        for arr in _leaves(got):
            with np.errstate(invalid="ignore"):
                bad = ~((arr >= self.low) & (arr <= self.high))
            if bad.any():
                return Failure(t("check.range", low=self.low, high=self.high),
                               Text.of(f"min {np.nanmin(arr):.6g}, max {np.nanmax(arr):.6g}"))
        return None


def is_close_number(a: float, b: float, rtol: float = 1e-9, atol: float = 1e-12) -> bool:
    return math.isclose(a, b, rel_tol=rtol, abs_tol=atol)
