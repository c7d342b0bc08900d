"""Answer specifications of the ``derivations`` exercise.

The names below are a contract: each is the variable a student assigns in the notebook (a
Python-syntax string or a sympy expression), and the tag of the markdown cell that may hold the
same answer in LaTeX. The symbols each answer may use are listed per answer; the hints are our
own words, in Spanish and English.

This module imports only from ``grader.symbolic`` (it is loaded by file path).
"""

from __future__ import annotations

from grader.symbolic import (
    Breakpoint,
    Choice,
    Definition,
    DerivationSpec,
    Interval,
    Misconception,
    Sym,
)

__all__ = [
    "SPECS",
    "d_sigmoid",
    "d_tanh",
    "d_relu",
    "grad_perceptron",
    "grad_bce_sigmoid",
    "grad_softmax_ce",
    "grad_mse_l2",
    "dfdx",
    "dfdy",
]

# Equivalent forms through exp/cosh/sech are correct answers too, so they are not refused.
_HYPERBOLIC = ("exp", "tanh", "cosh", "sinh", "sech")

d_sigmoid = DerivationSpec(
    id="d_sigmoid",
    title={"es": "σ′(x), derivada de la función logística",
           "en": "σ′(x), derivative of the logistic function"},
    expected="sigma(x)*(1 - sigma(x))",
    symbols=(Sym("x", Interval(-4.0, 4.0)),),
    functions=("sigma", *_HYPERBOLIC),
    misconceptions=(
        Misconception("sigma_times_one_minus_x", "sigma(x)*(1 - x)", {
            "es": "El segundo factor es 1 − σ(x), no 1 − x: la derivada se expresa con la salida "
                  "de la neurona, σ(x), no con su entrada x.",
            "en": "The second factor is 1 − σ(x), not 1 − x: the derivative is written with the "
                  "unit's output σ(x), not with its input x.",
        }),
        Misconception("tanh_formula", "1 - sigma(x)**2", {
            "es": "1 − f(x)² es la derivada de tanh, no de la logística. Para σ el resultado es "
                  "σ(x)·(1 − σ(x)).",
            "en": "1 − f(x)² is the derivative of tanh, not of the logistic function. For σ it "
                  "is σ(x)·(1 − σ(x)).",
        }),
        Misconception("quotient_without_square", "exp(-x)/(1 + exp(-x))", {
            "es": "Al derivar 1/g(x) el denominador queda al cuadrado: −g′(x)/g(x)². Revisa la "
                  "regla del cociente.",
            "en": "Differentiating 1/g(x) squares the denominator: −g′(x)/g(x)². Check the "
                  "quotient rule.",
        }),
        Misconception("inner_sign_lost", "-exp(-x)/(1 + exp(-x))**2", {
            "es": "La derivada de e^(−x) es −e^(−x); ese signo se cancela con el de −g′/g². "
                  "σ es creciente, así que su derivada es positiva.",
            "en": "The derivative of e^(−x) is −e^(−x); that sign cancels the one in −g′/g². σ "
                  "is increasing, so its derivative is positive.",
        }),
        Misconception("inner_derivative_missing", "1/(1 + exp(-x))**2", {
            "es": "Falta la derivada del interior, e^(−x) (regla de la cadena).",
            "en": "The derivative of the inside, e^(−x), is missing (chain rule).",
        }),
        Misconception("sigma_itself", "sigma(x)", {
            "es": "Eso es la propia σ(x), no su derivada.",
            "en": "That is σ(x) itself, not its derivative.",
        }),
    ),
)

d_tanh = DerivationSpec(
    id="d_tanh",
    title={"es": "tanh′(x)", "en": "tanh′(x)"},
    expected="1 - tanh(x)**2",
    symbols=(Sym("x", Interval(-3.0, 3.0)),),
    functions=_HYPERBOLIC,
    misconceptions=(
        Misconception("one_minus_tanh", "1 - tanh(x)", {
            "es": "Falta el cuadrado: la derivada es 1 − tanh²(x).",
            "en": "The square is missing: the derivative is 1 − tanh²(x).",
        }),
        Misconception("sigmoid_formula", "tanh(x)*(1 - tanh(x))", {
            "es": "f(x)(1 − f(x)) es la forma de la derivada de la logística, no la de tanh.",
            "en": "f(x)(1 − f(x)) is the shape of the logistic function's derivative, not "
                  "tanh's.",
        }),
        Misconception("sign_flipped", "tanh(x)**2 - 1", {
            "es": "El signo está cambiado: tanh es creciente y su derivada es positiva, "
                  "1 − tanh²(x).",
            "en": "The sign is flipped: tanh is increasing and its derivative is positive, "
                  "1 − tanh²(x).",
        }),
        Misconception("one_plus_tanh_squared", "1 + tanh(x)**2", {
            "es": "Es 1 − tanh²(x): de cosh² − sinh² = 1 sale el signo menos.",
            "en": "It is 1 − tanh²(x): cosh² − sinh² = 1 is where the minus sign comes from.",
        }),
        Misconception("sech_not_squared", "sech(x)", {
            "es": "La derivada es sech²(x) = 1/cosh²(x): falta el cuadrado.",
            "en": "The derivative is sech²(x) = 1/cosh²(x): the square is missing.",
        }),
    ),
)

