"""What an exercise declares about one symbolic answer.

Everything here is plain data (no sympy import): specs are written in Python syntax strings and
are read by the same safe reader as student answers, inside the checker. That keeps
``exercises/*/answers.py`` light to import and makes the teacher's answers go through the very
rules that students' answers go through.
"""

from __future__ import annotations

import keyword
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal, TypeAlias

from .errors import SpecError

__all__ = [
    "Interval",
    "Choice",
    "Domain",
    "Sym",
    "Definition",
    "Breakpoint",
    "Misconception",
    "DerivationSpec",
    "AnswerKind",
    "Bilingual",
    "spec_to_json",
    "spec_from_json",
]

Bilingual: TypeAlias = Mapping[str, str]
"""A text in Spanish and English: ``{"es": ..., "en": ...}``."""

AnswerKind: TypeAlias = Literal["expression", "number"]


def _frozen_text(value: Mapping[str, str], what: str) -> Mapping[str, str]:
    if set(value) != {"es", "en"} or not all(isinstance(v, str) and v for v in value.values()):
        raise SpecError(f"{what} needs exactly the keys 'es' and 'en' with non-empty text")
    return MappingProxyType(dict(value))


@dataclass(frozen=True)
class Interval:
    """Sample uniformly in [lo, hi]. Mixed signs are the point of sampling: keep lo < 0 < hi
    unless the quantity really has a sign (a probability, a positive scale)."""

    lo: float
    hi: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.lo) and math.isfinite(self.hi) and self.lo < self.hi):
            raise SpecError(f"bad interval [{self.lo}, {self.hi}]")


@dataclass(frozen=True)
class Choice:
    """Sample among these values only, e.g. a one-hot label y_k in {0, 1}."""

    values: tuple[float, ...]

    def __post_init__(self) -> None:
        if not self.values or not all(math.isfinite(v) for v in self.values):
            raise SpecError("a Choice domain needs finite values")


Domain: TypeAlias = Interval | Choice


@dataclass(frozen=True)
class Sym:
    """A value name the answer may use (``x``, ``x_i``, ``lam``) and where to sample it.

    ``aliases`` are other spellings that read as this symbol (``lambda`` from LaTeX's
    ``\\lambda``, ``yhat`` from ``\\hat{y}``).
    """

    name: str
    domain: Domain = Interval(-3.0, 3.0)
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Definition:
    """A name that stands for an expression in the task's notation (``e`` for ``y - f(a)``)."""

    name: str
    expression: str


@dataclass(frozen=True)
class Breakpoint:
    """A point where the expected answer is piecewise and the course leaves a convention.

    Away from ``at`` the answer is compared as usual. At exactly ``symbol = at`` the student's
    value must be one of ``accepted`` (``None`` accepts any value there). A bare
    ``Heaviside(x)`` leaves its value at 0 open, so it is read as whichever of 0 and 1 the task
    accepts; ``Heaviside(x, 1/2)`` states 1/2 and is judged as such.
    """

    symbol: str
    at: float = 0.0
    accepted: tuple[float, ...] | None = None
    accept_undefined: bool = False


@dataclass(frozen=True)
class Misconception:
    """A known wrong answer and the hint that helps a student who gave it."""

    id: str
    answer: str
    hint: Bilingual

    def __post_init__(self) -> None:
        object.__setattr__(self, "hint", _frozen_text(self.hint, f"hint of {self.id!r}"))


