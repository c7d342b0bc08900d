"""Checks of a property of the result rather than of its closeness to an expected value: no nan or
inf (the stability probes at ±1000), rows that sum to one (softmax), values within a range."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from .checks import Check, Failure, _fmt_index, register
from .i18n import Text, t
from .values import as_array, describe, numeric_sequence, type_name


def _leaves(value: Any) -> list[np.ndarray]:
    if isinstance(value, dict):
        return [x for v in value.values() for x in _leaves(v)]
    if isinstance(value, (tuple, list)) and not numeric_sequence(value):
        return [x for v in value for x in _leaves(v)]
    arr = as_array(value)
    return [arr] if arr is not None else []


@register
@dataclass(frozen=True)
class Finite(Check):
    """No nan or inf anywhere in the result (for the stability probes at ±1000)."""

    kind: ClassVar[str] = "finite"

    def evaluate(self, got: Any, expected: Any, args: tuple[Any, ...] = ()) -> Failure | None:
        leaves = _leaves(got)
        if not leaves:
            return Failure(t("check.type", got_type=type_name(got), expected_type="numbers"))
        for arr in leaves:
            if arr.dtype.kind in "fc":
                bad = ~np.isfinite(arr)
                if bad.any():
                    where = _fmt_index(tuple(np.argwhere(bad)[0])) if arr.ndim else "the value"
                    return Failure(t("check.nonfinite"), t("check.nonfinite_detail", count=int(bad.sum()), where=where))
        return None


@register
@dataclass(frozen=True)
class SumsTo(Check):
    """Values along `axis` sum to `target` (softmax rows sum to 1)."""

    target: float = 1.0
    axis: int = -1
    atol: float = 1e-6
    kind: ClassVar[str] = "sums_to"

    def evaluate(self, got: Any, expected: Any, args: tuple[Any, ...] = ()) -> Failure | None:
        arr = as_array(got)
        if arr is None or arr.ndim == 0:
            return Failure(t("check.type", got_type=type_name(got), expected_type="a numpy array"))
        with np.errstate(invalid="ignore", over="ignore"):
            sums = arr.astype(np.float64).sum(axis=self.axis)
        if np.all(np.abs(sums - self.target) <= self.atol):
            return None
        return Failure(t("check.sums_to", axis=self.axis, target=self.target),
                       Text.of(f"sums: {describe(sums)}"))


@register
@dataclass(frozen=True)
class InRange(Check):
    low: float = 0.0
    high: float = 1.0
    kind: ClassVar[str] = "in_range"

    def evaluate(self, got: Any, expected: Any, args: tuple[Any, ...] = ()) -> Failure | None:
        for arr in _leaves(got):
            with np.errstate(invalid="ignore"):
                bad = ~((arr >= self.low) & (arr <= self.high))
            if bad.any():
                return Failure(t("check.range", low=self.low, high=self.high),
                               Text.of(f"min {np.nanmin(arr):.6g}, max {np.nanmax(arr):.6g}"))
        return None
