"""A spec made ready to check against: its vocabulary, the teacher's expressions read by the
same reader as students' answers, and its sampling constraints.

Everything here is computed from the exercise (trusted) only, so it may be done once in the
grading process and shared by every forked check. The points, and the expected values there,
belong to each check instead (``trial.py``): they come from a seed no student sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import sympy as sp

from .errors import AnswerFormatError, SpecError
from .parse import parse_condition, parse_python
from .spec import DerivationSpec, Misconception
from .vocab import KNOWN_FUNCTIONS, Vocabulary

__all__ = ["CompiledSpec", "compile_spec"]

_CACHE: Final[dict[str, CompiledSpec]] = {}
_CACHE_SIZE: Final = 256


@dataclass(frozen=True)
class CompiledSpec:
    spec: DerivationSpec
    vocab: Vocabulary
    expected: sp.Expr
    misconceptions: tuple[tuple[Misconception, sp.Expr], ...]
    constraints: tuple[sp.Basic, ...]


def _read(spec: DerivationSpec, text: str, vocab: Vocabulary, what: str) -> sp.Expr:
    try:
        return parse_python(text, vocab).expr
    except AnswerFormatError as exc:
        raise SpecError(f"{spec.id}: {what} {text!r} does not parse: {exc.text('en')}") from None


def compile_spec(spec: DerivationSpec) -> CompiledSpec:
    """Read and sample ``spec`` (cached by value: equal specs share one compilation)."""
    key = repr(spec)
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    unknown = set(spec.functions) - KNOWN_FUNCTIONS
    if unknown:
        raise SpecError(f"{spec.id}: unknown functions {sorted(unknown)}")
    vocab = Vocabulary.base(spec)
    for definition in spec.definitions:
        vocab = vocab.with_definition(
            definition.name, _read(spec, definition.expression, vocab, "definition")
        )
    expected = _read(spec, spec.expected, vocab, "expected answer")
    misconceptions = tuple(
        (m, _read(spec, m.answer, vocab, f"misconception {m.id}")) for m in spec.misconceptions
    )
    try:
        constraints = tuple(parse_condition(c, vocab) for c in spec.constraints)
    except AnswerFormatError as exc:
        raise SpecError(f"{spec.id}: constraint does not parse: {exc.text('en')}") from None
    compiled = CompiledSpec(spec, vocab, expected, misconceptions, constraints)
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.clear()
    _CACHE[key] = compiled
    return compiled
