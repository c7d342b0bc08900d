"""Checking what the code printed: numbers read from printed lines.

Classic assignments print progress as they go ("Cost after iteration 0: 0.693147") and give the
expected lines in the statement. A probe that captures its output (`Test(capture=True)`, or any
test with a `Printed` check) returns that text as `ProbeRun.printed`; `Printed` picks the lines a
pattern selects and compares the numbers in them, in order, with the lines the reference printed
on the same call or with the numbers the check itself lists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from .checks import Check, Failure, register
from .i18n import Text, t

# Integers, decimals and exponents, with a sign; nan and inf as Python and numpy print them.
# One way to match each number (`\d+(?:\.\d*)?`, not `\d+\.?\d*`): a long run of digits a student
# printed must not be split every way before the match fails (that took seconds per line).
NUMBER = re.compile(r"(?<![\w.])[-+]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|nan|inf)(?![\w.])", re.IGNORECASE)
MAX_LINES = 10_000


def numbers_in(text: str) -> tuple[float, ...]:
    return tuple(float(n) for n in NUMBER.findall(text))


@dataclass(frozen=True)
class Line:
    text: str  # as shown in feedback
    numbers: tuple[float, ...]


def _normalise(expected: Any) -> tuple[tuple[float, ...], ...] | None:
    """`expected` as one tuple of numbers per line: `(0.69, 0.58)` is one number per line;
    `((0, 0.69), (100, 0.58))` several numbers per line."""
    if expected is None:
        return None
    if isinstance(expected, (int, float)):
        expected = (expected,)
    lines = []
    for line in expected:
        if isinstance(line, (list, tuple)):
            lines.append(tuple(float(v) for v in line))
        else:
            lines.append((float(line),))
    return tuple(lines)


@register
@dataclass(frozen=True)
class Printed(Check):
    """The numbers in the printed lines that `pattern` selects (a regular expression searched in
    each line; with groups, only the groups' text is read), line by line within rtol/atol.

    Compared with what the reference printed on the same call, or with `expected` when given (one
    number or one tuple of numbers per line, e.g. the expected-output table of an assignment).
    Without a pattern, every printed line that holds a number is read.
    """

    pattern: str = ""
    expected: Any = None
    rtol: float = 1e-5
    atol: float = 1e-6
    kind: ClassVar[str] = "printed"
    reads_printed: ClassVar[bool] = True

    def __post_init__(self) -> None:
        re.compile(self.pattern)  # a bad pattern fails when the exercise loads, not when grading
        object.__setattr__(self, "expected", _normalise(self.expected))

    @property
    def wants_printed_reference(self) -> bool:
        return self.expected is None

    def lines(self, text: str) -> list[Line]:
        regex = re.compile(self.pattern) if self.pattern else None
        found = []
        for raw in text.splitlines()[:MAX_LINES]:
            line = raw.strip()
            if regex is None:
                numbers = numbers_in(line)
                if not numbers:
                    continue
            else:
                match = regex.search(line)
                if match is None:
                    continue
                groups = [g for g in match.groups() if g is not None]
                numbers = numbers_in(" ".join(groups) if match.re.groups else line)
            found.append(Line(line if len(line) <= 300 else line[:300] + "…", numbers))
        return found

    def expected_lines(self, reference_printed: str | None) -> list[Line]:
        if self.expected is not None:
            return [Line(" ".join(f"{v:g}" for v in numbers), numbers) for numbers in self.expected]
        if reference_printed is None:
            raise ValueError("a Printed check without `expected` needs the reference's printed output")
        return self.lines(reference_printed)

    def evaluate(self, got: Any, expected: Any, args: tuple[Any, ...] = ()) -> Failure | None:
        """`got`: what the student's code printed; `expected`: what the reference printed (or None
        when this check lists its own numbers)."""
        mine = self.lines(got if isinstance(got, str) else "")
        wanted = self.expected_lines(expected if isinstance(expected, str) else None)
        selected = Text(" matching `", " que coinciden con `") + self.pattern + "`" if self.pattern else Text("", "")
        for k, want in enumerate(wanted):
            if k >= len(mine):
                return Failure(t("printed.too_few", got=len(mine), expected=len(wanted), which=selected),
                               t("printed.first_missing", line=want.text), got=_shown(mine), expected=want.text)
            have = mine[k]
            if len(have.numbers) != len(want.numbers):
                return Failure(t("printed.count", line=k + 1, got=len(have.numbers), expected=len(want.numbers)),
                               None, got=have.text, expected=want.text)
            ok = np.isclose(np.array(have.numbers), np.array(want.numbers), rtol=self.rtol, atol=self.atol,
                            equal_nan=True)
            if not ok.all():
                return Failure(t("printed.values", line=k + 1), None, got=have.text, expected=want.text)
        if len(mine) > len(wanted):
            extra = mine[len(wanted)]
            return Failure(t("printed.too_many", got=len(mine), expected=len(wanted), which=selected),
                           t("printed.first_extra", line=extra.text), got=extra.text,
                           expected="(nothing more)")
        return None


def _shown(lines: list[Line]) -> str:
    return lines[-1].text if lines else "(nothing)"
