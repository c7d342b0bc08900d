"""The points of one check, and the expected answer's values there.

A check's points come from two seeds the grader derives from a secret it draws for each batch
and shows to no one: the batch's (the same for every student of the batch, so the expected
answer's values there are worked out once) and the student's own (a few more points, different
for everyone). To these come the points around the places where this answer or the expected one
changes definition (``breaks.py``). So no two students, and no two batches, are checked at the
same points, and nothing in a public spec tells where they are. Without a seed (a direct call of
the library), fresh random ones are drawn.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Final, TypeAlias, overload

import sympy as sp

from .breaks import break_points
from .compiled import CompiledSpec
from .numeric import Sample, Values, concretise, draw_samples, evaluate_all, more_points, value_at

__all__ = ["OWN_POINTS", "LazyValues", "Seed", "Trial", "fresh_seed", "new_trial", "warm"]

Seed: TypeAlias = int | tuple[int, int]
"""The seed of an answer's points: ``(the batch's, the student's)``, or one number for both."""

OWN_POINTS: Final = 6
"""Points drawn from the student's own seed, beside the batch's."""
_ARG: Final = sp.Symbol("u")
_SHARED: Final[dict[tuple[str, int], tuple[Sample, Values]]] = {}
_SHARED_SIZE: Final = 64


def fresh_seed() -> int:
    """A seed nobody can predict."""
    return secrets.randbits(64)


def _shared(cspec: CompiledSpec, seed: int) -> tuple[Sample, Values]:
    """The batch's points of ``cspec`` and the expected values there (kept: every student's check
    forked after :func:`warm` finds them done)."""
    key = (repr(cspec.spec), seed)
    if key not in _SHARED:
        if len(_SHARED) >= _SHARED_SIZE:
            _SHARED.clear()
        sample = draw_samples(cspec.spec, cspec.vocab, cspec.constraints, seed)
        _SHARED[key] = (sample, evaluate_all(cspec.expected, sample))
    return _SHARED[key]


def warm(cspec: CompiledSpec, seed: Seed | None) -> None:
    """Work out the batch's points here, before checks are forked from this process."""
    if isinstance(seed, tuple):
        _shared(cspec, seed[0])


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


def new_trial(cspec: CompiledSpec, student: sp.Expr, seed: Seed | None = None) -> Trial:
    """The points at which ``student`` is compared with the expected answer."""
    if seed is None:
        seed = (fresh_seed(), fresh_seed())
    shared, own = (seed, seed) if isinstance(seed, int) else seed
    base, base_values = _shared(cspec, shared)
    spec = cspec.spec
    extra = more_points(spec, cspec.vocab, cspec.constraints, base, own, OWN_POINTS)
    extra += break_points(cspec, student, base.with_points(extra))
    if not extra:
        return Trial(cspec, base, base_values)
    added = Sample(extra, base.realisations, base.at_breakpoints)
    return Trial(cspec, base.with_points(extra), base_values + evaluate_all(cspec.expected, added))
