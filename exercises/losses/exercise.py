"""Loss functions and the L2 penalty (course §3), numpy in and numpy out.

Conventions graded: arguments (y_pred, y_true); mse, mae and binary_cross_entropy average over
every element; categorical_cross_entropy takes one-hot targets of shape (N, C) or (C,) and
averages −Σ_k y_k log ŷ_k over samples; l2_penalty(weights, lam) = lam · Σ over arrays of Σ w².
At probabilities of exactly 0 or 1 only a finite result is demanded (no clipping constant).
"""

from __future__ import annotations

import numpy as np

import reference.losses as ref
from grader.checks import Close, Finite
from grader.exercise import Case, Exercise, FunctionTask, Misconception, Test
from grader.i18n import Text
from grader.sandbox.limits import Limits

EXACT = Close(rtol=1e-7, atol=1e-10)
EDGE = Close(rtol=1e-6, atol=1e-6)  # probabilities at 0 or 1 where the loss is still defined

# CURRICULUM §3: MSE 23750, MAE 150 on this pair; CE −log 0.48 ≈ 0.7340 on the next one.
WORKED_PRED = np.array([[250.0, 300.0], [300.0, 400.0]])
WORKED_TRUE = np.array([[100.0, 150.0], [400.0, 200.0]])
CE_PRED = np.array([0.12, 0.48, 0.40])
CE_TRUE = np.array([0.0, 1.0, 0.0])


def label(en: str, es: str) -> Text:
    return Text(en, es)


def regression(shapes: list[tuple[int, ...]]) -> object:
    def make(rng: np.random.Generator) -> list[Case]:
        return [Case((rng.normal(0, 3, size=s), rng.normal(0, 3, size=s)),
                     label=label(f"y_pred and y_true of shape {s}", f"y_pred e y_true de forma {s}"))
                for s in shapes]

    return make


def binary(shapes: list[tuple[int, ...]]) -> object:
    def make(rng: np.random.Generator) -> list[Case]:
        return [Case((rng.uniform(0.02, 0.98, size=s), rng.integers(0, 2, size=s).astype(float)),
                     label=label(f"probabilities and 0/1 labels of shape {s}",
                                 f"probabilidades y etiquetas 0/1 de forma {s}"))
                for s in shapes]

    return make


def one_hot(rng: np.random.Generator, n: int, c: int) -> tuple[np.ndarray, np.ndarray]:
    z = rng.normal(0, 1.5, size=(n, c))
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    return p, np.eye(c)[rng.integers(0, c, size=n)]


def categorical(shapes: list[tuple[int, int]], single: bool = False) -> object:
    def make(rng: np.random.Generator) -> list[Case]:
        cases = []
        for n, c in shapes:
            p, y = one_hot(rng, n, c)
            if single:
                cases.append(Case((p[0], y[0]), label=label(f"one sample, shape ({c},)", f"una muestra, forma ({c},)")))
            else:
                cases.append(Case((p, y), label=label(f"a batch of shape ({n}, {c})", f"un lote de forma ({n}, {c})")))
        return cases

    return make


def weight_lists(rng: np.random.Generator) -> list[Case]:
    shapes = [[(3, 4), (4,), (4, 2), (2,)], [(5, 5)], [(2, 3, 2), (6,)]]
    return [Case(([rng.normal(0, 1, size=s) for s in group], float(rng.uniform(0.01, 1.0))),
                 label=label(f"{len(group)} arrays of shapes {group}", f"{len(group)} arrays de formas {group}"))
            for group in shapes]


def mean_hint(what: str) -> Text:
    return Text(f"{what} is a mean over every element: divide the sum by y_true.size (np.mean does it).",
                f"{what} es una media sobre todos los elementos: divide la suma entre y_true.size (np.mean lo hace).")


def _bce_terms(p: np.ndarray, y: np.ndarray) -> np.ndarray:
    return y * np.log(p) + (1 - y) * np.log(1 - p)


