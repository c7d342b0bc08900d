"""Randomised numeric evaluation (the method WeBWorK uses), with abstract functions made real.

Points are drawn from a seed the grader keeps to itself (new for every batch, different for every
student), in each symbol's declared domain with mixed signs and magnitudes from a thousandth of
the domain's size to its edge; a few "nice" values come first so that a counter-example quoted to
a student is easy to check by hand. Points around the places where the answer changes definition
are added for each check (``breaks.py``). Abstract activations ``f``
are replaced, on both sides, by the same concrete smooth function (``tanh`` first, then random
``c1 sin(c2 t + c3) + c4 t + c5``) and ``f'`` by its true derivative, so ``f``, ``f'`` and a
missing ``f'`` give different numbers. ``sigma`` becomes the logistic function.

Values come from ``xreplace`` with exact floats and ``evalf``, never ``lambdify`` (which would
``exec`` generated code). A value is ``None`` where the expression is undefined or not real.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, TypeAlias

import sympy as sp

from .spec import Breakpoint, Choice, DerivationSpec, Interval
from .vocab import H0_OPEN, SIGMA, Vocabulary

__all__ = [
    "Point", "Realisation", "Sample", "Values", "draw_samples", "evaluate_all", "concretise",
    "value_at", "close", "satisfies", "more_points", "POINTS", "MIN_VALID",
]

POINTS: Final = 24
"""Points per check (spread over the realisations of abstract functions)."""
MIN_VALID: Final = 8
"""Fewer points where the expected answer is defined and real than this: undetermined."""
_REALISATIONS: Final = 3
_NICE: Final = (0.5, -1.0, 2.0, -0.5, 1.5, -2.0, 1.0, 0.25, -1.5, 3.0)
_DIGITS: Final = 30
_T: Final = sp.Symbol("t", real=True)
_LOGISTIC: Final = sp.Lambda(_T, 1 / (1 + sp.exp(-_T)))

Values: TypeAlias = tuple[float | None, ...]


@dataclass(frozen=True)
class Realisation:
    """What the abstract functions mean in one trial; ``label`` is shown with a witness."""

    label: str | None
    functions: tuple[tuple[sp.FunctionClass, sp.Lambda], ...]


@dataclass(frozen=True)
class Point:
    values: tuple[tuple[sp.Symbol, float], ...]
    realisation: int

    def named(self) -> tuple[tuple[str, float], ...]:
        return tuple((s.name, v) for s, v in self.values)


@dataclass(frozen=True)
class Sample:
    """The points of a check. ``at_breakpoints`` holds, per breakpoint, points exactly on it
    (kept apart: the value there is judged by the task's convention, not by comparison)."""

    points: tuple[Point, ...]
    realisations: tuple[Realisation, ...]
    at_breakpoints: tuple[tuple[Breakpoint, tuple[Point, ...]], ...]

    def with_points(self, extra: Sequence[Point]) -> Sample:
        """The same sample with ``extra`` points after its own (witnesses prefer the first)."""
        return Sample(self.points + tuple(extra), self.realisations, self.at_breakpoints)


def _realisations(vocab: Vocabulary, rng: random.Random) -> tuple[Realisation, ...]:
    if not vocab.abstract:
        return (Realisation(None, ()),)
    out: list[Realisation] = []
    for k in range(_REALISATIONS):
        pairs: list[tuple[sp.FunctionClass, sp.Lambda]] = []
        labels: list[str] = []
        for name, (func, prime) in sorted(vocab.abstract.items()):
            if k == 0:
                body: sp.Expr = sp.tanh(_T)
            else:
                c1, c2, c3, c4, c5 = (
                    round(rng.uniform(lo, hi), 1)
                    for lo, hi in ((0.5, 1.5), (0.6, 2.0), (-1.0, 1.0), (0.1, 0.6), (-0.5, 0.5))
                )
                q1, q2, q3, q4, q5 = (sp.Rational(str(c)) for c in (c1, c2, c3, c4, c5))
                body = q1 * sp.sin(q2 * _T + q3) + q4 * _T + q5
            pairs += [(func, sp.Lambda(_T, body)), (prime, sp.Lambda(_T, sp.diff(body, _T)))]
            text = "tanh(t)" if k == 0 else (
                f"{c1:g}*sin({c2:g}*t {'+-'[c3 < 0]} {abs(c3):g})"
                f" + {c4:g}*t {'+-'[c5 < 0]} {abs(c5):g}"
            )
            labels.append(f"{name}(t) = {text}")
        out.append(Realisation("; ".join(labels), tuple(pairs)))
    return tuple(out)


def _nice_values(domain: Interval | Choice) -> list[float]:
    if isinstance(domain, Choice):
        return list(domain.values)
    nice = [v for v in _NICE if domain.lo <= v <= domain.hi]
    if len(nice) < 3:
        span = domain.hi - domain.lo
        nice += [round(domain.lo + span * q, 2) for q in (0.3, 0.7, 0.5)]
    return nice


def _random_value(domain: Interval | Choice, rng: random.Random, spread: bool = False) -> float:
    """A random value of ``domain``: uniform, or (``spread``) of a magnitude drawn evenly on a log
    scale from a thousandth of the domain's size up to its edge, with a sign the domain allows,
    so that small values of either sign are tried as often as large ones."""
    if isinstance(domain, Choice):
        return rng.choice(domain.values)
    if not spread:
        value = rng.uniform(domain.lo, domain.hi)
    else:
        sign = rng.choice([s for s, allowed in ((1.0, domain.hi > 0), (-1.0, domain.lo < 0)) if allowed])
        top = domain.hi if sign > 0 else -domain.lo
        nearest = max(domain.lo if sign > 0 else -domain.hi, 0.0)
        small = min(max(nearest, top * 1e-3), top)
        value = sign * math.exp(rng.uniform(math.log(small), math.log(top)))
    # Four significant digits: a witness quoted to a student stays readable.
    return min(max(float(f"{value:.4g}"), domain.lo), domain.hi)


def draw_samples(
    spec: DerivationSpec, vocab: Vocabulary, constraints: Sequence[sp.Basic], seed: int
) -> Sample:
    """Draw the points of ``spec`` (deterministic for a seed: the seed is what keeps them secret)."""
    rng = random.Random(seed)
    realisations = _realisations(vocab, rng)
    symbols = [(vocab.symbols[s.name], s.domain) for s in spec.symbols]
    near = {vocab.symbols[b.symbol]: b.at for b in spec.breakpoints}
    per = max(POINTS // len(realisations), 1)

    def acceptable(values: dict[sp.Symbol, float]) -> bool:
        for sym, at in near.items():
            if abs(values[sym] - at) < 1e-3:
                return False  # on a breakpoint: judged separately, by convention
        return satisfies(values, constraints)

    points: list[Point] = []
    if not symbols:
        # A number (or a constant expression): one evaluation says everything.
        return Sample((Point((), 0),), realisations[:1], ())
    for r in range(len(realisations)):
        made = 0
        for attempt in range(per * 40):
            if made == per:
                break
            k = made + r
            if attempt < 4:
                values = {
                    s: _nice_values(d)[(k + j) % len(_nice_values(d))]
                    for j, (s, d) in enumerate(symbols)
                }
            else:
                values = {s: _random_value(d, rng, spread=attempt % 2 == 0) for s, d in symbols}
            if acceptable(values):
                points.append(Point(tuple(values.items()), r))
                made += 1
    # Both sides of each breakpoint, close and far, for every realisation.
    for bp in spec.breakpoints:
        sym = vocab.symbols[bp.symbol]
        for r in range(len(realisations)):
            for offset in (-0.5, 0.5, -0.01, 0.01):
                values = {s: _random_value(d, rng) for s, d in symbols}
                values[sym] = bp.at + offset
                points.append(Point(tuple(values.items()), r))
    at_bps: list[tuple[Breakpoint, tuple[Point, ...]]] = []
    for bp in spec.breakpoints:
        sym = vocab.symbols[bp.symbol]
        on = []
        for p in points[:3]:
            values = dict(p.values)
            values[sym] = bp.at
            on.append(Point(tuple(values.items()), p.realisation))
        at_bps.append((bp, tuple(on)))
    return Sample(tuple(points), realisations, tuple(at_bps))


def more_points(spec: DerivationSpec, vocab: Vocabulary, constraints: Sequence[sp.Basic], sample: Sample,
                seed: int, count: int) -> tuple[Point, ...]:
    """``count`` more random points for ``sample`` (spread over its realisations), from ``seed``:
    the points of one student's own, beside a sample shared by a batch."""
    rng = random.Random(seed)
    symbols = [(vocab.symbols[s.name], s.domain) for s in spec.symbols]
    if not symbols:
        return ()
    near = {vocab.symbols[b.symbol]: b.at for b in spec.breakpoints}
    out: list[Point] = []
    for attempt in range(count * 40):
        if len(out) == count:
            break
        values = {s: _random_value(d, rng, spread=attempt % 2 == 1) for s, d in symbols}
        if all(abs(values[sym] - at) >= 1e-3 for sym, at in near.items()) and satisfies(values, constraints):
            out.append(Point(tuple(values.items()), len(out) % len(sample.realisations)))
    return tuple(out)


def satisfies(values: dict[sp.Symbol, float], constraints: Sequence[sp.Basic]) -> bool:
    """Whether a point meets every sampling constraint of the spec."""
    subs = {s: sp.Float(v) for s, v in values.items()}
    return all(c.xreplace(subs) == sp.true for c in constraints)


def concretise(expr: sp.Expr, realisation: Realisation) -> sp.Expr:
    """``expr`` with sigma as the logistic function and abstract functions made concrete."""
    out = expr.replace(SIGMA, _LOGISTIC) if expr.has(SIGMA) else expr
    for func, impl in realisation.functions:
        if out.has(func):
            out = out.replace(func, impl)
    return out


def value_at(concrete: sp.Expr, point: Point, h0: sp.Expr = sp.S.Half) -> float | None:
    """The real value of a concrete expression at ``point``; ``None`` where undefined."""
    # Exact decimals: a condition such as Eq(x, 13/10) holds at the point 1.3 as written.
    subs: dict[sp.Basic, sp.Basic] = {s: sp.Rational(repr(v)) for s, v in point.values}
    subs[H0_OPEN] = h0
    try:
        result = concrete.xreplace(subs)
        if not isinstance(result, sp.Expr):
            return None
        result = result.evalf(_DIGITS)
        if not result.is_number or result.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
            return None
        re_part, im_part = (float(p) for p in result.as_real_imag())
    except (TypeError, ValueError, ArithmeticError, AttributeError):
        return None
    if not (math.isfinite(re_part) and math.isfinite(im_part)):
        return None
    if abs(im_part) > 1e-9 * max(1.0, abs(re_part)):
        return None
    return re_part


def evaluate_all(expr: sp.Expr, sample: Sample, points: Sequence[Point] | None = None,
                 h0: sp.Expr = sp.S.Half) -> Values:
    """Values of ``expr`` at ``points`` (default: the sample's points)."""
    chosen = sample.points if points is None else points
    concrete = [concretise(expr, r) for r in sample.realisations]
    return tuple(value_at(concrete[p.realisation], p, h0) for p in chosen)


def close(a: float, b: float, rtol: float, atol: float) -> bool:
    return abs(a - b) <= atol + rtol * max(abs(a), abs(b))
