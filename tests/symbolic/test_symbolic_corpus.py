"""The corpus: answers a class really writes, with the verdict a patient teacher would give.

Pure cases run in-process (the reader is safe and the layers have soft budgets); the bounded
path is exercised in ``test_symbolic_hostile.py`` and ``test_symbolic_api.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from grader.symbolic import DerivationSpec, check_answer_in_process, latex_available

# LaTeX answers need sympy's ANTLR backend (antlr4-python3-runtime 4.11.x).
NEEDS_LATEX = pytest.mark.skipif(not latex_available(), reason="LaTeX parser backend missing")


@dataclass(frozen=True)
class Case:
    spec: str
    text: str
    status: str
    misconception: str | None = None
    layer: str | None = None
    latex: bool = False

    def __str__(self) -> str:
        return f"{self.spec}:{self.text[:40]}"


CORRECT = [
    # d_sigmoid: the textbook form, exp forms, sigma(-x), cosh and tanh forms, notation variants.
    Case("d_sigmoid", "sigma(x)*(1 - sigma(x))", "correct", layer="structural"),
    Case("d_sigmoid", "sigma(x) - sigma(x)**2", "correct"),
    Case("d_sigmoid", "exp(-x)/(1 + exp(-x))**2", "correct", layer="symbolic"),
    Case("d_sigmoid", "np.exp(-x) / (1 + np.exp(-x))^2", "correct"),
    Case("d_sigmoid", "sigma(x)*sigma(-x)", "correct"),
    Case("d_sigmoid", "1/(4*cosh(x/2)**2)", "correct"),
    Case("d_sigmoid", "exp(x)/(exp(x) + 1)**2", "correct"),
    Case("d_sigmoid", "σ(x)(1 − σ(x))", "correct"),
    Case("d_sigmoid", "sigmoid(x)*(1-sigmoid(x))", "correct"),
    Case("d_sigmoid", "1/(2 + exp(x) + exp(-x))", "correct"),
    Case("d_sigmoid", "0.25*(1 - tanh(x/2)**2)", "correct"),
    Case("d_sigmoid", "σ(x) − σ²(x)", "correct"),
    Case("d_sigmoid", "sigma(x) - sigma^2(x)", "correct"),
    # d_tanh
    Case("d_tanh", "1 - tanh(x)**2", "correct", layer="structural"),
    Case("d_tanh", "1 - tanh(x)^2", "correct"),
    Case("d_tanh", "sech(x)**2", "correct", layer="symbolic"),
    Case("d_tanh", "1/cosh(x)**2", "correct"),
    Case("d_tanh", "4/(exp(x) + exp(-x))**2", "correct"),
    Case("d_tanh", "4*exp(2*x)/(exp(2*x) + 1)**2", "correct"),
    Case("d_tanh", "(1 - tanh(x))*(1 + tanh(x))", "correct"),
    Case("d_tanh", "1 - ((exp(x) - exp(-x))/(exp(x) + exp(-x)))**2", "correct"),
    # The power of a function's value written before its parentheses, as in the notes.
    Case("d_tanh", "1 - tanh²(x)", "correct", layer="structural"),
    Case("d_tanh", "1 - tanh^2(x)", "correct", layer="structural"),
    Case("d_tanh", "1 - tanh**2(x)", "correct", layer="structural"),
    Case("d_tanh", "1 − tanh ² (x)", "correct", layer="structural"),
    Case("d_tanh", "1 - tanh^(2)(x)", "correct", layer="structural"),
    Case("d_tanh", "sech²(x)", "correct"),
    Case("d_tanh", "sech^2(x)", "correct"),
    Case("d_tanh", "1 - tanh(x)*tanh(x)", "correct"),
    # d_relu: every way of writing the step, with either value at 0.
    Case("d_relu", "Piecewise((0, x < 0), (1, True))", "correct", layer="structural"),
    Case("d_relu", "Piecewise((1, x > 0), (0, True))", "correct", layer="piecewise"),
    Case("d_relu", "Heaviside(x)", "correct", layer="piecewise"),
    Case("d_relu", "Heaviside(x, 0)", "correct", layer="piecewise"),
    Case("d_relu", "Heaviside(x, 1)", "correct", layer="piecewise"),
    Case("d_relu", "np.heaviside(x, 1)", "correct"),
    Case("d_relu", "1 if x > 0 else 0", "correct"),
    Case("d_relu", "np.where(x >= 0, 1, 0)", "correct"),
    Case("d_relu", "Piecewise((0, x <= 0), (1, x > 0))", "correct"),
    # grad_perceptron: f', Derivative(f(a), a), e and o, order and signs moved around.
    Case("grad_perceptron", "-(y - f(a))*f'(a)*x_i", "correct", layer="structural"),
    Case("grad_perceptron", "(f(a) - y)*f'(a)*x_i", "correct"),
    Case("grad_perceptron", "-e*f'(a)*x_i", "correct"),
    Case("grad_perceptron", "(o - y) f'(a) x_i", "correct"),
    Case("grad_perceptron", "x_i*(f(a) - y)*Derivative(f(a), a)", "correct"),
    Case("grad_perceptron", "f(a)*f'(a)*x_i - y*f'(a)*x_i", "correct"),
    Case("grad_perceptron", "-(y − f(a))·f′(a)·xᵢ", "correct"),
    # grad_bce_sigmoid
    Case("grad_bce_sigmoid", "sigma(a) - y", "correct", layer="structural"),
    Case("grad_bce_sigmoid", "1/(1 + exp(-a)) - y", "correct", layer="symbolic"),
    Case("grad_bce_sigmoid", "-y*(1 - sigma(a)) + (1 - y)*sigma(a)", "correct"),
    Case("grad_bce_sigmoid", "-(y - sigma(a))", "correct"),
    # grad_softmax_ce: the one-hot constraint is what makes y_k**2 the same as y_k.
    Case("grad_softmax_ce", "s_k - y_k", "correct", layer="structural"),
    Case("grad_softmax_ce", "-(y_k - s_k)", "correct"),
    Case("grad_softmax_ce", "s_k - y_k**2", "correct", layer="numeric"),
    Case("grad_softmax_ce", "yhat_k - y_k", "correct"),
    # grad_mse_l2
    Case("grad_mse_l2", "-2*x*(y - w*x) + 2*lam*w", "correct", layer="structural"),
    Case("grad_mse_l2", "2*(w*x - y)*x + 2*lam*w", "correct"),
    Case("grad_mse_l2", "2*w*x**2 - 2*x*y + 2*lam*w", "correct"),
    Case("grad_mse_l2", "2x(w x - y) + 2lam w", "correct"),
    Case("grad_mse_l2", "2*(x**2 + lam)*w - 2*x*y", "correct"),
    # The task declares lambda (a Python keyword) and its usual Python spellings.
    Case("grad_mse_l2", "-2*x*(y - w*x) + 2*lambda*w", "correct", layer="structural"),
    Case("grad_mse_l2", "2x(w x - y) + 2 lambda w", "correct"),
    Case("grad_mse_l2", "-2*x*(y - w*x) + 2*lambda_*w", "correct"),
    Case("grad_mse_l2", "-2*x*(y - w*x) + 2*lmbda*w", "correct"),
    Case("grad_mse_l2", "-2*x*(y - w*x) + 2*λ*w", "correct"),
    # numbers
    Case("dfdx", "9", "correct"),
    Case("dfdx", "9.0", "correct"),
    Case("dfdx", "18/2", "correct"),
    Case("dfdy", "-24", "correct"),
    Case("dfdy", "-24.0", "correct"),
    Case("dfdy", "−24", "correct"),
]

MISCONCEPTIONS = [
    # Catalogued mistakes, written differently from the catalogue so that matching is by meaning.
    Case("d_sigmoid", "sigma(x)*(1-x)", "incorrect", "sigma_times_one_minus_x"),
    Case("d_sigmoid", "sigma(x) - x*sigma(x)", "incorrect", "sigma_times_one_minus_x", "numeric"),
    Case("d_sigmoid", "1 - sigma(x)^2", "incorrect", "tanh_formula"),
    Case("d_sigmoid", "exp(-x)/(1+exp(-x))", "incorrect", "quotient_without_square"),
    Case("d_sigmoid", "-exp(-x)*(1 + exp(-x))**(-2)", "incorrect", "inner_sign_lost"),
    Case("d_sigmoid", "sigma(x)**2", "incorrect", "inner_derivative_missing", "numeric"),
    Case("d_tanh", "1 - tanh(x)", "incorrect", "one_minus_tanh"),
    Case("d_tanh", "tanh(x) - tanh(x)**2", "incorrect", "sigmoid_formula"),
    Case("d_tanh", "-sech(x)**2", "incorrect", "sign_flipped", "numeric"),
    Case("d_tanh", "1/cosh(x)", "incorrect", "sech_not_squared", "numeric"),
    Case("d_relu", "Max(0, x)", "incorrect", "relu_itself"),
    Case("d_relu", "x*Heaviside(x)", "incorrect", "relu_itself", "numeric"),
    Case("d_relu", "Heaviside(-x)", "incorrect", "sides_swapped", "numeric"),
    Case("d_relu", "1", "incorrect", "always_one"),
    Case("d_relu", "sign(x)", "incorrect", "sign_function"),
    Case("grad_perceptron", "-(y - f(a))*x_i", "incorrect", "missing_chain_factor"),
    Case("grad_perceptron", "-e*x_i", "incorrect", "missing_chain_factor"),
    Case("grad_perceptron", "e*f'(a)*x_i", "incorrect", "sign_error"),
    Case("grad_perceptron", "(y - o)*Derivative(f(a), a)*x_i", "incorrect", "sign_error"),
    Case("grad_perceptron", "2*(f(a) - y)*f'(a)*x_i", "incorrect", "extra_two"),
    Case("grad_perceptron", "(f(a) - y)*f(a)*x_i", "incorrect", "f_instead_of_derivative"),
    Case("grad_perceptron", "(f(a) - y)*f'(a)", "incorrect", "missing_input"),
    Case("grad_bce_sigmoid", "y - sigma(a)", "incorrect", "sign_flipped"),
    Case("grad_bce_sigmoid", "(1 - y)/(1 - sigma(a)) - y/sigma(a)", "incorrect",
         "derivative_wrt_output"),
    Case("grad_bce_sigmoid", "(sigma(a) - y)*sigma(a)*sigma(-a)", "incorrect", "extra_sigma_prime"),
    Case("grad_bce_sigmoid", "y*sigma(a) - y", "incorrect", "second_term_dropped"),
    Case("grad_softmax_ce", "y_k - s_k", "incorrect", "sign_flipped"),
    Case("grad_softmax_ce", "-y_k/s_k", "incorrect", "derivative_wrt_output"),
    Case("grad_softmax_ce", "y_k*s_k - y_k", "incorrect", "diagonal_only"),
    Case("grad_softmax_ce", "s_k*(1 - s_k)*(s_k - y_k)", "incorrect", "sigmoid_like"),
    Case("grad_mse_l2", "-2*x*(y - w*x) + lam*w", "incorrect", "lambda_without_two"),
    Case("grad_mse_l2", "2*x*(y - w*x) + 2*lam*w", "incorrect", "sign_error"),
    Case("grad_mse_l2", "x*(w*x - y) + lam*w", "incorrect", "halved"),
    Case("grad_mse_l2", "2*(w*x - y) + 2*lam*w", "incorrect", "missing_input"),
    Case("grad_mse_l2", "2*x*(w*x - y)", "incorrect", "no_regulariser"),
    Case("grad_mse_l2", "2*x*(w*x - y) + 2*lam", "incorrect", "regulariser_without_w"),
    Case("dfdx", "8", "incorrect", "direct_path_missing"),
    Case("dfdx", "17", "incorrect", "inner_factor_missing"),
    Case("dfdy", "24", "incorrect", "sign_error"),
    Case("dfdy", "-4", "incorrect", "quotient_as_one_over_y"),
    Case("dfdy", "-23", "incorrect", "direct_path_added"),
]

OTHER_WRONG = [
    # Wrong answers no catalogue lists: a probe or a counter-example must explain them.
    Case("d_sigmoid", "sigma(x)", "incorrect", "sigma_itself"),
    Case("d_sigmoid", "x*(1 - x)", "incorrect", layer="numeric"),
    Case("d_sigmoid", "2*sigma(x)*(1 - sigma(x))", "incorrect", layer="numeric"),
    Case("d_tanh", "tanh(x)", "incorrect", layer="numeric"),
    Case("d_tanh", "1/x", "incorrect", layer="numeric"),
    Case("d_relu", "Heaviside(x, 1/2)", "incorrect", layer="piecewise"),
    Case("d_relu", "(sign(x) + 1)/2", "incorrect", layer="piecewise"),
    Case("d_relu", "0", "incorrect", layer="numeric"),
    Case("grad_perceptron", "-(y - f(a))*f'(a)*x_i/2", "incorrect", layer="numeric"),
    Case("grad_perceptron", "y*x_i", "incorrect", layer="numeric"),
    Case("grad_mse_l2", "-2*x*(y - w*x) + 2*lam*w + 1", "incorrect", layer="numeric"),
    Case("dfdx", "10", "incorrect", layer="numeric"),
]

INVALID = [
    Case("d_sigmoid", "", "invalid"),
    Case("d_sigmoid", "sigma(x)*(1 - sigma(x)", "invalid"),
    Case("d_sigmoid", "sigma(y)", "invalid"),
    Case("d_sigmoid", "xy", "invalid"),
    Case("d_sigmoid", "diff(sigma(x), x)", "invalid"),
    Case("d_sigmoid", "sigma'(x)", "invalid"),
    Case("d_sigmoid", "Derivative(sigma(x), x)", "invalid"),
    Case("d_tanh", "Heaviside(x)", "invalid"),
    Case("d_relu", "x > 0", "invalid"),
    Case("grad_perceptron", "f''(a)*x_i", "invalid"),
    Case("grad_perceptron", "Derivative(f(a), x_i)", "invalid"),
    Case("grad_perceptron", "-(y - f(a))*f'(a)*x[i]", "invalid"),
    Case("grad_mse_l2", "d_sigmoid = x", "invalid"),
    Case("grad_mse_l2", "2 3", "invalid"),
    Case("grad_mse_l2", "2x(wx - y) + 2lam w", "invalid"),  # letters are never split
    Case("dfdx", "x", "invalid"),
    Case("d_tanh", "tanh⁻¹(x)", "invalid"),  # the inverse function, not a reciprocal
    Case("d_tanh", "tanh^-1(x)", "invalid"),
    Case("d_tanh", "cosh^-2(x)", "invalid"),
    Case("d_sigmoid", "lambda x: sigma(x)", "invalid"),  # no lambda declared here
    Case("dfdx", "1/0", "invalid"),
]

LATEX = [
    Case("d_sigmoid", r"\sigma(x)\left(1-\sigma(x)\right)", "correct", latex=True),
    Case("d_sigmoid", r"$$\frac{e^{-x}}{(1+e^{-x})^2}$$", "correct", latex=True),
    Case("d_sigmoid", r"\sigma'(x) = \sigma(x)\,(1 - \sigma(x))", "correct", latex=True),
    Case("d_sigmoid", r"\mathrm{e}^{-x}\left(1+\mathrm{e}^{-x}\right)^{-2}", "correct", latex=True),
    Case("d_sigmoid", r"\sigma(x)(1-x)", "incorrect", "sigma_times_one_minus_x", latex=True),
    Case("d_tanh", r"1-\tanh^2(x)", "correct", latex=True),
    Case("d_tanh", r"\operatorname{sech}^2(x)", "correct", latex=True),
    Case("d_tanh", r"\frac{1}{\cosh^2 x}", "correct", latex=True),
    Case("d_tanh", r"1-\tanh^{2}(x)", "correct", latex=True),
    Case("d_tanh", r"\text{sech}^2(x)", "correct", latex=True),
    Case("d_sigmoid", r"\sigma(x) - \sigma^2(x)", "correct", latex=True),
    Case("d_tanh", r"1 - \left|\tanh(x)\right|^2", "invalid", latex=True),  # Abs not declared here
    Case("d_tanh", r"1 - \tanh(x)", "incorrect", "one_minus_tanh", latex=True),
    Case("d_relu", r"\begin{cases} 0 & x < 0 \\ 1 & x \geq 0 \end{cases}", "correct", latex=True),
    Case("d_relu", r"\begin{cases} 1 & \text{si } x > 0 \\ 0 & \text{en otro caso} \end{cases}",
         "correct", latex=True),
    Case("grad_perceptron", r"-(y - f(a))\, f'(a)\, x_i", "correct", latex=True),
    Case("grad_perceptron", r"\frac{\partial J}{\partial w_i} = (f(a)-y) f^{\prime}(a) x_{i}",
         "correct", latex=True),
    Case("grad_perceptron", r"-(y - f(a)) x_i", "incorrect", "missing_chain_factor", latex=True),
    Case("grad_bce_sigmoid", r"\sigma(a) - y", "correct", latex=True),
    Case("grad_softmax_ce", r"\hat{y}_k - y_k", "correct", latex=True),
    Case("grad_softmax_ce", r"s_{k} - y_{k}", "correct", latex=True),
    Case("grad_mse_l2", r"-2x(y - wx) + 2\lambda w", "correct", latex=True),
    Case("grad_mse_l2", r"-2x(y - wx) + \lambda w", "incorrect", "lambda_without_two", latex=True),
    Case("dfdy", r"-24", "correct", latex=True),
    Case("d_sigmoid", r"x^{2", "invalid", latex=True),
    Case("d_sigmoid", r"\hat{y}(1-\hat{y})", "invalid", latex=True),
    Case("d_tanh", r"\operatorname{sech} x", "invalid", latex=True),
    Case("d_sigmoid", r"\frac{d}{dx}\sigma(x)", "invalid", latex=True),
    Case("grad_perceptron", r"x_{ij}", "invalid", latex=True),
]

ALL = CORRECT + MISCONCEPTIONS + OTHER_WRONG + INVALID + LATEX
PARAMS = [pytest.param(c, marks=NEEDS_LATEX) if c.latex else c for c in ALL]


def test_corpus_is_large_enough() -> None:
    assert len(ALL) >= 60


@pytest.mark.parametrize("case", PARAMS, ids=str)
def test_corpus(case: Case, specs: dict[str, DerivationSpec]) -> None:
    verdict = check_answer_in_process(specs[case.spec], case.text, latex=case.latex)
    assert verdict.status == case.status, verdict.text("en")
    if case.misconception is not None or case.status == "incorrect":
        assert verdict.misconception == case.misconception, verdict.text("en")
    if case.layer is not None:
        assert verdict.decided_by == case.layer, verdict.text("en")
    # Every verdict names its reason, in both languages, and shows how the answer was read.
    assert verdict.message["es"] and verdict.message["en"]
    assert verdict.message["es"] != verdict.message["en"]
    if case.status != "invalid":
        assert verdict.read_as
    if case.misconception is not None:
        assert verdict.hint is not None and verdict.hint["es"] and verdict.hint["en"]
        assert case.misconception in verdict.message["en"]
