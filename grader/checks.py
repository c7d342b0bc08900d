"""Comparisons the parent makes between what a student's code returned and what is expected.

Every check is a small frozen dataclass with a registered `kind`, so a test's checks can be
written to a release bundle as JSON and read back for `grader check`. `evaluate` returns None
when the value passes, or a `Failure` with a value-free summary (safe for hidden tests) and a
detail that quotes values (shown for public tests). `evaluate_with_notes` also says what a
passing value was let off for (a leniency the test allows), so feedback can name it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar

import numpy as np

from .i18n import Text, t
from .sandbox.codec import CallableRef, Opaque, TooBig
from .values import Either, as_array, describe, numeric_sequence, type_name

__all__ = ["REGISTRY", "Check", "Close", "Either", "Failure", "Finite", "InRange", "SumsTo", "check_from_json",
           "describe", "is_close_number", "register"]

REGISTRY: dict[str, type[Check]] = {}


@dataclass(frozen=True)
class Failure:
    summary: Text
    detail: Text | None = None
    got: str | None = None  # how feedback should show the obtained value, when not the whole result
    expected: str | None = None  # how feedback should show the expected value, when not the whole expected


def register(cls: type[Check]) -> type[Check]:
    REGISTRY[cls.kind] = cls
    return cls


class Check:
    kind: ClassVar[str] = ""
    needs_expected: ClassVar[bool] = False
    # Compares what the code printed during the probe (`ProbeRun.printed`) instead of what it returned.
    reads_printed: ClassVar[bool] = False

    def evaluate(self, got: Any, expected: Any, args: tuple[Any, ...] = ()) -> Failure | None:
        raise NotImplementedError

    def evaluate_with_notes(self, got: Any, expected: Any,
                            args: tuple[Any, ...] = ()) -> tuple[Failure | None, tuple[Text, ...]]:
        """The verdict, and for a pass the leniencies it needed (none for most checks)."""
        return self.evaluate(got, expected, args), ()

    @property
    def wants_printed_reference(self) -> bool:
        """Whether the reference must be run with its printing captured (see grader.printed)."""
        return False

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


_DTYPE_KINDS = {"float": "f", "int": "iu", "bool": "b", "number": "biuf"}
_DTYPE_WORDS = {"float": Text("floating-point", "de coma flotante"), "int": Text("integer", "enteros"),
                "bool": Text("boolean", "booleanos"), "number": Text("numeric", "numéricos")}


def _where(path: str) -> Text:
    return t("check.in_path", path=path) if path else Text("", "")


def _fmt_index(index: tuple[int, ...]) -> str:
    return "index " + (str(index[0]) if len(index) == 1 else str(tuple(int(i) for i in index)))


def _shape_words(shape: tuple[int, ...]) -> Text:
    return Text("a single number", "un único número") if shape == () else Text(f"shape {shape}", f"forma {shape}")


Distance = tuple[int, int, float]  # (structural differences, values out of tolerance, largest difference)


def _add(a: Distance, b: Distance) -> Distance:
    return a[0] + b[0], a[1] + b[1], max(a[2], b[2])


@register
@dataclass(frozen=True)
class Close(Check):
    """Same structure, shape and dtype class as expected, values within rtol/atol (nested values too).

    Two leniencies, off by default, each named in the feedback of a value that needed it:
    `size1` lets a single number and an array of one element stand for each other (`db` returned
    as shape (1, 1) where a number is expected, or a float where shape (1,) is expected);
    `extra_keys` ignores keys a returned dict has beyond the expected ones (missing keys still fail).
    """

    rtol: float = 1e-6
    atol: float = 1e-9
    dtype: str | None = None  # "float" | "int" | "bool" | "number" | None (any numeric)
    size1: bool = False
    extra_keys: bool = False
    kind: ClassVar[str] = "close"
    needs_expected: ClassVar[bool] = True

    def evaluate(self, got: Any, expected: Any, args: tuple[Any, ...] = ()) -> Failure | None:
        return self.evaluate_with_notes(got, expected, args)[0]

    def evaluate_with_notes(self, got: Any, expected: Any,
                            args: tuple[Any, ...] = ()) -> tuple[Failure | None, tuple[Text, ...]]:
        notes: list[Text] = []
        failure = self._compare(got, expected, "", notes)
        if failure is not None:
            return failure, ()
        return None, tuple(dict.fromkeys(notes))  # each leniency once, in the order met

    def _compare(self, got: Any, expected: Any, path: str, notes: list[Text]) -> Failure | None:
        if isinstance(got, (Opaque, CallableRef)):
            return Failure(t("check.opaque", type=type_name(got)) + _where(path))
        if isinstance(got, TooBig):
            return Failure(t("check.too_big", why=got.reason) + _where(path))
        if isinstance(expected, Either):
            return self._either(got, expected, path, notes)
        if isinstance(expected, dict):
            return self._dict(got, expected, path, notes)
        if isinstance(expected, (tuple, list)) and not numeric_sequence(expected):
            if not isinstance(got, (tuple, list)):
                return self._type_failure(got, "tuple" if isinstance(expected, tuple) else "list", path)
            if len(got) != len(expected):
                return Failure(t("check.length", got=len(got), expected=len(expected)) + _where(path))
            for i, (g, e) in enumerate(zip(got, expected)):
                failure = self._compare(g, e, f"{path}[{i}]", notes)
                if failure:
                    return failure
            return None
        if expected is None or isinstance(expected, str):
            if type(got) is not type(expected) or got != expected:
                return Failure(t("check.equal") + _where(path),
                               Text.of(f"got {describe(got)}, expected {describe(expected)}"))
            return None
        return self._numeric(got, expected, path, notes)

    def _dict(self, got: Any, expected: dict[Any, Any], path: str, notes: list[Text]) -> Failure | None:
        if not isinstance(got, dict):
            return self._type_failure(got, "dict", path)
        missing = [k for k in expected if k not in got]
        extra = [k for k in got if k not in expected]
        if missing or (extra and not self.extra_keys):
            return Failure(t("check.keys", got=sorted(map(str, got)), expected=sorted(map(str, expected)))
                           + _where(path))
        if extra:
            notes.append(t("check.accepted_extra_keys", keys=", ".join(sorted(map(repr, extra)))) + _where(path))
        for key, value in expected.items():
            failure = self._compare(got[key], value, f"{path}[{key!r}]", notes)
            if failure:
                return failure
        return None

    def _type_failure(self, got: Any, expected_type: str, path: str) -> Failure:
        return Failure(t("check.type", got_type=type_name(got), expected_type=expected_type) + _where(path))

    def _shaped(self, arr: np.ndarray, shape: tuple[int, ...], path: str,
                notes: list[Text]) -> np.ndarray | Failure:
        """`arr` in the expected shape, or why it is not (a size-1 leniency is noted)."""
        if arr.shape == shape:
            return arr
        if self.size1 and arr.size == 1 and math.prod(shape) == 1:
            notes.append(t("check.accepted_size1", got=_shape_words(arr.shape), expected=_shape_words(shape))
                         + _where(path))
            return arr.reshape(shape)
        return Failure(t("check.shape", got=arr.shape, expected=shape) + _where(path))

    def _dtype_failure(self, arr: np.ndarray, path: str) -> Failure | None:
        wanted = self.dtype or "number"
        if arr.dtype.kind not in _DTYPE_KINDS[wanted]:
            return Failure(t("check.dtype", got=str(arr.dtype), expected=_DTYPE_WORDS[wanted]) + _where(path))
        return None

    def _numeric(self, got: Any, expected: Any, path: str, notes: list[Text]) -> Failure | None:
        exp = as_array(expected)
        arr = as_array(got)
        if exp is None:
            raise TypeError(f"cannot compare against expected value of type {type(expected).__name__}")
        if arr is None:
            return self._type_failure(got, "a number" if exp.ndim == 0 else "a numpy array", path)
        shaped = self._shaped(arr, exp.shape, path, notes)
        if isinstance(shaped, Failure):
            return shaped
        failure = self._dtype_failure(shaped, path)
        if failure is not None:
            return failure
        ok = _close_mask(shaped, exp, self.rtol, self.atol)
        if ok.all():
            return None
        return self._mismatch(shaped, exp, ok, path)

    def _either(self, got: Any, expected: Either, path: str, notes: list[Text]) -> Failure | None:
        options = expected.options
        arrays = [as_array(o) for o in options]
        arr = as_array(got)
        if arr is None or any(a is None or a.shape != arrays[0].shape for a in arrays):  # type: ignore[union-attr]
            return self._either_whole(got, expected, path, notes)
        base = arrays[0]
        assert base is not None
        local: list[Text] = []
        shaped = self._shaped(arr, base.shape, path, local)
        if isinstance(shaped, Failure):
            return shaped
        failure = self._dtype_failure(shaped, path)
        if failure is not None:
            return failure
        masks = [_close_mask(shaped, option, self.rtol, self.atol) for option in arrays]  # type: ignore[arg-type]
        ok = np.logical_or.reduce(masks)
        if ok.all():
            notes.extend(local)
            return None
        # Each element is described against the alternative nearest to it, and the whole against
        # the alternative with the fewest values out of tolerance.
        gaps = np.stack([_gaps(shaped, option) for option in arrays])  # type: ignore[arg-type]
        nearest = np.choose(np.argmin(gaps, axis=0), [np.asarray(a, dtype=np.float64) for a in arrays])
        found = self._mismatch(shaped, np.asarray(nearest), ok, path)
        order = sorted(range(len(options)), key=lambda i: (int((~masks[i]).sum()), float(gaps[i].max())))
        return Failure(found.summary, found.detail, expected=self._nearest_first(options, order, path))

    def _either_whole(self, got: Any, expected: Either, path: str, notes: list[Text]) -> Failure | None:
        """Alternatives compared as wholes (dicts, tuples, differently shaped arrays)."""
        failures = []
        for option in expected.options:
            local: list[Text] = []
            failure = self._compare(got, option, path, local)
            if failure is None:
                notes.extend(local)
                return None
            failures.append(failure)
        order = sorted(range(len(failures)), key=lambda i: self._distance(got, expected.options[i]))
        nearest = failures[order[0]]
        return Failure(nearest.summary, nearest.detail, nearest.got,
                       self._nearest_first(expected.options, order, path) or nearest.expected)

    @staticmethod
    def _nearest_first(options: tuple[Any, ...], order: list[int], path: str) -> str | None:
        """The expected value as feedback shows it: the nearest alternative, then the others. Only
        for a whole expected value; one inside a structure is shown within the whole."""
        return describe(Either(tuple(options[i] for i in order))) if not path else None

    def _distance(self, got: Any, expected: Any) -> Distance:
        """How far a result is from one expected value, to choose the nearest of several."""
        if isinstance(got, (Opaque, CallableRef, TooBig)):
            return 1, 0, 0.0
        if isinstance(expected, Either):
            return min(self._distance(got, o) for o in expected.options)
        if isinstance(expected, dict):
            if not isinstance(got, dict):
                return 1, 0, 0.0
            extra = 0 if self.extra_keys else sum(k not in expected for k in got)
            total: Distance = (sum(k not in got for k in expected) + extra, 0, 0.0)
            for key in expected:
                if key in got:
                    total = _add(total, self._distance(got[key], expected[key]))
            return total
        if isinstance(expected, (tuple, list)) and not numeric_sequence(expected):
            if not isinstance(got, (tuple, list)):
                return 1, 0, 0.0
            total = (abs(len(got) - len(expected)), 0, 0.0)
            for g, e in zip(got, expected):
                total = _add(total, self._distance(g, e))
            return total
        if expected is None or isinstance(expected, str):
            return (0, 0, 0.0) if type(got) is type(expected) and got == expected else (0, 1, 0.0)
        exp, arr = as_array(expected), as_array(got)
        if exp is None or arr is None:
            return 1, 0, 0.0
        if arr.shape != exp.shape:
            if not (self.size1 and arr.size == 1 and exp.size == 1):
                return 1, 0, 0.0
            arr = arr.reshape(exp.shape)
        ok = _close_mask(arr, exp, self.rtol, self.atol)
        gaps = _gaps(arr, exp)
        return 0, int((~ok).sum()), float(gaps.max()) if gaps.size else 0.0

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


def _close_mask(arr: np.ndarray, exp: np.ndarray, rtol: float, atol: float) -> np.ndarray:
    if arr.dtype.kind == "b" and exp.dtype.kind == "b":
        return np.asarray(arr == exp)
    a = arr.astype(np.float64)
    e = exp.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        return np.asarray(np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=True))


def _gaps(arr: np.ndarray, exp: np.ndarray) -> np.ndarray:
    """Each element's absolute difference (a nan or inf where a number is due: inf)."""
    a = arr.astype(np.float64)
    e = exp.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        gap = np.abs(a - e)
    gap = np.where((a == e) | (np.isnan(a) & np.isnan(e)), 0.0, gap)
    return np.where(np.isnan(gap), np.inf, gap)


def is_close_number(a: float, b: float, rtol: float = 1e-9, atol: float = 1e-12) -> bool:
    return math.isclose(a, b, rel_tol=rtol, abs_tol=atol)


# Property checks and the check of printed output live in modules of their own; importing them
# registers their kinds and keeps `from grader.checks import Finite` working.
from . import printed as _printed  # noqa: F401
from .importers import judge as _imported  # noqa: F401 (the check of tests imported from nbgrader and otter)
from .properties import Finite, InRange, SumsTo
