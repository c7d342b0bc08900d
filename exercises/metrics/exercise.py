"""Evaluation metrics for binary classification (course §8), numpy in and numpy out.

Conventions graded: y_true and y_pred are 1-D arrays of 0 and 1 (1 is the positive class);
confusion_matrix(y_true, y_pred) is [[TP, FN], [FP, TN]] (rows: real class, columns: predicted);
every rate whose denominator is 0 is 0.0. Probed with zero denominators and a single class.
"""

from __future__ import annotations

import numpy as np

import reference.metrics as ref
from grader.checks import Close
from grader.exercise import Case, Exercise, FunctionTask, Misconception, Test
from grader.i18n import Text
from grader.sandbox.limits import Limits

EXACT = Close(rtol=1e-9, atol=1e-12)
COUNTS = Close(rtol=0, atol=0)

# TP = 3, FN = 2, FP = 1, TN = 4: no two counts of a swapped layout coincide.
EXAMPLE_TRUE = np.array([1, 1, 1, 1, 1, 0, 0, 0, 0, 0])
EXAMPLE_PRED = np.array([1, 1, 1, 0, 0, 1, 0, 0, 0, 0])
EXAMPLE = [Case((EXAMPLE_TRUE, EXAMPLE_PRED),
                label=Text("10 labels with TP = 3, FN = 2, FP = 1, TN = 4",
                           "10 etiquetas con TP = 3, FN = 2, FP = 1, TN = 4"))]


def random_labels(lengths: tuple[int, ...] = (20, 57)) -> object:
    """Random label pairs in which both classes occur among the real and the predicted labels."""

    def make(rng: np.random.Generator) -> list[Case]:
        cases = []
        for n in lengths:
            while True:
                y_true = rng.integers(0, 2, size=n)
                y_pred = np.where(rng.random(n) < 0.7, y_true, 1 - y_true)
                if len(set(y_true)) == 2 and len(set(y_pred)) == 2:
                    break
            cases.append(Case((y_true, y_pred), label=Text(f"{n} random labels", f"{n} etiquetas aleatorias")))
        return cases

    return make


def case(y_true: list[int], y_pred: list[int], en: str, es: str) -> Case:
    return Case((np.array(y_true), np.array(y_pred)), label=Text(en, es))


SINGLE_CLASS = [
    case([1, 1, 1, 1, 1], [1, 1, 1, 1, 1], "only positives, all predicted right",
         "solo positivos, todos bien predichos"),
    case([0, 0, 0, 0], [0, 0, 0, 0], "only negatives, all predicted right", "solo negativos, todos bien predichos"),
    case([1, 1, 1, 1, 1, 1], [1, 0, 1, 1, 0, 1], "only positives, some predicted wrong",
         "solo positivos, algunos mal predichos"),
]
NO_REAL_POSITIVES = case([0, 0, 0, 0, 0], [0, 1, 0, 1, 0], "no real positives (y_true all 0)",
                         "ningún positivo real (y_true todo 0)")
NO_REAL_NEGATIVES = case([1, 1, 1, 1], [1, 0, 1, 0], "no real negatives (y_true all 1)",
                         "ningún negativo real (y_true todo 1)")
NO_PREDICTED_POSITIVES = case([1, 0, 1, 0, 0], [0, 0, 0, 0, 0], "no predicted positives (y_pred all 0)",
                              "ningún positivo predicho (y_pred todo 0)")
NO_PREDICTED_NEGATIVES = case([1, 0, 0, 1, 0], [1, 1, 1, 1, 1], "no predicted negatives (y_pred all 1)",
                              "ningún negativo predicho (y_pred todo 1)")