d_relu = DerivationSpec(
    id="d_relu",
    title={"es": "ReLU′(x), a trozos (ReLU′(0) puede ser 0 o 1)",
           "en": "ReLU′(x), piecewise (ReLU′(0) may be 0 or 1)"},
    expected="Piecewise((0, x < 0), (1, True))",
    symbols=(Sym("x", Interval(-3.0, 3.0)),),
    functions=("Piecewise", "Heaviside", "Max", "Min", "Abs", "sign"),
    # The course's notes disagree on ReLU'(0); this exercise accepts either value there.
    breakpoints=(Breakpoint("x", 0.0, accepted=(0.0, 1.0)),),
    misconceptions=(
        Misconception("relu_itself", "Max(0, x)", {
            "es": "Eso es ReLU(x) = max(0, x); su derivada vale 0 para x < 0 y 1 para x > 0.",
            "en": "That is ReLU(x) = max(0, x); its derivative is 0 for x < 0 and 1 for x > 0.",
        }),
        Misconception("sides_swapped", "Piecewise((1, x < 0), (0, True))", {
            "es": "Los tramos están al revés: ReLU es plana (pendiente 0) para x < 0 y tiene "
                  "pendiente 1 para x > 0.",
            "en": "The pieces are swapped: ReLU is flat (slope 0) for x < 0 and has slope 1 for "
                  "x > 0.",
        }),
        Misconception("always_one", "1", {
            "es": "Solo vale 1 para x > 0: para x < 0 ReLU es constante y su derivada es 0.",
            "en": "It is 1 only for x > 0: for x < 0 ReLU is constant and its derivative is 0.",
        }),
        Misconception("sign_function", "sign(x)", {
            "es": "Para x < 0 la derivada es 0, no −1: ReLU nunca decrece.",
            "en": "For x < 0 the derivative is 0, not −1: ReLU never decreases.",
        }),
    ),
)

grad_perceptron = DerivationSpec(
    id="grad_perceptron",
    title={"es": "∂J/∂w_i con J = ½(y − f(a))², a = Σ_j w_j x_j",
           "en": "∂J/∂w_i for J = ½(y − f(a))², a = Σ_j w_j x_j"},
    expected="-(y - f(a))*f'(a)*x_i",
    symbols=(Sym("y"), Sym("x_i"), Sym("a")),
    abstract=("f",),
    # The course writes e = y − o and o = f(a); answers may use either name.
    definitions=(Definition("o", "f(a)"), Definition("e", "y - f(a)")),
    misconceptions=(
        Misconception("missing_chain_factor", "-(y - f(a))*x_i", {
            "es": "Falta f′(a): la salida es o = f(a), así que la regla de la cadena añade el "
                  "factor f′(a) entre ∂J/∂o y ∂a/∂w_i.",
            "en": "f′(a) is missing: the output is o = f(a), so the chain rule puts the factor "
                  "f′(a) between ∂J/∂o and ∂a/∂w_i.",
        }),
        Misconception("sign_error", "(y - f(a))*f'(a)*x_i", {
            "es": "El signo: e = y − o y ∂e/∂o = −1, así que ∂J/∂w_i = −e·f′(a)·x_i. (La "
                  "actualización w_i ← w_i + η·e·f′(a)·x_i va en contra del gradiente.)",
            "en": "The sign: e = y − o and ∂e/∂o = −1, so ∂J/∂w_i = −e·f′(a)·x_i. (The update "
                  "w_i ← w_i + η·e·f′(a)·x_i goes against the gradient.)",
        }),
        Misconception("extra_two", "-2*(y - f(a))*f'(a)*x_i", {
            "es": "El ½ de J = ½e² se cancela con el 2 del exponente: no queda ningún 2.",
            "en": "The ½ in J = ½e² cancels the 2 from the exponent: no 2 is left.",
        }),
        Misconception("f_instead_of_derivative", "-(y - f(a))*f(a)*x_i", {
            "es": "El factor de la cadena es la derivada f′(a), no la activación f(a).",
            "en": "The chain-rule factor is the derivative f′(a), not the activation f(a).",
        }),
        Misconception("missing_input", "-(y - f(a))*f'(a)", {
            "es": "Falta ∂a/∂w_i = x_i: cada peso influye en a a través de su entrada.",
            "en": "∂a/∂w_i = x_i is missing: each weight acts on a through its input.",
        }),
    ),
)