SQUARED_MISCONCEPTIONS = (
    Misconception("sum_not_mean", lambda p, y: np.sum((y - p) ** 2), mean_hint("MSE")),
    Misconception("root", lambda p, y: np.sqrt(np.mean((y - p) ** 2)),
                  Text("You took the square root (that is the RMSE); the MSE has no root.",
                       "Tomaste la raíz cuadrada (eso es el RMSE); el MSE no lleva raíz.")),
    Misconception("half", lambda p, y: 0.5 * np.mean((y - p) ** 2),
                  Text("You multiplied by ½: that is the ½e² of the perceptron's J, not the MSE (1/n) Σ (y − ŷ)².",
                       "Multiplicaste por ½: eso es el ½e² de la J del perceptrón, no el MSE (1/n) Σ (y − ŷ)².")),
    Misconception("per_column", lambda p, y: np.mean((y - p) ** 2, axis=0),
                  Text("You averaged along axis 0 only and returned one value per column; the loss is one number, "
                       "the mean over all elements.",
                       "Promediaste solo a lo largo del eje 0 y devolviste un valor por columna; la pérdida es un "
                       "único número, la media sobre todos los elementos.")),
)

MAE_MISCONCEPTIONS = (
    Misconception("signed", lambda p, y: np.mean(y - p),
                  Text("Positive and negative errors cancel: take the absolute value of each error before averaging.",
                       "Los errores positivos y negativos se cancelan: toma el valor absoluto de cada error antes "
                       "de promediar.")),
    Misconception("sum_not_mean", lambda p, y: np.sum(np.abs(y - p)), mean_hint("MAE")),
    Misconception("squared", lambda p, y: np.mean((y - p) ** 2),
                  Text("That is the MSE; the MAE averages |y − ŷ|, not (y − ŷ)².",
                       "Eso es el MSE; el MAE promedia |y − ŷ|, no (y − ŷ)².")),
)

BCE_MISCONCEPTIONS = (
    Misconception("positive_term_only", lambda p, y: -np.mean(y * np.log(p)),
                  Text("The term −(1 − y) log(1 − ŷ) is missing: samples with y = 0 must cost something too.",
                       "Falta el término −(1 − y) log(1 − ŷ): las muestras con y = 0 también deben costar algo.")),
    Misconception("no_minus", lambda p, y: np.mean(_bce_terms(p, y)),
                  Text("The loss must be ≥ 0: you forgot the minus sign in front of the logs.",
                       "La pérdida debe ser ≥ 0: olvidaste el signo menos delante de los logaritmos.")),
    Misconception("log10", lambda p, y: -np.mean(y * np.log10(p) + (1 - y) * np.log10(1 - p)),
                  Text("Use the natural logarithm (np.log), not log10.",
                       "Usa el logaritmo natural (np.log), no log10.")),
    Misconception("sum_not_mean", lambda p, y: -np.sum(_bce_terms(p, y)), mean_hint("The binary cross-entropy")),
)

CCE_MISCONCEPTIONS = (
    Misconception("mean_all_elements", lambda p, y: -np.mean(y * np.log(p)),
                  Text("You averaged over all N·C entries; sum over the classes of each sample, then average over "
                       "the N samples.",
                       "Promediaste sobre las N·C entradas; suma sobre las clases de cada muestra y luego promedia "
                       "sobre las N muestras.")),
    Misconception("sum_samples", lambda p, y: -np.sum(y * np.log(p)),
                  Text("You summed over the samples too; the loss is the mean over samples of −Σ_k y_k log ŷ_k.",
                       "Sumaste también sobre las muestras; la pérdida es la media sobre las muestras de "
                       "−Σ_k y_k log ŷ_k.")),
    Misconception("binary_form", lambda p, y: -np.mean(np.sum(_bce_terms(p, y), axis=-1)),
                  Text("That is the binary cross-entropy applied to every class; with one-hot targets the loss is "
                       "−Σ_k y_k log ŷ_k, with no (1 − y) log(1 − ŷ) term.",
                       "Eso es la entropía cruzada binaria aplicada a cada clase; con objetivos one-hot la pérdida "
                       "es −Σ_k y_k log ŷ_k, sin término (1 − y) log(1 − ŷ).")),
)