@dataclass(frozen=True)
class DerivationSpec:
    """One symbolic (or numeric) answer of an exercise.

    ``expected`` and each misconception's ``answer`` are written in the same Python syntax a
    student uses. ``functions`` are the known functions the answer may call (canonical names:
    ``exp``, ``log``, ``sqrt``, ``sigma``, ``tanh``, ``cosh``, ``sinh``, ``sech``, ``Abs``,
    ``sign``, ``Max``, ``Min``, ``Heaviside``, ``Piecewise``, ``sin``, ``cos``); ``abstract`` are
    arbitrary differentiable functions (``f``) for which ``f'(a)`` and ``Derivative(f(a), a)``
    are accepted. ``constraints`` are conditions (Python syntax, e.g. ``"x > 0"``) that every
    sample point must satisfy. ``rtol``/``atol`` is the numeric tolerance.
    """

    id: str
    expected: str
    symbols: tuple[Sym, ...] = ()
    functions: tuple[str, ...] = ()
    abstract: tuple[str, ...] = ()
    definitions: tuple[Definition, ...] = ()
    constraints: tuple[str, ...] = ()
    breakpoints: tuple[Breakpoint, ...] = ()
    misconceptions: tuple[Misconception, ...] = ()
    kind: AnswerKind = "expression"
    rtol: float = 1e-6
    atol: float = 1e-9
    title: Bilingual = field(default_factory=lambda: MappingProxyType({"es": "", "en": ""}))

    def __post_init__(self) -> None:
        if not self.id or not isinstance(self.expected, str):
            raise SpecError("a spec needs an id and an expected answer string")
        if self.kind not in ("expression", "number"):
            raise SpecError(f"{self.id}: kind must be 'expression' or 'number'")
        if self.kind == "number" and (self.symbols or self.abstract or self.breakpoints):
            raise SpecError(f"{self.id}: a numeric answer declares no symbols")
        names = [s.name for s in self.symbols] + [d.name for d in self.definitions]
        names += list(self.abstract)
        if len(set(names)) != len(names):
            raise SpecError(f"{self.id}: a name is declared twice")
        for name in names:
            if not name.isidentifier() or keyword.iskeyword(name) or keyword.issoftkeyword(name):
                raise SpecError(f"{self.id}: {name!r} cannot be a name (a Python keyword may be a "
                                "symbol's alias, e.g. Sym('lam', aliases=('lambda',)))")
        declared = {s.name for s in self.symbols}
        for bp in self.breakpoints:
            if bp.symbol not in declared:
                raise SpecError(f"{self.id}: breakpoint on undeclared symbol {bp.symbol!r}")
        ids = [m.id for m in self.misconceptions]
        if len(set(ids)) != len(ids):
            raise SpecError(f"{self.id}: misconception ids must be unique")
        if not (self.rtol >= 0 and self.atol >= 0):
            raise SpecError(f"{self.id}: tolerances must be non-negative")
        object.__setattr__(self, "title", MappingProxyType(dict(self.title)))


def spec_to_json(spec: DerivationSpec) -> dict[str, object]:
    """A spec as JSON (to hand it to the process that checks answers)."""
    def domain(d: Domain) -> dict[str, object]:
        return {"interval": [d.lo, d.hi]} if isinstance(d, Interval) else {"choice": list(d.values)}

    return {
        "id": spec.id, "expected": spec.expected, "kind": spec.kind, "rtol": spec.rtol, "atol": spec.atol,
        "title": dict(spec.title), "functions": list(spec.functions), "abstract": list(spec.abstract),
        "constraints": list(spec.constraints),
        "symbols": [{"name": s.name, "domain": domain(s.domain), "aliases": list(s.aliases)} for s in spec.symbols],
        "definitions": [[d.name, d.expression] for d in spec.definitions],
        "breakpoints": [{"symbol": b.symbol, "at": b.at, "accepted": None if b.accepted is None else list(b.accepted),
                         "accept_undefined": b.accept_undefined} for b in spec.breakpoints],
        "misconceptions": [{"id": m.id, "answer": m.answer, "hint": dict(m.hint)} for m in spec.misconceptions],
    }


def spec_from_json(data: dict[str, object]) -> DerivationSpec:
    """The inverse of :func:`spec_to_json` (raises ``SpecError``/``KeyError``/``TypeError`` on bad input)."""
    def domain(d: dict[str, list[float]]) -> Domain:
        if "interval" in d:
            lo, hi = d["interval"]
            return Interval(float(lo), float(hi))
        return Choice(tuple(float(v) for v in d["choice"]))

    get = data.__getitem__
    return DerivationSpec(
        id=str(get("id")), expected=str(get("expected")), kind=get("kind"),  # type: ignore[arg-type]
        rtol=float(get("rtol")), atol=float(get("atol")), title=dict(get("title")),  # type: ignore[arg-type]
        functions=tuple(get("functions")), abstract=tuple(get("abstract")),  # type: ignore[arg-type]
        constraints=tuple(get("constraints")),  # type: ignore[arg-type]
        symbols=tuple(Sym(s["name"], domain(s["domain"]), tuple(s["aliases"])) for s in get("symbols")),  # type: ignore[attr-defined]
        definitions=tuple(Definition(n, e) for n, e in get("definitions")),  # type: ignore[attr-defined]
        breakpoints=tuple(Breakpoint(b["symbol"], float(b["at"]),  # type: ignore[index]
                                     None if b["accepted"] is None else tuple(b["accepted"]),  # type: ignore[index]
                                     bool(b["accept_undefined"])) for b in get("breakpoints")),  # type: ignore[attr-defined, index]
        misconceptions=tuple(Misconception(m["id"], m["answer"], m["hint"]) for m in get("misconceptions")),  # type: ignore[attr-defined, index]
    )
