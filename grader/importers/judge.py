"""The grading process's side of an imported test: its judgments, and the check that runs them.

A converted test's probe brings back snapshots of the student's values; its `Assertions` check
holds the test's judgments (one per assertion of the original test, in order) and evaluates each
with `grader.importers.safe` against the values the solution's run recorded, which the test case
carries as its expected value. The first judgment that does not hold fails the test: the summary
says which check failed and how, without a value (hidden tests show only that); the detail quotes
the assertion, the student's value, the expected one and the tolerance.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np

from ..checks import Check, Failure, register
from ..i18n import Text
from ..sandbox.codec import CallableRef, Opaque, TooBig
from ..values import describe
from . import safe
from .probes import unwrap


def _largest_gap(got: Any, expected: Any) -> str:
    """Where two same-shaped numeric arrays differ most, in words (empty when not arrays)."""
    if not isinstance(got, np.ndarray) or not isinstance(expected, (np.ndarray, list)):
        return ""
    try:
        g, e = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    except (TypeError, ValueError):
        return ""
    if g.shape != e.shape or g.ndim == 0 or g.size < 2:
        return ""
    with np.errstate(invalid="ignore", over="ignore"):
        gap = np.abs(g - e)
    gap = np.where(np.isnan(gap), np.inf, gap)
    index = np.unravel_index(int(np.argmax(gap)), g.shape)
    where = index[0] if len(index) == 1 else tuple(int(i) for i in index)
    return f"; largest difference {float(gap[index]):.3g} at index {where}"


def _kind_of(exc: BaseException) -> Text:
    if isinstance(exc, AssertionError):
        return Text("the comparison fails", "la comparación falla")
    if isinstance(exc, ValueError) and "truth value" in str(exc):
        return Text("the condition is an array of several values, not one truth value",
                    "la condición es un array de varios valores, no un único valor de verdad")
    return Text(f"it cannot be computed on your values ({type(exc).__name__})",
                f"no se puede calcular con tus valores ({type(exc).__name__})")


def _opaque(value: Any) -> Text | None:
    if isinstance(value, (Opaque, CallableRef)):
        return Text("your code returned an object that is not plain data (numbers, arrays, strings, lists, dicts)",
                    "tu código devolvió un objeto que no son datos simples (números, arrays, textos, listas, dicts)")
    if isinstance(value, TooBig):
        return Text(f"your value is too large to compare ({value.reason})",
                    f"tu valor es demasiado grande para compararlo ({value.reason})")
    return None


def judge(judgment: dict[str, Any], env: dict[str, Any], index: int, count: int) -> Failure | None:
    """None when the judgment holds on `env`; otherwise why, without values (summary) and with them."""
    kind = judgment.get("kind", "assert")
    failure: Text | None = None
    error: BaseException | None = None
    got = expected = None
    try:
        if kind == "output":
            got = safe.evaluate(judgment["got"], env)
            expected = env.get(judgment["expected"])
            if not safe.output_matches(got, judgment.get("want", ""), expected):
                failure = Text("the value it shows is not the expected output", "el valor que muestra no es la salida esperada")
        else:
            value = safe.evaluate(judgment["test"], env)
            if kind == "assert" and not bool(value):
                failure = Text("the comparison fails", "la comparación falla")
    except Exception as exc:  # noqa: BLE001 (any error computing the check on the student's values fails it)
        error = exc
        failure = _kind_of(exc)
    if failure is None:
        return None
    seen = [v for v in env.values() if _opaque(v) is not None]
    if seen and error is not None:
        failure = _opaque(seen[0]) or failure
    if count > 1:
        summary = Text(f"Check {index + 1} of {count}: ", f"Comprobación {index + 1} de {count}: ") + failure
    else:
        summary = Text(failure.en[:1].upper() + failure.en[1:], failure.es[:1].upper() + failure.es[1:])
    text = judgment.get("text", "")
    line = judgment.get("line")
    detail_en = f"`{text}` (line {line}) does not hold"
    detail_es = f"`{text}` (línea {line}) no se cumple"
    if kind != "output" and "got" in judgment:
        got = _quiet(judgment["got"], env)
        expected = _quiet(judgment.get("expected"), env)
    shown_got = shown_expected = None
    if got is not None or expected is not None:
        shown_got, shown_expected = describe(got), describe(expected)
        tol = judgment.get("tol")
        extra = _largest_gap(got, expected)
        detail_en += f": got {shown_got}, expected {shown_expected}" + (f" ({tol})" if tol else "") + extra
        detail_es += f": se obtuvo {shown_got}, se esperaba {shown_expected}" + (f" ({tol})" if tol else "") + extra
    if error is not None and not isinstance(error, safe.Unsafe):
        message = str(error).strip().split("\n")[0][:300]
        detail_en += f" — {type(error).__name__}: {message}" if message else ""
        detail_es += f" — {type(error).__name__}: {message}" if message else ""
    return Failure(summary, Text(detail_en, detail_es), got=shown_got, expected=shown_expected)


def _quiet(source: str | None, env: dict[str, Any]) -> Any:
    if not source:
        return None
    try:
        return safe.evaluate(source, env)
    except Exception:  # noqa: BLE001 (only for the message)
        return None


@lru_cache(maxsize=256)
def _spec(text: str) -> dict[str, Any]:
    data = json.loads(text)
    return data if isinstance(data, dict) else {}


@register
@dataclass(frozen=True)
class Assertions(Check):
    """The judgments of one imported test, computed in the grading process on the snapshots the
    test's probe brought back (`got`, in order) and the values recorded from the solution
    (`expected`, by name). `spec` is JSON: {"snaps": [names], "judgments": [...]}."""

    spec: str = "{}"
    kind: ClassVar[str] = "imported"
    needs_expected: ClassVar[bool] = True

    def evaluate(self, got: Any, expected: Any, args: tuple[Any, ...] = ()) -> Failure | None:
        data = _spec(self.spec)
        snaps = list(data.get("snaps", []))
        problem = _opaque(got)
        if problem is not None:
            return Failure(problem)
        if not isinstance(got, (tuple, list)) or len(got) != len(snaps):
            text = Text("the test's calls did not all give a value back", "las llamadas de la prueba no devolvieron todas un valor")
            return Failure(text)
        env = {str(k): unwrap(v) for k, v in (expected.items() if isinstance(expected, dict) else [])}
        env.update({name: unwrap(value) for name, value in zip(snaps, got)})
        judgments = data.get("judgments", [])
        for index, judgment in enumerate(judgments):
            failure = judge(judgment, env, index, len(judgments))
            if failure is not None:
                return failure
        return None


@register
@dataclass(frozen=True)
class Ran(Check):
    """A test whose code ran in the student's process (passing when nothing was raised): the
    probe's script judged it there, so this check only reads its verdict. Validation names such
    tests, since what decides them is the student's to change."""

    kind: ClassVar[str] = "ran"
    judged_in_student_process: ClassVar[bool] = True

    def evaluate(self, got: Any, expected: Any, args: tuple[Any, ...] = ()) -> Failure | None:
        if got is True:
            return None
        return Failure(Text("The test's code did not finish", "El código de la prueba no terminó"))
