"""The layers that decide whether two expressions are the same function on the task's domain.

* structural: equal after sympy's automatic canonicalisation (``a == b`` or ``a - b`` is 0);
* symbolic: ``simplify(a - b)`` after rewriting sigma and the hyperbolic functions with ``exp``,
  within a soft time budget; only a proof of zero counts, a failure proves nothing;
* numeric: values at the sample points (``numeric.py``): a point counts only where the expected
  value is defined and real, and there an undefined student value is a difference;
* piecewise: at a breakpoint, the student's value must follow the task's convention.

Piecewise-like answers (``Piecewise``, ``Heaviside``, ``Max``, ``Abs``, ``sign``) never go
through the symbolic layer: sympy's conventions at the breakpoint (``Heaviside(0) = 1/2``) are
not the task's, and the difference lives on a set of measure zero that the piecewise layer
judges instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import sympy as sp

from .limits import BudgetExceeded, soft_budget
from .numeric import Point, Sample, Values, close, evaluate_all
from .spec import Breakpoint
from .vocab import H0_OPEN, SIGMA

__all__ = [
    "SYMBOLIC_BUDGET_S", "structural_equal", "symbolic_zero", "NumericOutcome", "compare_values",
    "BreakpointFailure", "check_breakpoints",
]

SYMBOLIC_BUDGET_S: Final = 2.0
_T: Final = sp.Symbol("t", real=True)
_PIECEWISE_LIKE: Final = (sp.Piecewise, sp.Heaviside, sp.Max, sp.Min, sp.Abs, sp.sign)


def structural_equal(a: sp.Expr, b: sp.Expr) -> bool:
    """Same canonical form (sympy's automatic evaluation only: cheap, no simplification)."""
    try:
        return bool(a == b) or bool((a - b) == 0)
    except (TypeError, ValueError, RecursionError, MemoryError):
        return False


def symbolic_zero(a: sp.Expr, b: sp.Expr, budget_s: float = SYMBOLIC_BUDGET_S) -> bool:
    """True only when sympy proves ``a - b == 0`` within ``budget_s`` seconds."""
    if a.has(*_PIECEWISE_LIKE) or b.has(*_PIECEWISE_LIKE):
        return False
    try:
        with soft_budget(budget_s):
            diff = (a - b).replace(SIGMA, sp.Lambda(_T, 1 / (1 + sp.exp(-_T))))
            diff = diff.rewrite(sp.exp)
            for step in (lambda e: sp.cancel(sp.together(e)), sp.expand, sp.simplify):
                if step(diff) == 0:
                    return True
    except BudgetExceeded:
        return False
    except (TypeError, ValueError, ArithmeticError, RecursionError, MemoryError,
            NotImplementedError, AttributeError, sp.PolynomialError):
        return False
    return False


@dataclass(frozen=True)
class NumericOutcome:
    """``valid``: points where the expected value is defined and real; ``first_difference``:
    index of the first such point where the answer differs (``None`` when none does)."""

    valid: int
    first_difference: int | None

    @property
    def agree(self) -> bool:
        return self.first_difference is None


def compare_values(yours: Values, expected: Values, rtol: float, atol: float) -> NumericOutcome:
    valid = 0
    first: int | None = None
    for i, (y, e) in enumerate(zip(yours, expected)):
        if e is None:
            continue  # the expected answer is undefined here: the point says nothing
        valid += 1
        if first is None and (y is None or not close(y, e, rtol, atol)):
            first = i
    return NumericOutcome(valid, first)


@dataclass(frozen=True)
class BreakpointFailure:
    breakpoint: Breakpoint
    point: Point
    yours: float | None


def _accepts(bp: Breakpoint, value: float | None, rtol: float, atol: float) -> bool:
    if value is None:
        return bp.accept_undefined
    assert bp.accepted is not None
    return any(close(value, float(a), rtol, atol) for a in bp.accepted)


def check_breakpoints(
    student: sp.Expr, sample: Sample, rtol: float, atol: float
) -> BreakpointFailure | None:
    """The first breakpoint whose convention the answer breaks, or ``None``.

    An open ``Heaviside(u)`` (no value at 0 given) is read as whichever of 0 and 1 the task
    accepts: the student did not choose, so sympy's 1/2 must not choose for them.
    """
    openers: Sequence[sp.Expr] = (sp.S.Zero, sp.S.One) if student.has(H0_OPEN) else (sp.S.Half,)
    for bp, points in sample.at_breakpoints:
        if bp.accepted is None:
            continue
        failure: BreakpointFailure | None = None
        for h0 in openers:
            values = evaluate_all(student, sample, points, h0)
            bad = [(p, v) for p, v in zip(points, values) if not _accepts(bp, v, rtol, atol)]
            if not bad:
                failure = None
                break
            failure = BreakpointFailure(bp, bad[0][0], bad[0][1])
        if failure is not None:
            return failure
    return None
