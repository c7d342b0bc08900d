"""Where an answer changes definition, and the points that test it there.

Random points alone let a wrong piecewise answer through when its pieces change where no point
falls: ``Piecewise((0, x < 0), (1, x < 2.5), (7, True))`` agrees with ReLU′ on every point below
2.5, and a window like ``1.7 < x < 1.71`` is missed by any number of random points. So every
place where the answer (or the expected answer) can change definition is found: the boundary of
each condition of a ``Piecewise`` (``x < 2.5``, ``Eq(x, 1)``, ``w*x > 1``), and the argument of
``Heaviside``, ``Abs`` and ``sign`` and the differences of ``Max``/``Min`` arguments, each solved
for every symbol in it (the other symbols at a sampled point). Around every root the answer is
evaluated close by and far off on both sides, between consecutive roots, and at the root itself
unless the task leaves that value to a convention. Roots may lie outside the sampling interval
(a change at ``x = 50`` is still a change), as far as the symbol's sign allows.

Solving is sympy's ``solveset`` within a soft budget, then a scan for sign changes where it
gives no finite set of roots.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from itertools import combinations, pairwise
from typing import Final

import sympy as sp
from sympy.core.relational import Relational

from .compiled import CompiledSpec
from .limits import BudgetExceeded, soft_budget
from .numeric import Point, Realisation, Sample, concretise, satisfies
from .spec import Choice, Interval

__all__ = ["BREAKS_BUDGET_S", "MAX_BREAK_POINTS", "boundaries", "break_points"]

BREAKS_BUDGET_S: Final = 1.5
"""Soft budget for finding every root of one answer."""
MAX_BREAK_POINTS: Final = 80
"""Most points added around the roots of one answer."""
_SOLVE_BUDGET_S: Final = 0.4
_MAX_ROOT: Final = 1e6
_TINY: Final = 1e-12
_MAX_BOUNDARIES: Final = 24
_BASES: Final = 2  # sampled points per realisation whose other coordinates fix a boundary
_SCAN: Final = tuple(sorted({sign * 10 ** (k / 8) for sign in (-1, 1) for k in range(-24, 49)}))


def boundaries(expr: sp.Expr) -> list[sp.Expr]:
    """The expressions whose zeros are where ``expr`` may change definition."""
    found: list[sp.Expr] = []
    for rel in expr.atoms(Relational):
        found.append(rel.lhs - rel.rhs)
    for func in expr.atoms(sp.Heaviside, sp.Abs, sp.sign):
        found.append(func.args[0])
    for extreme in expr.atoms(sp.Max, sp.Min):
        found += [a - b for a, b in combinations(extreme.args, 2)]
    unique: list[sp.Expr] = []
    for b in found:
        if isinstance(b, sp.Expr) and b.free_symbols and b not in unique:
            unique.append(b)
    return unique[:_MAX_BOUNDARIES]


def _range(domain: Interval | Choice) -> tuple[float, float] | None:
    """Where a symbol may be tried beyond its sampling interval: anywhere its sign allows (a
    positive symbol never at 0, a non-negative one at 0 too)."""
    if isinstance(domain, Choice):
        return None  # only its listed values mean anything
    lo = -_MAX_ROOT if domain.lo < 0 else (_TINY if domain.lo > 0 else 0.0)
    hi = _MAX_ROOT if domain.hi > 0 else (-_TINY if domain.hi < 0 else 0.0)
    return lo, hi


def _real(value: sp.Basic) -> float | None:
    try:
        number = complex(sp.N(value, 20))
    except (TypeError, ValueError, ArithmeticError):
        return None
    if abs(number.imag) > 1e-12 or not math.isfinite(number.real):
        return None
    return number.real


def _scan(h: sp.Expr, s: sp.Symbol, lo: float, hi: float) -> list[float]:
    """Sign changes of ``h`` on a log-spaced grid of both signs, refined by bisection."""
    def at(v: float) -> float | None:
        return _real(h.xreplace({s: sp.Float(v, 30)}))

    grid = [v for v in _SCAN if lo <= v <= hi] + [0.0] * (lo <= 0 <= hi)
    grid.sort()
    roots: list[float] = []
    before: tuple[float, float] | None = None
    for v in grid:
        value = at(v)
        if value is None:
            before = None
            continue
        if value == 0:
            roots.append(v)
        elif before is not None and (before[1] < 0) != (value < 0):
            a, b = before[0], v
            for _ in range(60):
                mid = (a + b) / 2
                m = at(mid)
                if m is None:
                    break
                a, b = (a, mid) if (m < 0) == (value < 0) else (mid, b)
            roots.append((a + b) / 2)
        before = (v, value)
    return roots


def _roots(h: sp.Expr, s: sp.Symbol, lo: float, hi: float) -> list[float]:
    """Real roots of ``h`` (a function of ``s`` alone) in [lo, hi]."""
    try:
        with soft_budget(_SOLVE_BUDGET_S):
            solutions = sp.solveset(h, s, domain=sp.S.Reals)
            exact = isinstance(solutions, sp.FiniteSet)
            values = [_real(v) for v in solutions] if exact else []
    except BudgetExceeded:
        # This solve took too long; if the whole search did, its budget fires again in the scan.
        exact, values = False, []
    except Exception:  # noqa: BLE001 - sympy's solvers raise many kinds; the scan stands in
        exact, values = False, []
    if not exact:
        values = _scan(h, s, lo, hi)
    return sorted({v for v in values if v is not None and lo <= v <= hi})


def _around(root: float, exact: bool) -> Iterator[float]:
    scale = max(1.0, abs(root))
    if exact:
        yield root
    for step in (1e-6, 1e-2, 1.0):
        yield root - step * scale
        yield root + step * scale


def _roots_in(found: Sequence[sp.Expr], symbol: sp.Symbol, others: dict[sp.Symbol, sp.Float],
              realisation: Realisation, span: tuple[float, float],
              solved: dict[sp.Expr, list[float]]) -> list[float]:
    """Roots in ``symbol`` of every boundary that has it, the other symbols fixed at ``others``
    (``solved`` remembers each equation already solved: most do not depend on the others)."""
    out: list[float] = []
    for b in found:
        if symbol in b.free_symbols:
            h = concretise(b, realisation).xreplace(others)
            if h not in solved:
                solved[h] = _roots(h, symbol, *span)
            out += solved[h]
    return sorted(set(out))


def _exact(root: float, symbol: sp.Symbol, student_roots: list[float], expected_roots: list[float],
           conventions: set[tuple[sp.Symbol, float]]) -> bool:
    """Whether ``root`` itself is tried: a change of the student's own, in a value no convention
    leaves open."""
    def near(a: float, b: float) -> bool:
        return abs(a - b) <= 1e-9 * max(1.0, abs(a))

    return (any(near(root, r) for r in student_roots)
            and not any(near(root, r) for r in expected_roots)
            and not any(s is symbol and near(root, at) for s, at in conventions))


def break_points(cspec: CompiledSpec, student: sp.Expr, sample: Sample) -> tuple[Point, ...]:
    """Points around every place where ``student`` or the expected answer changes definition,
    each one a sampled point with one symbol moved there."""
    spec = cspec.spec
    domains = {cspec.vocab.symbols[s.name]: s.domain for s in spec.symbols}
    conventions = {(cspec.vocab.symbols[b.symbol], b.at) for b in spec.breakpoints}
    theirs, ours = boundaries(student), boundaries(cspec.expected)
    if not theirs and not ours:
        return ()
    bases = [p for r in range(len(sample.realisations))
             for p in [q for q in sample.points if q.realisation == r][:_BASES]]
    points: dict[tuple[tuple[sp.Symbol, float], ...], Point] = {}
    solved: dict[sp.Expr, list[float]] = {}
    try:
        with soft_budget(BREAKS_BUDGET_S):
            for base, (symbol, domain) in ((b, d) for b in bases for d in domains.items()):
                span = _range(domain)
                if span is None:
                    continue
                realisation = sample.realisations[base.realisation]
                others = {s: sp.Float(v, 30) for s, v in base.values if s is not symbol}
                student_roots = _roots_in(theirs, symbol, others, realisation, span, solved)
                expected_roots = _roots_in(ours, symbol, others, realisation, span, solved)
                every = sorted(set(student_roots) | set(expected_roots))
                tried = [v for root in every for v in _around(
                    root, _exact(root, symbol, student_roots, expected_roots, conventions))]
                tried += [(a + b) / 2 for a, b in pairwise(every)]
                for v in tried:
                    values = dict(base.values)
                    values[symbol] = v
                    key = tuple(values.items())
                    if span[0] <= v <= span[1] and key not in points and satisfies(values, cspec.constraints):
                        points[key] = Point(key, base.realisation)
                        if len(points) >= MAX_BREAK_POINTS:
                            return tuple(points.values())
    except BudgetExceeded:
        pass  # the points found so far still count, and so do the random ones
    return tuple(points.values())
