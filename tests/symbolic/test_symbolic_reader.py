"""The Python-syntax reader: notation decisions, sympy's str() forms, and caps."""

from __future__ import annotations

import pytest
import sympy as sp

from grader.symbolic import AnswerFormatError, DerivationSpec, read_answer


@pytest.mark.parametrize(
    ("spec", "text", "read_as"),
    [
        ("d_sigmoid", "2x", "2*x"),
        ("d_sigmoid", "2(x + 1)", "2*x + 2"),
        ("d_sigmoid", "x(1 - x)", "x*(1 - x)"),
        ("d_sigmoid", "sigma(x)(1 - sigma(x))", "(1 - sigma(x))*sigma(x)"),
        ("d_sigmoid", "2sigma(x)", "2*sigma(x)"),
        ("d_sigmoid", "x²", "x**2"),
        ("d_sigmoid", "x^2", "x**2"),
        ("d_sigmoid", "e^(-x)", "exp(-x)"),
        ("d_sigmoid", "math.e**x", "exp(x)"),
        ("d_sigmoid", "0.25", "1/4"),
        ("d_sigmoid", "torch.sigmoid(x)", "sigma(x)"),
        ("grad_mse_l2", "lam w", "lam*w"),
        ("grad_mse_l2", "λ·w", "lam*w"),
        ("grad_perceptron", "(y - o) x_i", "x_i*(y - f(a))"),
        ("grad_perceptron", "f'(a)", "f'(a)"),
        ("grad_perceptron", "f′(a)", "f'(a)"),
        ("grad_perceptron", "Derivative(f(a), a)", "f'(a)"),
        ("d_relu", "Heaviside(x)", "Heaviside(x)"),
        ("d_relu", "max(0, x)", "Max(0, x)"),
        ("d_relu", "Piecewise((1, (x > 0) & (x < 5)), (0, True))",
         "Piecewise((1, (x > 0) & (x < 5)), (0, True))"),
    ],
)
def test_notation(spec: str, text: str, read_as: str, specs: dict[str, DerivationSpec]) -> None:
    assert read_answer(specs[spec], text).read_as == read_as


def test_sympy_str_of_a_students_expression_reads_back(specs: dict[str, DerivationSpec]) -> None:
    # What a student gets by building the answer with sympy and assigning it.
    x, a, y, x_i = sp.symbols("x a y x_i")
    f, sigma = sp.Function("f"), sp.Function("sigma")
    written = {
        "d_sigmoid": [sigma(x) * (1 - sigma(x)), sp.diff(1 / (1 + sp.exp(-x)), x)],
        "d_tanh": [sp.diff(sp.tanh(x), x), sp.sech(x) ** 2],
        "d_relu": [sp.Piecewise((0, x < 0), (1, True)), sp.Heaviside(x, 0),
                   sp.diff(sp.Max(0, x), x)],
        "grad_perceptron": [sp.diff(sp.Rational(1, 2) * (y - f(a)) ** 2, a) / f(a).diff(a)
                            * f(a).diff(a) * x_i],
    }
    for spec_id, exprs in written.items():
        for expr in exprs:
            parsed = read_answer(specs[spec_id], str(expr))
            assert parsed.read_as, str(expr)


def test_heaviside_of_sympy_keeps_its_stated_value(specs: dict[str, DerivationSpec]) -> None:
    # sympy prints Heaviside(x, 1/2) as Heaviside(x): a bare Heaviside leaves 0 open.
    assert read_answer(specs["d_relu"], "Heaviside(x, 1/2)").read_as == "Heaviside(x, 1/2)"
    assert read_answer(specs["d_relu"], "Heaviside(x)").read_as == "Heaviside(x)"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("xy", "unknown name 'xy'"),
        ("diff(x)", "diff"),
        ("log(x)", "'log' is not available"),
        ("x[0]", "x_i"),
        ("sigma", "argument"),
        ("x = 1", "="),
        ("f'(x)", "quotes"),
        ("x**1000", "exponent"),
        ("1e999", "too large"),
        ("(" * 40 + "x" + ")" * 40, "nested"),
        ("x" * 600, "too long"),
    ],
)
def test_refusal_messages(text: str, needle: str, specs: dict[str, DerivationSpec]) -> None:
    with pytest.raises(AnswerFormatError) as info:
        read_answer(specs["d_sigmoid"], text)
    assert needle in info.value.message["en"]
    assert info.value.message["es"] != info.value.message["en"]


def test_definitions_and_abstract_functions(specs: dict[str, DerivationSpec]) -> None:
    spec = specs["grad_perceptron"]
    # e and o are the course's names for y − f(a) and f(a).
    assert read_answer(spec, "e").expr == read_answer(spec, "y - f(a)").expr
    with pytest.raises(AnswerFormatError):
        read_answer(spec, "g(a)")


def test_product_hint_for_runs_of_declared_letters(specs: dict[str, DerivationSpec]) -> None:
    with pytest.raises(AnswerFormatError) as info:
        read_answer(specs["grad_mse_l2"], "2x(wx - y)")
    assert "write w*x" in info.value.message["en"] and "escribe w*x" in info.value.message["es"]