L2_MISCONCEPTIONS = (
    Misconception("norm_not_squared", lambda ws, lam: lam * sum(np.sqrt(np.sum(w ** 2)) for w in ws),
                  Text("You added the norms ‖w‖; the L2 penalty adds the squares, Σ w² (no root).",
                       "Sumaste las normas ‖w‖; la penalización L2 suma los cuadrados, Σ w² (sin raíz).")),
    Misconception("half", lambda ws, lam: 0.5 * lam * sum(np.sum(w ** 2) for w in ws),
                  Text("No factor ½ here: the penalty is lam · Σ w².",
                       "Aquí no hay factor ½: la penalización es lam · Σ w².")),
    Misconception("mean", lambda ws, lam: lam * sum(np.mean(w ** 2) for w in ws),
                  Text("Add the squares (np.sum), do not average them (np.mean).",
                       "Suma los cuadrados (np.sum), no los promedies (np.mean).")),
    Misconception("first_array_only", lambda ws, lam: lam * np.sum(ws[0] ** 2),
                  Text("Only the first array counted: add Σ w² over every array of the list.",
                       "Solo contó el primer array: suma Σ w² sobre todos los arrays de la lista.")),
    Misconception("no_lam", lambda ws, lam: sum(np.sum(w ** 2) for w in ws),
                  Text("Multiply the sum of squares by lam.", "Multiplica la suma de cuadrados por lam.")),
)

