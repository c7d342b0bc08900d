"""Activation functions and their derivatives (course §2), numpy in and numpy out.

Conventions graded: step(0) = 1, sign(0) = +1, relu_prime(0) may be 0 or 1, softmax along the
last axis; sigmoid, tanh and softmax must stay finite and exact at ±1000.
"""

from __future__ import annotations

import numpy as np

import reference.activations as ref
from grader.checks import Close, Either, Finite, InRange, SumsTo
from grader.exercise import Case, Exercise, FunctionTask, Misconception, Test, curve, random_arrays
from grader.i18n import Text
from grader.sandbox.limits import Limits

LARGE = np.array([-1000.0, -710.0, -40.0, 0.0, 40.0, 710.0, 1000.0])
EXACT = Close(rtol=1e-7, atol=1e-10, dtype="float")
GRID = np.linspace(-5.0, 5.0, 201)  # includes 0 exactly (index 100)


def picture(name: str) -> tuple:
    return (curve(Text(f"{name}: yours and the reference on [−5, 5]", f"{name}: la tuya y la de referencia en [−5, 5]"),
                  GRID),)
NUMERIC = Close(rtol=0, atol=0)


def on_large() -> Text:
    return Text("inputs of magnitude up to 1000", "entradas de magnitud hasta 1000")


def with_zeros(shapes: list[tuple[int, ...]]) -> object:
    """Integer-valued floats, so exact zeros (the conventions' edge) always appear."""

    def make(rng: np.random.Generator) -> list[Case]:
        cases = []
        for shape in shapes:
            x = rng.integers(-3, 4, size=shape).astype(np.float64)
            x.flat[0] = 0.0
            cases.append(Case((x,), label=Text(f"x of shape {shape} with zeros", f"x de forma {shape} con ceros")))
        return cases

    return make


STABILITY_HINT = Text(
    "np.exp(1000) overflows to inf. Rewrite the formula so that every exponent you compute is ≤ 0 "
    "(for example, branch on the sign of x, or subtract the maximum before exponentiating).",
    "np.exp(1000) desborda a inf. Reescribe la fórmula para que todo exponente que calcules sea ≤ 0 "
    "(por ejemplo, separa según el signo de x, o resta el máximo antes de exponenciar).")

