"""Logistic regression on small pictures, "cat" or "not a cat": an instructor's own assignment
brought into the grader, with its helper modules and its data set.

The notebook imports two helper modules that come with the assignment (`lr_utils`: the data set
and `sigmoid`; `test_cases`: the public examples), opens `datasets/*.h5` with h5py, and shows on
purpose what a shape mismatch looks like (a cell tagged `raises-exception`). All of that lies in
`files/`, which the notebook finds in its working folder. Every test is a call probe: the
student's functions are called on inputs built here, and their results compared with the
reference below, computed in the grading process.

Conventions graded: pictures (m, h, w, 3) flatten to columns (h*w*3, m) scaled to [0, 1]; w is a
column (n, 1), b a number; propagate returns ({"dw", "db"}, cost) with the mean cross-entropy;
optimize returns ({"w", "b"}, {"dw", "db"}, costs) with the cost recorded before iterations 0,
100, 200…; predict gives 1.0 where the probability is above 0.5, else 0.0, as a (1, m) array.
"""

from __future__ import annotations

import numpy as np

from grader.checks import Close
from grader.exercise import Case, Exercise, FunctionTask, Misconception, Test
from grader.i18n import Text

CLOSE = Close(rtol=1e-6, atol=1e-9)


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def flatten(images: np.ndarray) -> np.ndarray:
    return images.reshape(images.shape[0], -1).T / 255.0


def initialize_with_zeros(dim: int) -> tuple[np.ndarray, float]:
    return np.zeros((dim, 1)), 0.0


def propagate(w: np.ndarray, b: float, X: np.ndarray, Y: np.ndarray) -> tuple[dict[str, object], float]:
    m = X.shape[1]
    A = sigmoid(w.T @ X + b)
    cost = float(-np.mean(Y * np.log(A) + (1 - Y) * np.log(1 - A)))
    return {"dw": X @ (A - Y).T / m, "db": float(np.sum(A - Y) / m)}, cost


def optimize(w: np.ndarray, b: float, X: np.ndarray, Y: np.ndarray, num_iterations: int = 100,
             learning_rate: float = 0.009) -> tuple[dict[str, object], dict[str, object], list[float]]:
    w, b = np.array(w, dtype=float), float(b)
    costs, grads = [], {}
    for i in range(num_iterations):
        grads, cost = propagate(w, b, X, Y)
        w = w - learning_rate * grads["dw"]
        b = b - learning_rate * grads["db"]
        if i % 100 == 0:
            costs.append(cost)
    return {"w": w, "b": b}, grads, costs


def predict(w: np.ndarray, b: float, X: np.ndarray) -> np.ndarray:
    return (sigmoid(w.T @ X + b) > 0.5).astype(float)


# Known mistakes, as a student would make them.
def cost_summed(w: np.ndarray, b: float, X: np.ndarray, Y: np.ndarray) -> tuple[dict[str, object], float]:
    grads, cost = propagate(w, b, X, Y)
    return grads, cost * X.shape[1]


def flatten_rows(images: np.ndarray) -> np.ndarray:
    return images.reshape(-1, images.shape[0]) / 255.0


def flatten_unscaled(images: np.ndarray) -> np.ndarray:
    return images.reshape(images.shape[0], -1).T.astype(float)


def predict_at_least(w: np.ndarray, b: float, X: np.ndarray) -> np.ndarray:
    return (sigmoid(w.T @ X + b) >= 0.5).astype(float)


def problem(rng: np.random.Generator, n: int, m: int) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """Weights, bias, data and 0/1 labels of one random problem (both labels present)."""
    w = rng.normal(0, 0.5, size=(n, 1))
    X = rng.normal(0, 1.0, size=(n, m))
    Y = (rng.random((1, m)) < 0.5).astype(float)
    Y[0, :2] = [0.0, 1.0]
    return w, float(rng.normal(0, 0.3)), X, Y


# The public examples of files/test_cases.py, built again here: the grader never imports files/.
W = np.array([[0.5], [-1.5]])
B = 0.25
X = np.array([[1.0, -2.0, 0.5, 3.0], [0.2, 1.5, -1.0, 0.7]])
Y = np.array([[1, 0, 0, 1]])
PUBLIC = Text("the example of propagate_test_case()", "el ejemplo de propagate_test_case()")


def random_images(rng: np.random.Generator) -> list[Case]:
    return [Case((rng.integers(0, 256, size=(m, h, h, 3)).astype(np.uint8),),
                 label=Text(f"{m} random {h}×{h} RGB pictures", f"{m} imágenes RGB aleatorias de {h}×{h}"))
            for m, h in ((3, 4), (7, 12))]


