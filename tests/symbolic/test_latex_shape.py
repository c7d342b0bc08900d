"""LaTeX answers are measured before sympy's parser sees them: bars are paired here, and an answer
nested too deeply is refused at once, with that reason."""

from __future__ import annotations

import pytest

from grader.symbolic import (
    AnswerFormatError,
    DerivationSpec,
    Limits,
    Sym,
    check_answer_in_process,
    latex_available,
    read_answer,
    run_bounded,
)
from grader.symbolic.shape import MAX_LATEX_DEPTH, measure

pytestmark = pytest.mark.skipif(not latex_available(), reason="LaTeX parser backend missing")

ABS = DerivationSpec("abs_x", "Abs(x)", symbols=(Sym("x"),), functions=("Abs", "tanh", "sqrt"))

# Each took sympy's parser from seconds to minutes (bars: ×1.7 per pair, in a row or nested).
BOMBS = {
    "nested bars": "$" + "|" * 24 + "x" + "|" * 24 + "$",
    "nested bars, sixteen": "|" * 16 + "x" + "|" * 16,
    "bars in a row": "+".join(["|x|"] * 20),
    "sized bars": "\\left|" * 14 + "x" + "\\right|" * 14,
    "lvert": "\\lvert " * 14 + "x" + " \\rvert" * 14,
    "parentheses": "\\left(" * 40 + "x" + "\\right)" * 40,
    "fractions": "\\frac{" * 40 + "x" + "}{2}" * 40,
    "braces": "{" * 40 + "x" + "}" * 40,
    "powers": "x" + "^{x" * 40 + "}" * 40,
    "subscripts": "x" + "_{x" * 40 + "}" * 40,
    "square roots": "\\sqrt{" * 40 + "x" + "}" * 40,
    "bare square roots": "\\sqrt" * 40 + " x",
    "bare functions": "\\tanh " * 40 + "x",
    "function calls": "\\tanh(" * 40 + "x" + ")" * 40,
    "abstract calls": "f(" * 40 + "x" + ")" * 40,
    "mixed": "\\left(\\frac{\\sqrt{|" * 8 + "x" + "|}}{2}\\right)" * 8,
}


@pytest.mark.parametrize("text", BOMBS.values(), ids=BOMBS.keys())
def test_a_bomb_is_answered_in_a_moment(text: str) -> None:
    # Through a hard bound, so that a parser that hangs fails the test instead of stalling it.
    result = run_bounded(lambda: check_answer_in_process(ABS, text, latex=True).to_json(),
                         Limits(wall_s=5, cpu_s=5))
    assert result.ok, result.failure
    assert result.value["status"] in ("invalid", "incorrect", "undetermined"), result.value


@pytest.mark.parametrize("text", [t for name, t in BOMBS.items() if name != "bars in a row"],
                         ids=[name for name in BOMBS if name != "bars in a row"])
def test_the_student_is_told_their_answer_is_nested_too_deeply(text: str) -> None:
    verdict = check_answer_in_process(ABS, text, latex=True)
    assert verdict.status == "invalid"
    assert "nested too deeply" in verdict.message["en"], verdict.message["en"]
    assert "anidada demasiado" in verdict.message["es"]
    assert f"more than {MAX_LATEX_DEPTH} levels" in verdict.message["en"]


def test_too_many_bars_are_refused_with_their_count() -> None:
    verdict = check_answer_in_process(ABS, "+".join(["|x|"] * 20), latex=True)
    assert verdict.status == "invalid" and "too many bars" in verdict.message["en"]


@pytest.mark.parametrize("text, read_as", [
    ("|x|", "Abs(x)"),
    ("\\left|x\\right|", "Abs(x)"),
    ("\\left\\vert x \\right\\vert", "Abs(x)"),
    ("\\lvert x \\rvert", "Abs(x)"),
    ("\\vert x \\vert", "Abs(x)"),
    ("|x - |x||", "Abs(x - Abs(x))"),
    ("||x| - 1|", "Abs(Abs(x) - 1)"),
    ("|x| \\cdot |x|", "x**2"),
    ("2|x| - |x|", "Abs(x)"),
    ("|\\tanh(x)|^2", "tanh(x)**2"),
    ("\\sqrt{|x|}", "sqrt(Abs(x))"),
])
def test_bars_are_paired_as_the_course_reads_them(text: str, read_as: str) -> None:
    assert read_answer(ABS, text, latex=True).read_as == read_as


@pytest.mark.parametrize("text, why", [
    ("|x", "is not closed"),
    ("|x|x|", "is not closed"),
    ("\\right| x", "has no opening bar"),
    ("(|x)|", "overlap"),
    ("\\|x\\|", "norms"),
    ("\\left\\| x \\right\\|", "norms"),
])
def test_bars_that_cannot_be_paired_are_refused_with_a_reason(text: str, why: str) -> None:
    with pytest.raises(AnswerFormatError) as info:
        read_answer(ABS, text, latex=True)
    assert why in info.value.message["en"]


@pytest.mark.parametrize("text, depth", [
    (r"\sigma(x)\left(1-\sigma(x)\right)", 2),
    (r"\frac{e^{-x}}{\left(1+e^{-x}\right)^{2}}", 3),
    (r"\begin{cases} 0 & x < 0 \\ 1 & x \geq 0 \end{cases}", 1),
    (r"\frac{\partial J}{\partial w_i} = -\left(y - f(a)\right) f^{\prime}(a) x_{i}", 2),
    (r"\sqrt\sqrt x", 2),
    (r"\tanh \tanh \tanh x", 3),
    (r"x^{y^{z}}", 2),
])
def test_depth_counts_every_kind_of_group(text: str, depth: int) -> None:
    assert measure(text).depth == depth
