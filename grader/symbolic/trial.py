"""The points of one check, and the expected answer's values there.

A check's points come from its seed (the grader derives one per batch, student and answer, and
shows it to no one), plus the points around the places where this answer or the expected one
changes definition (``breaks.py``). So no two students, and no two batches, are checked at the
same points, and nothing in a public spec tells where they are. Without a seed (a direct call
of the library), a fresh random one is drawn.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Final, overload

import sympy as sp

from .breaks import break_points
from .compiled import CompiledSpec
from .numeric import Sample, Values, concretise, draw_samples, evaluate_all, value_at

__all__ = ["LazyValues", "Trial", "fresh_seed", "new_trial"]

_ARG: Final = sp.Symbol("u")


def fresh_seed() -> int:
    """A seed nobody can predict."""
    return secrets.randbits(64)


class LazyValues(Sequence[float | None]):
    """An expression's values at a sample's points, each computed when first read: comparing a
    wrong answer with a catalogued mistake usually needs one or two of them, not all."""

    def __init__(self, expr: sp.Expr, sample: Sample) -> None:
        self._concrete = [concretise(expr, r) for r in sample.realisations]
        self._points = sample.points
        self._known: dict[int, float | None] = {}

    def __len__(self) -> int:
        return len(self._points)

    @overload
    def __getitem__(self, index: int) -> float | None: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[float | None]: ...

    def __getitem__(self, index: int | slice) -> float | None | Sequence[float | None]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        if index not in self._known:
            point = self._points[index]
            self._known[index] = value_at(self._concrete[point.realisation], point)
        return self._known[index]


@dataclass(frozen=True)
class Trial:
    cspec: CompiledSpec
    samples: Sample
    expected_values: Values

    @cached_property
    def misconception_values(self) -> tuple[LazyValues, ...]:
        """Each catalogued mistake's values at the points (only a wrong answer needs them)."""
        return tuple(LazyValues(m, self.samples) for _, m in self.cspec.misconceptions)

    @cached_property
    def chain_values(self) -> tuple[tuple[str, LazyValues], ...]:
        """Expected values with one abstract f' replaced by 1 (the "missing chain factor" probe)."""
        expected = self.cspec.expected
        return tuple(
            (name, LazyValues(expected.replace(prime, sp.Lambda(_ARG, sp.S.One)), self.samples))
            for name, (_, prime) in self.cspec.vocab.abstract.items()
            if expected.has(prime)
        )


def new_trial(cspec: CompiledSpec, student: sp.Expr, seed: int | None = None) -> Trial:
    """The points at which ``student`` is compared with the expected answer."""
    spec = cspec.spec
    base = draw_samples(spec, cspec.vocab, cspec.constraints, fresh_seed() if seed is None else seed)
    samples = base.with_points(break_points(cspec, student, base))
    return Trial(cspec, samples, evaluate_all(cspec.expected, samples))