def counts(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[int, int, int, int]:
    t, p = np.asarray(y_true) == 1, np.asarray(y_pred) == 1
    return int(np.sum(t & p)), int(np.sum(t & ~p)), int(np.sum(~t & p)), int(np.sum(~t & ~p))


def ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 0.0


def rate(formula: object) -> object:
    """A misconception's computation from (tp, fn, fp, tn)."""
    return lambda y_true, y_pred: formula(*counts(y_true, y_pred))  # type: ignore[operator]


ZERO_DENOMINATOR_HINT = Text(
    "When the denominator of a rate is 0 (no real positives, say), the rate is 0.0 by this exercise's "
    "convention: test the denominator before dividing.",
    "Cuando el denominador de una tasa es 0 (ningún positivo real, por ejemplo), la tasa vale 0.0 por el "
    "convenio de este ejercicio: comprueba el denominador antes de dividir.")

SINGLE_CLASS_HINT = Text(
    "With labels of one class only, some counts are 0 and so are some denominators: the rate is then 0.0. If "
    "your rates reuse confusion_matrix, it must stay 2 × 2 even when a class never occurs.",
    "Con etiquetas de una sola clase algunos conteos valen 0 y también algunos denominadores: la tasa vale "
    "entonces 0.0. Si tus tasas reutilizan confusion_matrix, esta debe seguir siendo 2 × 2 aunque una clase "
    "no aparezca.")

ZERO_MISCONCEPTIONS = (
    Misconception("nan_on_zero", lambda y_true, y_pred: np.nan,
                  Text("0/0 gave nan. By this exercise's convention a rate with a zero denominator is 0.0: test the "
                       "denominator before dividing.",
                       "0/0 dio nan. Por el convenio de este ejercicio una tasa con denominador 0 vale 0.0: comprueba "
                       "el denominador antes de dividir.")),
    Misconception("one_on_zero", lambda y_true, y_pred: 1.0,
                  Text("Some libraries return 1.0 when the denominator is 0; this exercise's convention is 0.0.",
                       "Algunas bibliotecas devuelven 1.0 cuando el denominador es 0; el convenio de este ejercicio "
                       "es 0.0.")),
)


def rate_task(name: str, title: Text, formula: str, misconceptions: tuple[Misconception, ...],
              zero_case: Case) -> object:
    reference = getattr(ref, name)
    return FunctionTask(
        name, title, name, signature=f"{name}(y_true, y_pred)", reference=reference,
        tests=[
            Test("example", 1, EXAMPLE, (EXACT,), public=True,
                 title=Text(f"the example with TP = 3, FN = 2, FP = 1, TN = 4: {formula}",
                            f"el ejemplo con TP = 3, FN = 2, FP = 1, TN = 4: {formula}"),
                 misconceptions=misconceptions),
            Test("random", 1, random_labels(), (EXACT,),
                 title=Text("random labels", "etiquetas aleatorias"), misconceptions=misconceptions),
            Test("zero_denominator", 1, [zero_case], (EXACT,),
                 title=Text("a zero denominator gives 0.0", "un denominador 0 da 0.0"), hint=ZERO_DENOMINATOR_HINT,
                 misconceptions=ZERO_MISCONCEPTIONS + misconceptions),
            Test("single_class", 1, SINGLE_CLASS, (EXACT,),
                 title=Text("labels of a single class", "etiquetas de una sola clase"), hint=SINGLE_CLASS_HINT,
                 misconceptions=ZERO_MISCONCEPTIONS + misconceptions),
        ])


def named(id: str, what: Text, formula: object) -> Misconception:
    return Misconception(id, rate(formula), what)


CM_MISCONCEPTIONS = (
    Misconception("sklearn_layout", lambda t, p: (lambda tp, fn, fp, tn: np.array([[tn, fp], [fn, tp]]))(*counts(t, p)),
                  Text("That is scikit-learn's layout [[TN, FP], [FN, TP]] (class 0 first). This exercise puts the "
                       "positive class first: [[TP, FN], [FP, TN]].",
                       "Esa es la disposición de scikit-learn [[TN, FP], [FN, TP]] (la clase 0 primero). Este "
                       "ejercicio pone primero la clase positiva: [[TP, FN], [FP, TN]].")),
    Misconception("transposed", lambda t, p: (lambda tp, fn, fp, tn: np.array([[tp, fp], [fn, tn]]))(*counts(t, p)),
                  Text("Your matrix is transposed: rows are the real class and columns the predicted one, so the "
                       "first row is [TP, FN]. Check also the order of the arguments: (y_true, y_pred).",
                       "Tu matriz está traspuesta: las filas son la clase real y las columnas la predicha, así que "
                       "la primera fila es [TP, FN]. Revisa también el orden de los argumentos: (y_true, y_pred).")),
)

tasks = [
    FunctionTask(
        "confusion_matrix", {"en": "Confusion matrix", "es": "Matriz de confusión"}, "confusion_matrix",
        signature="confusion_matrix(y_true, y_pred)", reference=ref.confusion_matrix,
        tests=[
            Test("example", 1, EXAMPLE, (COUNTS,), public=True,
                 title=Text("the example: [[3, 2], [1, 4]]", "el ejemplo: [[3, 2], [1, 4]]"),
                 misconceptions=CM_MISCONCEPTIONS),
            Test("random", 2, random_labels((15, 40, 101)), (COUNTS,),
                 title=Text("random labels", "etiquetas aleatorias"),
                 misconceptions=CM_MISCONCEPTIONS),
            Test("single_class", 1, SINGLE_CLASS + [NO_REAL_POSITIVES], (COUNTS,),
                 title=Text("labels of a single class: still a 2 × 2 matrix",
                            "etiquetas de una sola clase: sigue siendo una matriz 2 × 2"),
                 hint=Text("The matrix is always 2 × 2, even when a class never occurs: count TP, FN, FP and TN "
                           "directly rather than from the classes present in the data.",
                           "La matriz es siempre 2 × 2, aunque una clase no aparezca: cuenta TP, FN, FP y TN "
                           "directamente en lugar de a partir de las clases presentes en los datos."),
                 misconceptions=CM_MISCONCEPTIONS),
        ]),
    FunctionTask(
        "accuracy", {"en": "Accuracy", "es": "Exactitud (accuracy)"}, "accuracy",
        signature="accuracy(y_true, y_pred)", reference=ref.accuracy,
        tests=[
            Test("example", 1, EXAMPLE, (EXACT,), public=True,
                 title=Text("the example: (TP + TN)/(P + N) = 0.7", "el ejemplo: (TP + TN)/(P + N) = 0.7"),
                 misconceptions=(named("count_correct", Text(
                     "You returned the number of right predictions; accuracy is that number divided by the number of "
                     "samples.", "Devolviste el número de aciertos; la exactitud es ese número dividido entre el "
                     "número de muestras."), lambda tp, fn, fp, tn: tp + tn),)),
            Test("random", 1, random_labels(), (EXACT,), title=Text("random labels", "etiquetas aleatorias")),
            Test("no_samples", 1, [case([], [], "empty arrays", "arrays vacíos")], (EXACT,),
                 title=Text("no samples at all: 0.0", "ninguna muestra: 0.0"), hint=ZERO_DENOMINATOR_HINT,
                 misconceptions=ZERO_MISCONCEPTIONS),
        ]),
    rate_task("recall", Text("Recall (sensitivity, TPR)", "Exhaustividad (sensibilidad, TPR)"), "TP/(TP + FN) = 0.6",
              (named("precision_instead", Text(
                  "TP/(TP + FP) is the precision; recall divides by the real positives, P = TP + FN. If you reused a "
                  "helper, check the order of y_true and y_pred.",
                  "TP/(TP + FP) es la precisión; la exhaustividad divide entre los positivos reales, P = TP + FN. Si "
                  "reutilizaste una función auxiliar, revisa el orden de y_true e y_pred."),
                  lambda tp, fn, fp, tn: ratio(tp, tp + fp)),),
              NO_REAL_POSITIVES),
    rate_task("specificity", Text("Specificity (TNR)", "Especificidad (TNR)"), "TN/(TN + FP) = 0.8",
              (named("npv_instead", Text(
                  "TN/(TN + FN) is the negative predictive value; specificity divides by the real negatives, "
                  "N = FP + TN.",
                  "TN/(TN + FN) es el valor predictivo negativo; la especificidad divide entre los negativos reales, "
                  "N = FP + TN."), lambda tp, fn, fp, tn: ratio(tn, tn + fn)),
               named("fpr_instead", Text(
                   "FP/(FP + TN) is the false-positive rate, 1 − specificity; specificity counts the true negatives: "
                   "TN/(FP + TN).",
                   "FP/(FP + TN) es la tasa de falsos positivos, 1 − especificidad; la especificidad cuenta los "
                   "verdaderos negativos: TN/(FP + TN)."), lambda tp, fn, fp, tn: ratio(fp, fp + tn))),
              NO_REAL_NEGATIVES),
    rate_task("precision", Text("Precision (PPV)", "Precisión (PPV)"), "TP/(TP + FP) = 0.75",
              (named("recall_instead", Text(
                  "TP/(TP + FN) is the recall; precision divides by the predicted positives, TP + FP. If you reused "
                  "a helper, check the order of y_true and y_pred.",
                  "TP/(TP + FN) es la exhaustividad; la precisión divide entre los positivos predichos, TP + FP. Si "
                  "reutilizaste una función auxiliar, revisa el orden de y_true e y_pred."),
                  lambda tp, fn, fp, tn: ratio(tp, tp + fn)),),
              NO_PREDICTED_POSITIVES),
    rate_task("npv", Text("Negative predictive value", "Valor predictivo negativo"), "TN/(TN + FN) = 0.6667",
              (named("specificity_instead", Text(
                  "TN/(TN + FP) is the specificity; the NPV divides by the predicted negatives, TN + FN.",
                  "TN/(TN + FP) es la especificidad; el VPN divide entre los negativos predichos, TN + FN."),
                  lambda tp, fn, fp, tn: ratio(tn, tn + fp)),),
              NO_PREDICTED_NEGATIVES),
]

EXERCISE = Exercise(
    id="metrics",
    version="1",
    title=Text("Evaluation metrics for binary classification", "Métricas de evaluación para clasificación binaria"),
    tasks=tuple(tasks),
    limits=Limits(cell_seconds=5, notebook_seconds=30, probe_seconds=5),
    requires=("numpy",),
)
