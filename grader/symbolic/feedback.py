"""Bilingual messages, and the diagnosis of a wrong answer (STACK-style feedback).

A wrong answer is compared, in order, with the spec's catalogue of known mistakes (each has its
own hint), then with generic probes (opposite sign, twice, half, a constant factor, a constant
offset, the chain factor f' missing), and a counter-example point is always quoted when no
catalogued mistake explains it: "at x = 0.5 yours is 0.23, expected 0.19".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

import sympy as sp

from .compiled import CompiledSpec
from .equivalence import BreakpointFailure, NumericOutcome, structural_equal
from .numeric import Values, close
from .trial import Trial
from .verdict import Layer, Verdict, Witness

__all__ = ["correct", "invalid", "undetermined", "diagnose", "breakpoint_verdict", "fmt"]

_LAYER_TEXT: Final[Mapping[str, tuple[str, str]]] = {
    "structural": ("misma forma canónica", "same canonical form"),
    "symbolic": ("simplify(tuya − esperada) = 0", "simplify(yours − expected) = 0"),
    "numeric": ("coincide en {n} puntos al azar de su dominio",
                "agrees at {n} random points of its domain"),
    "piecewise": ("coincide a ambos lados de {bp}, y en {bp} sigue la convención de la tarea",
                  "agrees on both sides of {bp}, and at {bp} follows the task's convention"),
}


_DIFFERS: Final = {"es": "Incorrecto: no es la respuesta esperada.",
                   "en": "Incorrect: it is not the expected answer."}
"""What a hidden test says of a wrong answer no catalogued mistake explains: no point, no value,
no relation to the expected answer (a sign, a factor) that would give it away."""


def fmt(value: float) -> str:
    """A number as a student reads it: 4 significant digits, no trailing noise."""
    if value == 0:
        return "0"
    return f"{value:.4g}"


def _point_text(point: tuple[tuple[str, float], ...]) -> str:
    return ", ".join(f"{name} = {fmt(v)}" for name, v in point)


def correct(cspec: CompiledSpec, layer: Layer, read_as: str, valid: int = 0) -> Verdict:
    bps = ", ".join(f"{b.symbol} = {fmt(b.at)}" for b in cspec.spec.breakpoints)
    es, en = (t.format(n=valid, bp=bps) for t in _LAYER_TEXT[layer])
    return Verdict(
        status="correct",
        decided_by=layer,
        message={"es": f"Correcto: equivalente a la respuesta esperada ({es}).",
                 "en": f"Correct: equivalent to the expected answer ({en})."},
        read_as=read_as,
        summary={"es": "Correcto: equivalente a la respuesta esperada.",
                 "en": "Correct: equivalent to the expected answer."},
    )


def invalid(message: Mapping[str, str], read_as: str | None = None) -> Verdict:
    return Verdict(
        status="invalid",
        decided_by="parse",
        message={"es": f"No se pudo leer la respuesta: {message['es']}.",
                 "en": f"The answer could not be read: {message['en']}."},
        read_as=read_as,
    )


def undetermined(layer: Layer, es: str, en: str, read_as: str | None,
                 summary: tuple[str, str] | None = None) -> Verdict:
    """``summary``: the reason in words a hidden test may show, when ``es``/``en`` tell more."""
    return Verdict(
        status="undetermined",
        decided_by=layer,
        message={"es": f"No se pudo decidir: {es}.", "en": f"Could not be decided: {en}."},
        read_as=read_as,
        summary=None if summary is None else {"es": f"No se pudo decidir: {summary[0]}.",
                                              "en": f"Could not be decided: {summary[1]}."},
    )


def _matches(yours: Values, theirs: Sequence[float | None], expected: Values, rtol: float,
             atol: float) -> bool:
    """Same values wherever the expected answer is defined (undefined counts as a value)."""
    compared = 0
    for y, t, e in zip(yours, theirs, expected):
        if e is None:
            continue
        if (y is None) != (t is None):
            return False
        if y is not None and t is not None:
            if not close(y, t, rtol, atol):
                return False
            compared += 1
    return compared > 0


def _probe(trial: Trial, yours: Values) -> tuple[str, str] | None:
    """A generic explanation of how the answer relates to the expected one, if any."""
    spec = trial.cspec.spec
    for name, values in trial.chain_values:
        if _matches(yours, values, trial.expected_values, spec.rtol, spec.atol):
            return (f"es la respuesta esperada sin el factor {name}'(…): falta un factor de la "
                    "regla de la cadena",
                    f"it is the expected answer without the factor {name}'(…): a chain-rule "
                    "factor is missing")
    ratios: list[float] = []
    offsets: list[float] = []
    for y, e in zip(yours, trial.expected_values):
        if e is None or y is None:
            continue
        offsets.append(y - e)
        if abs(e) > 1e-9:
            ratios.append(y / e)
    need = 1 if spec.kind == "number" else 2
    if len(ratios) >= need and all(close(r, ratios[0], 1e-6, 1e-12) for r in ratios):
        r = ratios[0]
        if close(r, -1.0, 1e-6, 0):
            return ("es la respuesta esperada con el signo cambiado",
                    "it is the expected answer with the opposite sign")
        if spec.kind == "number":
            return None  # any other relation to a number would give the number away
        if close(r, 2.0, 1e-6, 0):
            return ("es el doble de la respuesta esperada (¿el ½ del error cuadrático, o un 2 de "
                    "más?)", "it is twice the expected answer (the ½ of the squared error, or an "
                    "extra 2?)")
        if close(r, 0.5, 1e-6, 0):
            return ("es la mitad de la respuesta esperada (¿falta un factor 2?)",
                    "it is half the expected answer (a factor 2 missing?)")
        if abs(r) > 1e-9:
            return (f"es proporcional a la respuesta esperada (factor ≈ {fmt(r)})",
                    f"it is proportional to the expected answer (factor ≈ {fmt(r)})")
    if len(offsets) >= need and all(close(d, offsets[0], 1e-6, 1e-9) for d in offsets):
        if abs(offsets[0]) > 1e-9:
            d = fmt(offsets[0])
            return (f"difiere de la respuesta esperada en una constante (≈ {d})",
                    f"it differs from the expected answer by a constant (≈ {d})")
    return None


def _witness(trial: Trial, yours: Values, index: int) -> Witness:
    point = trial.samples.points[index]
    label = trial.samples.realisations[point.realisation].label
    expected = trial.expected_values[index]
    assert expected is not None
    return Witness(point.named(), yours[index], expected, label)


def witness_text(w: Witness) -> tuple[str, str]:
    where = _point_text(w.point)
    fn_es = f", tomando {w.function}" if w.function else ""
    fn_en = f", taking {w.function}" if w.function else ""
    if w.yours is None:
        return (f"en {where}{fn_es}, la tuya no está definida (o no es real) y la esperada vale "
                f"{fmt(w.expected)}",
                f"at {where}{fn_en}, yours is undefined (or not real) and the expected value is "
                f"{fmt(w.expected)}")
    return (f"en {where}{fn_es}, la tuya vale {fmt(w.yours)} y la esperada {fmt(w.expected)}",
            f"at {where}{fn_en}, yours is {fmt(w.yours)} and the expected value is "
            f"{fmt(w.expected)}")


def diagnose(
    trial: Trial, student: sp.Expr, yours: Values, outcome: NumericOutcome, read_as: str
) -> Verdict:
    """The verdict for an answer the numeric layer found different from the expected one."""
    spec = trial.cspec.spec
    for (m, m_expr), m_values in zip(trial.cspec.misconceptions, trial.misconception_values):
        layer: Layer | None = None
        if structural_equal(student, m_expr):
            layer = "structural"
        elif _matches(yours, m_values, trial.expected_values, spec.rtol, spec.atol):
            layer = "numeric"
        if layer is not None:
            return Verdict(
                status="incorrect",
                decided_by=layer,
                message={"es": f"Incorrecto: coincide con el error conocido «{m.id}».",
                         "en": f"Incorrect: matches the known mistake '{m.id}'."},
                read_as=read_as,
                misconception=m.id,
                hint=m.hint,
            )
    assert outcome.first_difference is not None
    if spec.kind == "number":
        value = yours[0]
        shown = "?" if value is None else fmt(value)
        probe = _probe(trial, yours)
        why_es, why_en = (f" ({probe[0]})", f" ({probe[1]})") if probe else ("", "")
        return Verdict(
            status="incorrect",
            decided_by="numeric",
            message={"es": f"Incorrecto: tu valor {shown} no es el esperado{why_es}.",
                     "en": f"Incorrect: your value {shown} is not the expected one{why_en}."},
            read_as=read_as,
            summary=_DIFFERS,
        )
    witness = _witness(trial, yours, outcome.first_difference)
    w_es, w_en = witness_text(witness)
    probe = _probe(trial, yours)
    if probe is not None:
        es = f"Incorrecto: {probe[0]}; por ejemplo, {w_es}."
        en = f"Incorrect: {probe[1]}; for example, {w_en}."
    else:
        es = f"Incorrecto: difiere de la respuesta esperada: {w_es}."
        en = f"Incorrect: differs from the expected answer: {w_en}."
    return Verdict(status="incorrect", decided_by="numeric", message={"es": es, "en": en},
                   read_as=read_as, witness=witness, summary=_DIFFERS)


def breakpoint_verdict(cspec: CompiledSpec, failure: BreakpointFailure, read_as: str) -> Verdict:
    bp = failure.breakpoint
    assert bp.accepted is not None
    where = _point_text(failure.point.named())
    allowed = " o ".join(fmt(float(a)) for a in bp.accepted)
    allowed_en = " or ".join(fmt(float(a)) for a in bp.accepted)
    yours_es = "no está definida" if failure.yours is None else f"vale {fmt(failure.yours)}"
    yours_en = "is undefined" if failure.yours is None else f"is {fmt(failure.yours)}"
    return Verdict(
        status="incorrect",
        decided_by="piecewise",
        message={
            "es": f"Incorrecto: coincide a ambos lados de {bp.symbol} = {fmt(bp.at)}, pero en "
                  f"{where} la tuya {yours_es}; esta tarea acepta ahí {allowed}.",
            "en": f"Incorrect: it agrees on both sides of {bp.symbol} = {fmt(bp.at)}, but at "
                  f"{where} yours {yours_en}; this task accepts {allowed_en} there.",
        },
        read_as=read_as,
        summary={"es": "Incorrecto: donde la respuesta esperada cambia de definición, la tuya no "
                       "sigue la convención de la tarea.",
                 "en": "Incorrect: where the expected answer changes definition, yours does not "
                       "follow the task's convention."},
    )