tasks = [
    FunctionTask(
        "mse", {"en": "Mean squared error", "es": "Error cuadrático medio"}, "mse", signature="mse(y_pred, y_true)",
        reference=ref.mse,
        tests=[
            Test("worked_example", 1, [Case((WORKED_PRED, WORKED_TRUE), label=label("the course's worked example",
                                                                                  "el ejemplo resuelto del curso"))],
                 (EXACT,), public=True, title=Text("worked example: MSE = 23750", "ejemplo resuelto: MSE = 23750"),
                 misconceptions=SQUARED_MISCONCEPTIONS),
            Test("random", 2, regression([(9,), (4, 3)]), (EXACT,), public=True,
                 title=Text("random vectors and matrices", "vectores y matrices aleatorios"),
                 misconceptions=SQUARED_MISCONCEPTIONS),
            Test("matrix_is_one_number", 1, regression([(5, 4), (2, 3, 2)]), (EXACT,),
                 title=Text("2-D and 3-D inputs give one number", "entradas 2-D y 3-D dan un número"),
                 misconceptions=SQUARED_MISCONCEPTIONS),
        ]),
    FunctionTask(
        "mae", {"en": "Mean absolute error", "es": "Error absoluto medio"}, "mae", signature="mae(y_pred, y_true)",
        reference=ref.mae,
        tests=[
            Test("worked_example", 1, [Case((WORKED_PRED, WORKED_TRUE), label=label("the course's worked example",
                                                                                  "el ejemplo resuelto del curso"))],
                 (EXACT,), public=True, title=Text("worked example: MAE = 150", "ejemplo resuelto: MAE = 150"),
                 misconceptions=MAE_MISCONCEPTIONS),
            Test("random", 2, regression([(9,), (3, 5), (2, 2, 3)]), (EXACT,),
                 title=Text("random inputs of several shapes", "entradas aleatorias de varias formas"),
                 misconceptions=MAE_MISCONCEPTIONS),
        ]),
    FunctionTask(
        "binary_cross_entropy", {"en": "Binary cross-entropy", "es": "Entropía cruzada binaria"},
        "binary_cross_entropy", signature="binary_cross_entropy(y_pred, y_true)", reference=ref.binary_cross_entropy,
        tests=[
            Test("values", 2, binary([(8,)]), (EXACT,), public=True,
                 title=Text("probabilities in (0, 1)", "probabilidades en (0, 1)"),
                 misconceptions=BCE_MISCONCEPTIONS),
            Test("matrix", 1, binary([(4, 3), (2, 2, 2)]), (EXACT,),
                 title=Text("2-D and 3-D inputs: mean over all elements",
                            "entradas 2-D y 3-D: media sobre todos los elementos"),
                 misconceptions=BCE_MISCONCEPTIONS),
            Test("near_certain", 1, [Case((np.array([1e-6, 1 - 1e-6, 0.5, 1e-6, 1 - 1e-6]),
                                           np.array([0.0, 1.0, 1.0, 1.0, 0.0])),
                                          label=label("probabilities 10⁻⁶ and 1 − 10⁻⁶",
                                                      "probabilidades 10⁻⁶ y 1 − 10⁻⁶"))], (EXACT,),
                 title=Text("confident predictions are used as given", "las predicciones seguras se usan tal cual"),
                 hint=Text("Probabilities such as 10⁻⁶ are valid inputs and must not be changed: if you clip to "
                           "avoid log(0), clip only at the very ends (for example to [1e-12, 1 − 1e-12]).",
                           "Probabilidades como 10⁻⁶ son entradas válidas y no deben cambiarse: si recortas para "
                           "evitar log(0), recorta solo en los extremos (por ejemplo a [1e-12, 1 − 1e-12]).")),
            Test("exact_zero_one", 2, [
                Case((np.array([0.0, 1.0, 1.0, 0.0]), np.array([0.0, 1.0, 1.0, 0.0])),
                     label=label("perfect predictions of exactly 0 and 1",
                                 "predicciones perfectas de exactamente 0 y 1")),
                Case((np.array([0.0, 1.0, 0.3]), np.array([1.0, 0.0, 1.0])),
                     label=label("wrong predictions of exactly 0 and 1",
                                 "predicciones erróneas de exactamente 0 y 1")),
            ], (Finite(),),
                title=Text("finite at probabilities of exactly 0 and 1",
                           "finita con probabilidades de exactamente 0 y 1"),
                hint=Text("log(0) is −inf, and 0 · log(0) is nan. Clip ŷ to [ε, 1 − ε] with a tiny ε (e.g. 1e-12) "
                          "before taking logs.",
                          "log(0) es −inf y 0 · log(0) es nan. Recorta ŷ a [ε, 1 − ε] con un ε diminuto "
                          "(p. ej. 1e-12) antes de tomar logaritmos.")),
        ]),
    FunctionTask(
        "categorical_cross_entropy", {"en": "Categorical cross-entropy", "es": "Entropía cruzada categórica"},
        "categorical_cross_entropy", signature="categorical_cross_entropy(y_pred, y_true)",
        reference=ref.categorical_cross_entropy,
        tests=[
            Test("worked_example", 1, [Case((CE_PRED, CE_TRUE), label=label("the course's worked example",
                                                                          "el ejemplo resuelto del curso"))],
                 (EXACT,), public=True, title=Text("worked example: −log 0.48 ≈ 0.7340",
                                                    "ejemplo resuelto: −log 0.48 ≈ 0.7340"),
                 misconceptions=CCE_MISCONCEPTIONS),
            Test("batch", 2, categorical([(6, 3)]), (EXACT,), public=True,
                 title=Text("a batch (N, C): mean over samples", "un lote (N, C): media sobre las muestras"),
                 misconceptions=CCE_MISCONCEPTIONS),
            Test("more_batches", 1, categorical([(4, 5), (10, 2)]), (EXACT,),
                 title=Text("other batch sizes and class counts", "otros tamaños de lote y números de clases"),
                 misconceptions=CCE_MISCONCEPTIONS),
            Test("single_sample", 1, categorical([(1, 4), (1, 7)], single=True), (EXACT,),
                 title=Text("one sample of shape (C,)", "una muestra de forma (C,)"),
                 hint=Text("A single sample arrives with shape (C,): sum over the last axis (axis=-1), not axis=1.",
                           "Una sola muestra llega con forma (C,): suma sobre el último eje (axis=-1), no axis=1.")),
            Test("zero_on_other_classes", 1, [
                Case((np.array([[0.0, 1.0, 0.0], [0.2, 0.8, 0.0]]), np.array([[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]])),
                     label=label("probabilities of exactly 0 on classes that are not the true one",
                                 "probabilidades de exactamente 0 en clases que no son la verdadera")),
            ], (Finite(), EDGE),
                title=Text("zeros on the other classes", "ceros en las otras clases"),
                hint=Text("0 · log(0) is nan in numpy, yet a class with y_k = 0 contributes nothing. Clip ŷ below "
                          "with a tiny ε (e.g. 1e-12) before the log.",
                          "0 · log(0) es nan en numpy, pero una clase con y_k = 0 no aporta nada. Recorta ŷ por "
                          "abajo con un ε diminuto (p. ej. 1e-12) antes del logaritmo.")),
            Test("zero_on_true_class", 1, [
                Case((np.array([[0.0, 0.5, 0.5], [0.1, 0.9, 0.0]]), np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])),
                     label=label("probability exactly 0 on the true class",
                                 "probabilidad exactamente 0 en la clase verdadera")),
            ], (Finite(),),
                title=Text("finite when the true class has probability 0",
                           "finita cuando la clase verdadera tiene probabilidad 0"),
                hint=Text("−log(0) is inf: clip ŷ below with a tiny ε (e.g. 1e-12) so the loss stays finite.",
                          "−log(0) es inf: recorta ŷ por abajo con un ε diminuto (p. ej. 1e-12) para que la "
                          "pérdida sea finita.")),
        ]),
    FunctionTask(
        "l2_penalty", {"en": "L2 penalty", "es": "Penalización L2"}, "l2_penalty", signature="l2_penalty(weights, lam)",
        reference=ref.l2_penalty,
        tests=[
            Test("small_example", 1, [Case(([np.array([1.0, 2.0]), np.array([[3.0]])], 0.1),
                                           label=label("[array([1, 2]), array([[3]])] with lam = 0.1",
                                                       "[array([1, 2]), array([[3]])] con lam = 0.1"))],
                 (EXACT,), public=True, title=Text("a small example: 0.1 · (1 + 4 + 9) = 1.4",
                                                   "un ejemplo pequeño: 0.1 · (1 + 4 + 9) = 1.4"),
                 misconceptions=L2_MISCONCEPTIONS),
            Test("several_arrays", 2, weight_lists, (EXACT,),
                 title=Text("lists of arrays of several shapes", "listas de arrays de varias formas"),
                 misconceptions=L2_MISCONCEPTIONS),
            Test("edge_cases", 1, [
                Case(([], 0.5), label=label("an empty list", "una lista vacía")),
                Case(([np.array([[1.0, -2.0], [0.5, 0.0]])], 0.0), label=label("lam = 0", "lam = 0")),
            ], (EXACT,), title=Text("an empty list and lam = 0", "una lista vacía y lam = 0"),
                hint=Text("With no arrays, or with lam = 0, the penalty is 0.0.",
                          "Sin arrays, o con lam = 0, la penalización es 0.0.")),
        ]),
]

EXERCISE = Exercise(
    id="losses",
    version="1",
    title=Text("Loss functions and the L2 penalty", "Funciones de pérdida y penalización L2"),
    tasks=tuple(tasks),
    limits=Limits(cell_seconds=5, notebook_seconds=30, probe_seconds=5),
    requires=("numpy",),
)