def random_problems(rng: np.random.Generator) -> list[Case]:
    return [Case(problem(rng, n, m), label=Text(f"{n} features, {m} examples", f"{n} rasgos, {m} ejemplos"))
            for n, m in ((3, 5), (20, 40))]


def random_training(rng: np.random.Generator) -> list[Case]:
    return [Case(problem(rng, 4, 30) + (250, 0.1),
                 label=Text("4 features, 30 examples, 250 iterations", "4 rasgos, 30 ejemplos, 250 iteraciones"))]


def random_predictions(rng: np.random.Generator) -> list[Case]:
    found = []
    for n, m in ((3, 6), (10, 25)):
        w, b, X_, _ = problem(rng, n, m)
        found.append(Case((w, b, X_), label=Text(f"{n} features, {m} examples", f"{n} rasgos, {m} ejemplos")))
    return found


ON_THE_EDGE = Case((np.array([[1.0], [-1.0]]), 0.0, np.array([[0.5, 2.0, -1.0], [0.5, 1.0, -3.0]])),
                   label=Text("a probability of exactly 0.5 in the middle", "una probabilidad de exactamente 0,5 en medio"))

SUMMED = Misconception("cost_summed", cost_summed,
                       Text("The cost is the mean over the m examples: divide the sum by m.",
                            "El coste es la media sobre los m ejemplos: divide la suma entre m."))

EXERCISE = Exercise(
    id="logreg",
    version="1",
    title=Text("Logistic regression: cat or not?", "Regresión logística: ¿gato o no?"),
    requires=("numpy", "h5py"),
    tasks=(
        FunctionTask("flatten", {"en": "Flatten and scale the pictures", "es": "Aplanar y escalar las imágenes"},
                     "flatten", reference=flatten, signature="flatten(images)", tests=[
            Test("random", 2, random_images, (CLOSE,), public=True, misconceptions=(
                Misconception("rows", flatten_rows, Text("Each picture is a column: reshape to (m, -1), then transpose.",
                                                         "Cada imagen es una columna: reshape a (m, -1) y luego trasponer.")),
                Misconception("unscaled", flatten_unscaled, Text("Divide by 255 so that pixels lie in [0, 1].",
                                                                 "Divide entre 255 para que los píxeles queden en [0, 1].")),
            )),
        ]),
        FunctionTask("initialize", {"en": "Start from zeros", "es": "Empezar desde ceros"}, "initialize_with_zeros",
                     reference=initialize_with_zeros, signature="initialize_with_zeros(dim)", tests=[
            Test("sizes", 1, [Case((dim,), label=Text(f"dim = {dim}", f"dim = {dim}")) for dim in (1, 2, 432)],
                 (CLOSE,), public=True,
                 hint=Text("w is a column of zeros, shape (dim, 1); b is the number 0.0.",
                           "w es una columna de ceros, de forma (dim, 1); b es el número 0.0.")),
        ]),
        FunctionTask("propagate", {"en": "Forward and backward pass", "es": "Pasada hacia delante y hacia atrás"},
                     "propagate", reference=propagate, signature="propagate(w, b, X, Y)", tests=[
            Test("example", 2, [Case((W, B, X, Y), label=PUBLIC)], (CLOSE,), public=True, misconceptions=(SUMMED,)),
            Test("random", 3, random_problems, (CLOSE,), misconceptions=(SUMMED,)),
        ]),
        FunctionTask("optimize", {"en": "Gradient descent", "es": "Descenso por gradiente"}, "optimize",
                     reference=optimize, signature="optimize(w, b, X, Y, num_iterations, learning_rate)", tests=[
            Test("example", 2, [Case((W, B, X, Y, 120, 0.05), label=Text("the example of optimize_test_case()",
                                                                        "el ejemplo de optimize_test_case()"))],
                 (CLOSE,), public=True),
            Test("random", 3, random_training, (Close(rtol=1e-5, atol=1e-8),),
                 hint=Text("Update w and b with the gradients of the current step, and record the cost every 100 "
                           "iterations, starting with iteration 0.",
                           "Actualiza w y b con los gradientes del paso actual, y guarda el coste cada 100 "
                           "iteraciones, empezando por la iteración 0.")),
        ]),
        FunctionTask("predict", {"en": "Predict", "es": "Predecir"}, "predict", reference=predict,
                     signature="predict(w, b, X)", tests=[
            Test("random", 2, random_predictions, (CLOSE,), public=True),
            Test("edge", 1, [ON_THE_EDGE], (CLOSE,), misconceptions=(
                Misconception("at_least_half", predict_at_least,
                              Text("A probability of exactly 0.5 is not a cat: predict 1 only above 0.5.",
                                   "Una probabilidad de exactamente 0,5 no es un gato: predice 1 solo por encima de 0,5.")),
            )),
        ]),
    ),
)