grad_bce_sigmoid = DerivationSpec(
    id="grad_bce_sigmoid",
    title={"es": "∂L/∂a con L = −y log σ(a) − (1 − y) log(1 − σ(a))",
           "en": "∂L/∂a for L = −y log σ(a) − (1 − y) log(1 − σ(a))"},
    expected="sigma(a) - y",
    symbols=(Sym("a", Interval(-4.0, 4.0)), Sym("y", Interval(0.0, 1.0))),
    functions=("sigma", "exp", "log"),
    misconceptions=(
        Misconception("sign_flipped", "y - sigma(a)", {
            "es": "El signo: L crece cuando σ(a) sube por encima de y, así que ∂L/∂a = σ(a) − y.",
            "en": "The sign: L grows when σ(a) rises above y, so ∂L/∂a = σ(a) − y.",
        }),
        Misconception("derivative_wrt_output", "-y/sigma(a) + (1 - y)/(1 - sigma(a))", {
            "es": "Eso es ∂L/∂σ. Falta multiplicar por σ′(a) = σ(a)(1 − σ(a)); al hacerlo todo "
                  "se simplifica.",
            "en": "That is ∂L/∂σ. It still needs the factor σ′(a) = σ(a)(1 − σ(a)); with it "
                  "everything simplifies.",
        }),
        Misconception("extra_sigma_prime", "(sigma(a) - y)*sigma(a)*(1 - sigma(a))", {
            "es": "σ′(a) ya se canceló con los denominadores de ∂L/∂σ; multiplicar otra vez da "
                  "el gradiente del error cuadrático, no el de la entropía cruzada.",
            "en": "σ′(a) already cancelled the denominators of ∂L/∂σ; multiplying again gives "
                  "the squared error's gradient, not cross-entropy's.",
        }),
        Misconception("second_term_dropped", "-y*(1 - sigma(a))", {
            "es": "Falta la contribución del término −(1 − y) log(1 − σ(a)).",
            "en": "The contribution of the term −(1 − y) log(1 − σ(a)) is missing.",
        }),
    ),
)

grad_softmax_ce = DerivationSpec(
    id="grad_softmax_ce",
    title={"es": "∂L/∂z_k con s = softmax(z) y L = −Σ_j y_j log s_j (y one-hot)",
           "en": "∂L/∂z_k for s = softmax(z) and L = −Σ_j y_j log s_j (one-hot y)"},
    expected="s_k - y_k",
    # One-hot labels: y_k is 0 or 1 and Σ_j y_j = 1, which is what makes the answer s_k − y_k.
    # ŷ_k is the course's other name for s_k.
    symbols=(
        Sym("s_k", Interval(0.05, 0.95), aliases=("yhat_k",)),
        Sym("y_k", Choice((0.0, 1.0))),
    ),
    misconceptions=(
        Misconception("sign_flipped", "y_k - s_k", {
            "es": "El signo: ∂L/∂z_k = s_k − y_k (subir z_k sube s_k, y eso aleja la predicción "
                  "de la etiqueta cuando y_k = 0).",
            "en": "The sign: ∂L/∂z_k = s_k − y_k (raising z_k raises s_k, which moves the "
                  "prediction away from the label when y_k = 0).",
        }),
        Misconception("derivative_wrt_output", "-y_k/s_k", {
            "es": "Eso es ∂L/∂s_k. Falta pasar por la jacobiana de softmax, ∂s_j/∂z_k = "
                  "s_j(δ_jk − s_k), sumando sobre todos los j.",
            "en": "That is ∂L/∂s_k. It still has to go through softmax's Jacobian, ∂s_j/∂z_k = "
                  "s_j(δ_jk − s_k), summed over every j.",
        }),
        Misconception("diagonal_only", "-y_k*(1 - s_k)", {
            "es": "Solo has usado el término j = k de la jacobiana. Los términos j ≠ k suman "
                  "s_k·Σ_{j≠k} y_j, y con Σ_j y_j = 1 queda s_k − y_k.",
            "en": "Only the j = k term of the Jacobian is there. The j ≠ k terms add "
                  "s_k·Σ_{j≠k} y_j, and with Σ_j y_j = 1 the result is s_k − y_k.",
        }),
        Misconception("sigmoid_like", "(s_k - y_k)*s_k*(1 - s_k)", {
            "es": "El factor s_k(1 − s_k) ya está dentro de la jacobiana de softmax y se cancela "
                  "con el logaritmo: no se multiplica otra vez.",
            "en": "The factor s_k(1 − s_k) is already inside softmax's Jacobian and cancels "
                  "against the log: it is not multiplied again.",
        }),
    ),
)