tasks = [
    FunctionTask(
        "step", {"en": "Step function", "es": "Función escalón"}, "step", signature="step(x)", plots=picture("step"),
        reference=ref.step,
        tests=[
            Test("values", 1, with_zeros([(7,), (3, 4)]), (NUMERIC,), public=True,
                 title=Text("values, zeros included", "valores, incluidos ceros"),
                 hint=Text("step(x) is 1 where x ≥ 0 and 0 elsewhere; note the 0 at x = 0 is 1.",
                           "step(x) vale 1 donde x ≥ 0 y 0 en el resto; en x = 0 vale 1.")),
            Test("zero_is_one", 1, [Case((np.array([0.0, -0.0, 1e-12, -1e-12]),),
                                         label=Text("x at and around 0", "x en 0 y a su alrededor"))], (NUMERIC,),
                 title=Text("convention at 0", "convenio en 0"),
                 hint=Text("The course's convention is step(0) = 1 (≥ 0, not > 0).",
                           "El convenio del curso es escalón(0) = 1 (≥ 0, no > 0)."),
                 misconceptions=(Misconception("strict_inequality", lambda x: (x > 0).astype(float),
                                               Text("You used x > 0; the course's step uses x ≥ 0, so step(0) = 1.",
                                                    "Usaste x > 0; el escalón del curso usa x ≥ 0, así que escalón(0) = 1.")),)),
            Test("random", 1, random_arrays([(50,), (4, 6)]), (NUMERIC,)),
        ]),
    FunctionTask(
        "sign", {"en": "Sign function", "es": "Función signo"}, "sign", signature="sign(x)", plots=picture("sign"),
        reference=ref.sign,
        tests=[
            Test("values", 1, with_zeros([(7,), (2, 5)]), (NUMERIC,), public=True,
                 title=Text("values, zeros included", "valores, incluidos ceros")),
            Test("zero_is_plus_one", 1, [Case((np.array([0.0, -0.0, 2.0, -2.0]),),
                                              label=Text("x at 0 and ±2", "x en 0 y ±2"))], (NUMERIC,),
                 title=Text("convention at 0", "convenio en 0"),
                 misconceptions=(Misconception("np_sign", lambda x: np.sign(x),
                                               Text("np.sign(0) is 0, but the course's sign(0) is +1 (x ≥ 0 gives +1).",
                                                    "np.sign(0) es 0, pero el signo del curso da +1 en 0 (x ≥ 0 da +1).")),)),
            Test("random", 1, random_arrays([(50,), (3, 3, 3)]), (NUMERIC,)),
        ]),
    FunctionTask(
        "sigmoid", {"en": "Logistic sigmoid", "es": "Sigmoide logística"}, "sigmoid", signature="sigmoid(x)", plots=picture("sigmoid"),
        reference=ref.sigmoid, forbid=("torch.sigmoid", "torch.special.expit", "torch.nn.functional.sigmoid",
                                       "scipy.special.expit"),
        tests=[
            Test("values", 2, random_arrays([(6,), (3, 4)]), (EXACT,), public=True,
                 title=Text("values on random inputs", "valores con entradas aleatorias"),
                 misconceptions=(Misconception("minus_sign", lambda x: 1 / (1 + np.exp(x)),
                                               Text("You computed σ(−x): the exponent must be −x, σ(x) = 1/(1 + e^(−x)).",
                                                    "Calculaste σ(−x): el exponente debe ser −x, σ(x) = 1/(1 + e^(−x)).")),)),
            Test("large_inputs", 2, [Case((LARGE,), label=on_large())], (Finite(), EXACT, InRange(0, 1)),
                 title=Text("stability at ±1000", "estabilidad en ±1000"), hint=STABILITY_HINT),
            Test("scalar", 1, [Case((np.float64(0.5),), label=Text("a single number", "un solo número"))], (EXACT,),
                 title=Text("a scalar input", "una entrada escalar")),
        ]),
    FunctionTask(
        "sigmoid_prime", {"en": "Derivative of the sigmoid", "es": "Derivada de la sigmoide"}, "sigmoid_prime",
        signature="sigmoid_prime(x)", plots=picture("sigmoid_prime"), reference=ref.sigmoid_prime,
        tests=[
            Test("values", 2, random_arrays([(6,), (2, 5)]), (EXACT,), public=True,
                 title=Text("values on random inputs", "valores con entradas aleatorias"),
                 misconceptions=(
                     Misconception("s_times_one_minus_x", lambda x: ref.sigmoid(x) * (1 - ref.as_tensor(x)),
                                   Text("You wrote σ(x)(1 − x); the derivative is σ(x)(1 − σ(x)).",
                                        "Escribiste σ(x)(1 − x); la derivada es σ(x)(1 − σ(x)).")),
                     Misconception("x_times_one_minus_x", lambda x: x * (1 - x),
                                   Text("x(1 − x) applies the formula to x itself; apply it to σ(x): σ(x)(1 − σ(x)).",
                                        "x(1 − x) aplica la fórmula a x; aplícala a σ(x): σ(x)(1 − σ(x)).")),
                     Misconception("sigmoid_itself", ref.sigmoid,
                                   Text("This returns σ(x), not its derivative σ(x)(1 − σ(x)).",
                                        "Esto devuelve σ(x), no su derivada σ(x)(1 − σ(x))."))),
                 ),
            Test("large_inputs", 1, [Case((LARGE,), label=on_large())], (Finite(), EXACT),
                 title=Text("stability at ±1000", "estabilidad en ±1000"), hint=STABILITY_HINT),
        ]),
    FunctionTask(
        "tanh", {"en": "Hyperbolic tangent", "es": "Tangente hiperbólica"}, "tanh", signature="tanh(x)", plots=picture("tanh"),
        reference=ref.tanh, forbid=("numpy.tanh", "torch.tanh", "math.tanh", "torch.nn.functional.tanh",
                                    "scipy.special.tanh"),
        tests=[
            Test("values", 2, random_arrays([(6,), (4, 3)], -3, 3), (EXACT,), public=True,
                 title=Text("values on random inputs", "valores con entradas aleatorias"),
                 hint=Text("tanh(x) = (e^x − e^(−x)) / (e^x + e^(−x)), written with exponentials.",
                           "tanh(x) = (e^x − e^(−x)) / (e^x + e^(−x)), escrita con exponenciales.")),
            Test("large_inputs", 1, [Case((LARGE,), label=on_large())], (Finite(), EXACT, InRange(-1, 1)),
                 title=Text("stability at ±1000", "estabilidad en ±1000"), hint=STABILITY_HINT),
        ]),
    FunctionTask(
        "tanh_prime", {"en": "Derivative of tanh", "es": "Derivada de tanh"}, "tanh_prime",
        signature="tanh_prime(x)", plots=picture("tanh_prime"), reference=ref.tanh_prime,
        tests=[
            Test("values", 2, random_arrays([(6,), (3, 3)], -3, 3), (EXACT,), public=True,
                 title=Text("values on random inputs", "valores con entradas aleatorias"),
                 misconceptions=(
                     Misconception("not_squared", lambda x: 1 - np.tanh(x),
                                   Text("1 − tanh(x) is missing the square: tanh′(x) = 1 − tanh²(x).",
                                        "A 1 − tanh(x) le falta el cuadrado: tanh′(x) = 1 − tanh²(x).")),
                     Misconception("sigmoid_form", lambda x: np.tanh(x) * (1 - np.tanh(x)),
                                   Text("tanh(x)(1 − tanh(x)) is the sigmoid's pattern; for tanh it is 1 − tanh²(x).",
                                        "tanh(x)(1 − tanh(x)) es el patrón de la sigmoide; para tanh es 1 − tanh²(x).")))),
            Test("large_inputs", 1, [Case((LARGE,), label=on_large())], (Finite(), EXACT),
                 title=Text("stability at ±1000", "estabilidad en ±1000"), hint=STABILITY_HINT),
        ]),
    FunctionTask(
        "relu", {"en": "ReLU", "es": "ReLU"}, "relu", signature="relu(x)", plots=picture("relu"), reference=ref.relu,
        tests=[
            Test("values", 1, random_arrays([(8,), (3, 4)]), (EXACT,), public=True,
                 title=Text("values on random inputs", "valores con entradas aleatorias")),
            Test("zeros_and_shape", 1, with_zeros([(2, 3, 2)]), (Close(rtol=0, atol=0),),
                 title=Text("3-D input with zeros", "entrada 3-D con ceros"),
                 misconceptions=(Misconception("abs", np.abs, Text("max(0, x) keeps 0 for negatives; |x| flips them.",
                                                                    "max(0, x) da 0 para negativos; |x| los invierte.")),)),
        ]),
    FunctionTask(
        "relu_prime", {"en": "Derivative of ReLU", "es": "Derivada de ReLU"}, "relu_prime",
        signature="relu_prime(x)", plots=picture("relu_prime"),
        reference=lambda x: Either((ref.relu_prime(x, at_zero=0), ref.relu_prime(x, at_zero=1))),
        tests=[
            Test("values", 1, random_arrays([(8,), (2, 4)]), (NUMERIC,), public=True,
                 title=Text("values on random inputs", "valores con entradas aleatorias"),
                 misconceptions=(Misconception("relu_itself", ref.relu,
                                               Text("This returns ReLU(x), not its derivative (0 for x < 0, 1 for x > 0).",
                                                    "Esto devuelve ReLU(x), no su derivada (0 si x < 0, 1 si x > 0).")),)),
            Test("at_zero", 1, with_zeros([(9,)]), (NUMERIC,),
                 title=Text("inputs including 0 (0 or 1 accepted there)", "entradas con 0 (allí se acepta 0 o 1)"),
                 hint=Text("ReLU′(0) may be 0 or 1 by convention, but it must be one of them, and 1 for x > 0.",
                           "ReLU′(0) puede ser 0 o 1 por convenio, pero debe ser uno de ellos, y 1 para x > 0.")),
        ]),
    FunctionTask(
        "softmax", {"en": "Softmax", "es": "Softmax"}, "softmax", signature="softmax(x)", reference=ref.softmax,
        forbid=("torch.softmax", "torch.nn.functional.softmax", "scipy.special.softmax"),
        tests=[
            Test("vector", 2, random_arrays([(5,)]), (EXACT, SumsTo(1.0)), public=True,
                 title=Text("a vector", "un vector")),
            Test("batch_rows", 2, random_arrays([(4, 3), (2, 6)]), (EXACT, SumsTo(1.0, axis=-1)),
                 title=Text("a batch: each row normalised", "un lote: cada fila normalizada"),
                 misconceptions=(
                     Misconception("wrong_axis", lambda x: np.exp(x) / np.exp(x).sum(axis=0, keepdims=True),
                                   Text("You normalised each column (axis 0); softmax normalises along the last axis, "
                                        "each row of a batch.",
                                        "Normalizaste cada columna (eje 0); softmax normaliza a lo largo del último eje, "
                                        "cada fila del lote.")),
                     Misconception("global_sum", lambda x: np.exp(x) / np.exp(x).sum(),
                                   Text("You divided by the sum over the whole array; divide each row by its own sum "
                                        "(sum(axis=-1, keepdims=True)).",
                                        "Dividiste por la suma de todo el array; divide cada fila por su propia suma "
                                        "(sum(axis=-1, keepdims=True)).")))),
            Test("large_inputs", 2, [Case((np.array([[1000.0, 999.0, -1000.0], [-1000.0, -1000.0, -999.0]]),),
                                          label=on_large())], (Finite(), EXACT, SumsTo(1.0)),
                 title=Text("stability at ±1000", "estabilidad en ±1000"),
                 hint=Text("Subtract each row's maximum before np.exp: softmax(x) = softmax(x − max(x)).",
                           "Resta el máximo de cada fila antes de np.exp: softmax(x) = softmax(x − max(x)).")),
        ]),
]

EXERCISE = Exercise(
    id="activations",
    version="1",
    title=Text("Activation functions and their derivatives", "Funciones de activación y sus derivadas"),
    tasks=tuple(tasks),
    limits=Limits(cell_seconds=5, notebook_seconds=30, probe_seconds=5),
    requires=("numpy",),
)
