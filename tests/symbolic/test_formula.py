"""The formula of a markdown answer is found in one pass over the cell, whatever the cell holds."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from grader.grading import latex_in_markdown
from grader.symbolic import Limits, formula, run_bounded

# Each is a cell a student could tag as their answer; the old lazy regular expression searched to
# the end of the cell again from every opening mark of these.
SPELLINGS = {
    "display brackets": "\\[" * 200_000,
    "inline parentheses": "\\(" * 200_000,
    "dollars": "$" * 400_000,
    "double dollars": "$$" * 200_000,
    "one dollar then brackets": "$" + "\\[" * 200_000,
    "brackets then one dollar": "\\[" * 200_000 + "$",
    "every kind, none closed": ("\\[" * 70_000) + ("\\(" * 70_000) + "$$x" + "\\[x",
    "backslashes": "\\" * 400_000,
    "escaped dollars": "\\$" * 200_000,
    "braces": "{" * 400_000,
    "brackets and text": "\\[ x " * 100_000,
}


@pytest.mark.parametrize("cell", SPELLINGS.values(), ids=SPELLINGS.keys())
def test_no_cell_makes_the_formula_search_slow(cell: str) -> None:
    # A hard bound in a child: the old search took minutes on each of these.
    result = run_bounded(lambda: len(latex_in_markdown(cell)), Limits(wall_s=10, cpu_s=10))
    assert result.ok, result.failure


class _CountingMarks:
    """The module's mark pattern, counting every mark it hands out."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        self.seen = 0

    def finditer(self, text: str, pos: int = 0) -> Iterator[re.Match[str]]:
        for match in self.pattern.finditer(text, pos):
            self.seen += 1
            yield match


@pytest.mark.parametrize("cell", SPELLINGS.values(), ids=SPELLINGS.keys())
def test_the_search_looks_at_each_mark_a_bounded_number_of_times(
        cell: str, monkeypatch: pytest.MonkeyPatch) -> None:
    counting = _CountingMarks(formula._MARKS)
    monkeypatch.setattr(formula, "_MARKS", counting)
    formula.first_formula(cell)
    marks = sum(1 for _ in counting.pattern.finditer(cell))
    # One pass for the openings, at most one failed search per kind of delimiter.
    assert counting.seen <= 5 * marks + 5


@pytest.mark.parametrize("cell, expected", [
    ("$$a+b$$", "a+b"),
    ("text \\[x^2\\] more", "x^2"),
    ("$y$ and $z$", "y"),
    ("  plain  ", "plain"),
    ("see \\( \\sigma(x) \\) here", "\\sigma(x)"),
    ("it costs \\$5; the answer is $x^2$", "x^2"),
    ("\\[" * 1000 + " then $1 - \\tanh^2(x)$", "1 - \\tanh^2(x)"),
    ("a \\\\[2pt] line break, then $x$", "x"),
])
def test_the_first_formula_is_taken(cell: str, expected: str) -> None:
    assert latex_in_markdown(cell) == expected