grad_mse_l2 = DerivationSpec(
    id="grad_mse_l2",
    title={"es": "dL/dw con L = (y − w·x)² + lam·w² (un ejemplo, un peso)",
           "en": "dL/dw for L = (y − w·x)² + lam·w² (one example, one weight)"},
    expected="-2*x*(y - w*x) + 2*lam*w",
    # lam is sampled at ordinary size: a tiny lam would let a missing factor 2 pass.
    symbols=(Sym("y"), Sym("x"), Sym("w"), Sym("lam", Interval(0.1, 2.0), aliases=("lambda", "lambda_", "lmbda"))),
    misconceptions=(
        Misconception("lambda_without_two", "-2*x*(y - w*x) + lam*w", {
            "es": "La derivada de lam·w² es 2·lam·w: falta el 2 del término de regularización.",
            "en": "The derivative of lam·w² is 2·lam·w: the regulariser's 2 is missing.",
        }),
        Misconception("sign_error", "2*x*(y - w*x) + 2*lam*w", {
            "es": "El signo del primer término: la derivada de (y − w·x) respecto de w es −x.",
            "en": "The sign of the first term: the derivative of (y − w·x) with respect to w "
                  "is −x.",
        }),
        Misconception("halved", "-x*(y - w*x) + lam*w", {
            "es": "Esta L no lleva ½: los dos cuadrados dejan un 2 al derivar.",
            "en": "This L has no ½: both squares leave a 2 when differentiated.",
        }),
        Misconception("missing_input", "-2*(y - w*x) + 2*lam*w", {
            "es": "Falta el factor x de la regla de la cadena: d(w·x)/dw = x.",
            "en": "The chain-rule factor x is missing: d(w·x)/dw = x.",
        }),
        Misconception("no_regulariser", "-2*x*(y - w*x)", {
            "es": "Falta la derivada del término de regularización, 2·lam·w.",
            "en": "The derivative of the regularisation term, 2·lam·w, is missing.",
        }),
        Misconception("regulariser_without_w", "-2*x*(y - w*x) + 2*lam", {
            "es": "La derivada de lam·w² respecto de w es 2·lam·w: falta la w.",
            "en": "The derivative of lam·w² with respect to w is 2·lam·w: the w is missing.",
        }),
    ),
)

dfdx = DerivationSpec(
    id="dfdx",
    title={"es": "∂f/∂x de f(x, y) = (x/y + 5)² + x en (6, 2)",
           "en": "∂f/∂x of f(x, y) = (x/y + 5)² + x at (6, 2)"},
    expected="9",
    kind="number",
    misconceptions=(
        Misconception("direct_path_missing", "8", {
            "es": "x llega a f por dos caminos (w2 = x/y + 5 y w4 = w3 + x): en el grafo las "
                  "contribuciones de los dos caminos se suman.",
            "en": "x reaches f along two paths (w2 = x/y + 5 and w4 = w3 + x): in the graph the "
                  "contributions of both paths add up.",
        }),
        Misconception("inner_factor_missing", "17", {
            "es": "Falta ∂w2/∂x = 1/y en el camino que pasa por el cuadrado.",
            "en": "∂w2/∂x = 1/y is missing on the path through the square.",
        }),
    ),
)

dfdy = DerivationSpec(
    id="dfdy",
    title={"es": "∂f/∂y de f(x, y) = (x/y + 5)² + x en (6, 2)",
           "en": "∂f/∂y of f(x, y) = (x/y + 5)² + x at (6, 2)"},
    expected="-24",
    kind="number",
    misconceptions=(
        Misconception("sign_error", "24", {
            "es": "∂(x/y)/∂y = −x/y² es negativo: aumentar y reduce x/y.",
            "en": "∂(x/y)/∂y = −x/y² is negative: increasing y makes x/y smaller.",
        }),
        Misconception("quotient_as_one_over_y", "-4", {
            "es": "La derivada de x/y respecto de y es −x/y², no −1/y²: la x sigue ahí.",
            "en": "The derivative of x/y with respect to y is −x/y², not −1/y²: the x stays.",
        }),
        Misconception("direct_path_added", "-23", {
            "es": "El término + x no depende de y: su derivada respecto de y es 0.",
            "en": "The term + x does not depend on y: its derivative with respect to y is 0.",
        }),
    ),
)

SPECS: dict[str, DerivationSpec] = {
    spec.id: spec
    for spec in (d_sigmoid, d_tanh, d_relu, grad_perceptron, grad_bce_sigmoid, grad_softmax_ce,
                 grad_mse_l2, dfdx, dfdy)
}
"""Every answer of the exercise, by its variable name."""
