"""Regularisation and normalisation (course §7): dropout, batch norm, z-score, min–max, early stopping.

Dropout is graded on its statistics, measured by scripts in the student's process on large
arrays with a numpy Generator passed in: the fraction kept, the exact 1/keep_prob scaling of the
kept entries, the preserved mean, fresh masks on every call, identity at evaluation. No
particular random stream is expected. The other functions are compared with the references.

Conventions graded: keep_prob is the probability of KEEPING a unit; statistics over axis 0 with
the population variance (divide by N); eps inside the square root; a constant column maps to 0;
early stopping counts epochs from 0 and only a strictly lower loss is an improvement.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import reference.normalization as norm
import reference.regularization as reg
from grader.checks import Close, Finite
from grader.exercise import Case, Exercise, FunctionTask, Misconception, Test
from grader.i18n import Text
from grader.sandbox.limits import Limits

EXACT = Close(rtol=1e-7, atol=1e-9, dtype="float")
EPOCH = Close(rtol=0, atol=0, dtype="int")

# Runs in the student's process. x has no zeros, so a zero in the output is a dropped entry.
DROPOUT = '''
def run(ns, shape, keep_prob, seed, training):
    x = np.random.default_rng(seed + 1).uniform(0.5, 1.5, size=shape)
    x = x * np.where(np.random.default_rng(seed + 2).random(shape) < 0.5, -1.0, 1.0)
    out = np.asarray(ns["dropout"](x.copy(), keep_prob, np.random.default_rng(seed), training), dtype=float)
    if out.shape != x.shape:
        raise ValueError(f"dropout returned shape {out.shape} for an input of shape {x.shape}")
    return x, out


def probe(ns, shape, keep_prob, seed, training):
    x, out = run(ns, shape, keep_prob, seed, training)
    return {MEASURE}
'''
MEASURES = {
    "unchanged": '"fraction_unchanged": float(np.mean(out == x))',
    "kept": '"fraction_kept": float(np.mean(out != 0))',
    "ratio": '"smallest_ratio": float(np.min(out[out != 0] / x[out != 0], initial=np.inf)), '
             '"largest_ratio": float(np.max(out[out != 0] / x[out != 0], initial=-np.inf))',
}
FRESH = '''
def probe(ns, shape, keep_prob, seed, training):
    rng = np.random.default_rng(seed)
    x = np.ones(shape)
    first = np.asarray(ns["dropout"](x.copy(), keep_prob, rng, training), dtype=float)
    second = np.asarray(ns["dropout"](x.copy(), keep_prob, rng, training), dtype=float)
    return {"mean_over_input_mean": float(np.mean(first)),
            "same_decision_fraction": float(np.mean((first != 0) == (second != 0)))}
'''


def dropout_script(measure: str) -> str:
    return DROPOUT.replace("MEASURE", MEASURES[measure])


def dropout_cases(settings: Sequence[tuple[tuple[int, ...], float, bool]]) -> Callable[[np.random.Generator], list[Case]]:
    def make(rng: np.random.Generator) -> list[Case]:
        cases = []
        for shape, keep, training in settings:
            mode = "training" if training else "evaluation (training=False)"
            modo = "entrenamiento" if training else "evaluación (training=False)"
            cases.append(Case((shape, keep, int(rng.integers(2**31)), training),
                              label=Text(f"x of shape {shape}, keep_prob = {keep:g}, {mode}",
                                         f"x de forma {shape}, keep_prob = {keep:g}, {modo}")))
        return cases

    return make


def stat(key: str, value: Callable[[float], float]) -> Callable[..., dict[str, float]]:
    return lambda shape, keep, seed, training: {key: value(keep)}


def ratios(value: Callable[[float], float]) -> Callable[..., dict[str, float]]:
    return lambda shape, keep, seed, training: {"smallest_ratio": value(keep), "largest_ratio": value(keep)}


DROP_AS_KEEP = Text(
    "You used keep_prob as the probability of DROPPING a unit. Here keep_prob is the probability of keeping it: "
    "a unit survives when a uniform draw is < keep_prob.",
    "Usaste keep_prob como probabilidad de DESCARTAR una unidad. Aquí keep_prob es la probabilidad de conservarla: "
    "una unidad sobrevive cuando un número uniforme es < keep_prob.")
NO_SCALING = Text(
    "Inverted dropout divides the kept values by keep_prob during training, so that the expected output equals "
    "the input and nothing has to be rescaled at evaluation.",
    "El dropout invertido divide los valores conservados por keep_prob durante el entrenamiento, para que la "
    "salida esperada sea igual a la entrada y no haya que reescalar nada en la evaluación.")
TIMES_KEEP = Text(
    "You multiplied the kept values by keep_prob; inverted dropout DIVIDES them by keep_prob.",
    "Multiplicaste los valores conservados por keep_prob; el dropout invertido los DIVIDE por keep_prob.")

dropout_task = FunctionTask(
    "dropout", Text("Inverted dropout", "Dropout invertido"), "dropout", signature="dropout(x, keep_prob, rng, training)",
    tests=[
        Test("eval_identity", 1, dropout_cases([((50, 40), 0.8, False), ((3, 7), 0.3, False)]),
             (Close(rtol=0, atol=0),), public=True, probe="script", script=dropout_script("unchanged"),
             expected=stat("fraction_unchanged", lambda keep: 1.0),
             title=Text("identity at evaluation", "identidad en evaluación"),
             hint=Text("With training=False, dropout must return x unchanged: no unit dropped, nothing rescaled.",
                       "Con training=False, dropout debe devolver x sin cambios: ninguna unidad descartada y nada "
                       "reescalado."),
             misconceptions=(Misconception("drops_at_eval", stat("fraction_unchanged", lambda keep: 0.5), Text(
                 "Your dropout still changes x when training=False. At evaluation every unit is used and, with "
                 "inverted dropout, nothing is rescaled: return x as it is.",
                 "Tu dropout sigue cambiando x con training=False. En evaluación se usan todas las unidades y, con "
                 "dropout invertido, no se reescala nada: devuelve x tal cual."), atol=0.5),)),
        Test("fraction_kept", 1, dropout_cases([((400, 500), 0.8, True), ((1000, 200), 0.3, True)]),
             (Close(rtol=0, atol=0.01),), public=True, probe="script", script=dropout_script("kept"),
             expected=stat("fraction_kept", lambda keep: keep),
             title=Text("fraction of units kept ≈ keep_prob", "fracción de unidades conservadas ≈ keep_prob"),
             hint=Text("Each entry must be kept independently with probability keep_prob (measured on 200 000 "
                       "entries, within ±0.01) and dropped entries set to exactly 0.",
                       "Cada entrada debe conservarse de forma independiente con probabilidad keep_prob (medido "
                       "sobre 200 000 entradas, con margen ±0.01) y las descartadas valer exactamente 0."),
             misconceptions=(Misconception("drop_prob_as_keep", stat("fraction_kept", lambda keep: 1 - keep),
                                           DROP_AS_KEEP, atol=0.02),)),
        Test("scaling", 2, dropout_cases([((200, 100), 0.8, True), ((100, 300), 0.25, True)]),
             (Close(rtol=1e-9, atol=0),), public=True, probe="script", script=dropout_script("ratio"),
             expected=ratios(lambda keep: 1 / keep),
             title=Text("kept values scaled by exactly 1/keep_prob", "valores conservados escalados por 1/keep_prob"),
             hint=NO_SCALING,
             misconceptions=(Misconception("no_inverted_scaling", ratios(lambda keep: 1.0), NO_SCALING),
                             Misconception("times_keep_prob", ratios(lambda keep: keep), TIMES_KEEP),
                             Misconception("drop_prob_as_keep", ratios(lambda keep: 1 / (1 - keep)), DROP_AS_KEEP))),
        Test("mean_and_fresh_masks", 1, dropout_cases([((500, 400), 0.7, True)]),
             (Close(rtol=0, atol=0.02),), probe="script", script=FRESH,
             expected=lambda shape, keep, seed, training: {"mean_over_input_mean": 1.0,
                                                           "same_decision_fraction": keep**2 + (1 - keep) ** 2},
             title=Text("expectation preserved, a new mask at every call",
                        "esperanza conservada, una máscara nueva en cada llamada"),
             hint=Text("The mean of the output must equal the mean of the input (inverted scaling), and two calls "
                       "with the same rng must draw independent masks: use the rng you are given, never reseed it.",
                       "La media de la salida debe ser la de la entrada (escalado invertido), y dos llamadas con el "
                       "mismo rng deben sortear máscaras independientes: usa el rng que recibes, sin resembrarlo."),
             misconceptions=(
                 Misconception("same_mask", lambda shape, keep, seed, training: {
                     "mean_over_input_mean": 1.0, "same_decision_fraction": 1.0}, Text(
                     "Two calls gave the same mask: your dropout reseeds its generator. Draw from the rng argument, "
                     "which moves on at every call, so each training step drops different units.",
                     "Dos llamadas dieron la misma máscara: tu dropout vuelve a sembrar su generador. Sortea con el "
                     "argumento rng, que avanza en cada llamada, para que cada paso descarte unidades distintas."),
                     atol=0.02),
                 Misconception("no_inverted_scaling", lambda shape, keep, seed, training: {
                     "mean_over_input_mean": keep, "same_decision_fraction": keep**2 + (1 - keep) ** 2},
                     NO_SCALING, atol=0.02))),
        Test("keep_everything", 1, dropout_cases([((20, 30), 1.0, True)]), (Close(rtol=0, atol=0),),
             probe="script", script=dropout_script("unchanged"), expected=stat("fraction_unchanged", lambda keep: 1.0),
             title=Text("keep_prob = 1 keeps x as it is", "keep_prob = 1 deja x tal cual"),
             hint=Text("With keep_prob = 1 every unit is kept and divided by 1: the output is x.",
                       "Con keep_prob = 1 se conservan todas las unidades y se dividen por 1: la salida es x.")),
    ])


# Batch norm, z-score, min–max: wrong versions students write, in numpy.
def bn_variant(ddof: int = 0, axis: int = 0, eps_outside: bool = False) -> Callable[..., Any]:
    def f(H: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
        keep = axis != 0
        mu, var = H.mean(axis=axis, keepdims=keep), H.var(axis=axis, ddof=ddof, keepdims=keep)
        scale = np.sqrt(var) + eps if eps_outside else np.sqrt(var + eps)
        return gamma * (H - mu) / scale + beta

    return f


def columns(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    """Columns of different centres and spreads, one of them small (spread 0.01)."""
    centres = rng.uniform(-5, 5, size=d)
    spreads = np.r_[0.01, rng.uniform(0.5, 4, size=d - 1)]
    return centres + spreads * rng.standard_normal((n, d))


def bn_cases(sizes: Sequence[tuple[int, int]], eps: float) -> Callable[[np.random.Generator], list[Case]]:
    def make(rng: np.random.Generator) -> list[Case]:
        return [Case((columns(rng, n, d), rng.uniform(0.5, 2, size=d), rng.uniform(-1, 1, size=d), eps),
                     label=Text(f"H of shape {(n, d)}, eps = {eps:g}", f"H de forma {(n, d)}, eps = {eps:g}"))
                for n, d in sizes]

    return make


SAMPLE_VAR = Text("You used the sample variance (ddof=1, dividing by N − 1). Use the population variance: "
                  "the mean of (H − μ)², dividing by N (np.var's default, ddof=0).",
                  "Usaste la varianza muestral (ddof=1, dividiendo por N − 1). Usa la varianza poblacional: la media "
                  "de (H − μ)², dividiendo por N (el valor por defecto de np.var, ddof=0).")
WRONG_AXIS = Text("Statistics are per feature: one mean and one variance per column, over the samples (axis 0).",
                  "Las estadísticas son por característica: una media y una varianza por columna, sobre las "
                  "muestras (eje 0).")
BN_WRONG = (Misconception("sample_variance", bn_variant(ddof=1), SAMPLE_VAR),
            Misconception("wrong_axis", bn_variant(axis=1), WRONG_AXIS),
            Misconception("eps_outside_sqrt", bn_variant(eps_outside=True), Text(
                "eps goes inside the square root: (H − μ)/√(var + eps), not (H − μ)/(√var + eps).",
                "eps va dentro de la raíz: (H − μ)/√(var + eps), no (H − μ)/(√var + eps).")))

batchnorm_task = FunctionTask(
    "batchnorm", Text("Batch normalisation (training mode)", "Normalización por lotes (modo entrenamiento)"),
    "batchnorm_forward", signature="batchnorm_forward(H, gamma, beta, eps)", reference=norm.batchnorm_forward,
    tests=[
        Test("values", 2, bn_cases([(8, 3), (16, 5)], 1e-5), (EXACT,), public=True, misconceptions=BN_WRONG,
             title=Text("a batch of features with different scales", "un lote de características de escalas distintas")),
        Test("small_batch", 1, bn_cases([(2, 3), (3, 4)], 1e-5), (EXACT,), misconceptions=BN_WRONG,
             title=Text("batches of 2 and 3 samples", "lotes de 2 y 3 muestras")),
        Test("large_eps", 1, bn_cases([(6, 3)], 0.5), (EXACT,), misconceptions=BN_WRONG,
             title=Text("a large eps", "un eps grande")),
        Test("square_batch", 1, bn_cases([(4, 4)], 1e-5), (EXACT,),
             misconceptions=BN_WRONG + (Misconception("wrong_axis", lambda H, g, b, e: g * (H - H.mean(axis=1)) / np.sqrt(
                 H.var(axis=1) + e) + b, WRONG_AXIS),),
             title=Text("as many samples as features", "tantas muestras como características")),
    ])


def scale_variant(kind: str, ddof: int = 0, axis: int | None = 0) -> Callable[[np.ndarray], np.ndarray]:
    def f(X: np.ndarray) -> np.ndarray:
        keep = axis != 0
        if kind == "zscore":
            return (X - X.mean(axis=axis, keepdims=keep)) / X.std(axis=axis, ddof=ddof, keepdims=keep)
        low, high = X.min(axis=axis, keepdims=keep), X.max(axis=axis, keepdims=keep)
        return (X - low) / (high - low)

    return f


def scale_cases(sizes: Sequence[tuple[int, int]]) -> Callable[[np.random.Generator], list[Case]]:
    def make(rng: np.random.Generator) -> list[Case]:
        return [Case((columns(rng, n, d),), label=Text(f"X of shape {(n, d)}", f"X de forma {(n, d)}"))
                for n, d in sizes]

    return make


def constant_cases(rounding: bool) -> Callable[[np.random.Generator], list[Case]]:
    def make(rng: np.random.Generator) -> list[Case]:
        if rounding:
            X = np.column_stack([np.full(3, 0.1), rng.uniform(-2, 2, size=3), np.full(3, 0.7)])
            return [Case((X,), label=Text("a column of three 0.1s, whose mean rounds to 0.10000000000000002",
                                          "una columna de tres 0.1, cuya media se redondea a 0.10000000000000002"))]
        X = np.column_stack([rng.uniform(-3, 3, size=5), np.full(5, 3.0), rng.uniform(0, 10, size=5), np.zeros(5)])
        return [Case((X,), label=Text("X with constant columns (3.0 and 0.0)", "X con columnas constantes (3.0 y 0.0)")),
                Case((rng.uniform(-3, 3, size=(1, 4)),), label=Text("a single row", "una sola fila"))]

    return make


CONSTANT_HINT = Text(
    "A constant column (all its values equal) must map to 0, not to nan or ±inf: test whether the column's maximum "
    "equals its minimum, rather than whether its standard deviation is exactly 0 — the rounding of the mean can "
    "leave a tiny non-zero deviation.",
    "Una columna constante (todos sus valores iguales) debe dar 0, no nan ni ±inf: comprueba si el máximo de la "
    "columna es igual a su mínimo, en vez de si su desviación típica es exactamente 0 — el redondeo de la media "
    "puede dejar una desviación diminuta distinta de cero.")
GLOBAL = Text("You used the statistics of the whole array; normalise each column (feature) with its own, over axis 0.",
              "Usaste las estadísticas de todo el array; normaliza cada columna (característica) con las suyas, "
              "sobre el eje 0.")
ZSCORE_WRONG = (Misconception("sample_std", scale_variant("zscore", ddof=1), SAMPLE_VAR),
                Misconception("wrong_axis", scale_variant("zscore", axis=1), WRONG_AXIS),
                Misconception("global_stats", scale_variant("zscore", axis=None), GLOBAL))
MINMAX_WRONG = (Misconception("wrong_axis", scale_variant("minmax", axis=1), WRONG_AXIS),
                Misconception("global_stats", scale_variant("minmax", axis=None), GLOBAL))

zscore_task = FunctionTask(
    "zscore", Text("z-score normalisation", "Normalización z-score"), "zscore", signature="zscore(X)",
    reference=norm.zscore, tests=[
        Test("values", 1, scale_cases([(6, 3), (10, 4)]), (EXACT,), public=True, misconceptions=ZSCORE_WRONG,
             title=Text("columns of different scales", "columnas de escalas distintas")),
        Test("constant_column", 1, constant_cases(False), (Finite(), EXACT), hint=CONSTANT_HINT,
             title=Text("constant columns and a single row", "columnas constantes y una sola fila")),
        Test("constant_rounding", 1, constant_cases(True), (Finite(), EXACT), hint=CONSTANT_HINT,
             title=Text("a constant column whose mean is rounded", "una columna constante con la media redondeada")),
    ])

minmax_task = FunctionTask(
    "minmax", Text("Min–max normalisation", "Normalización min–max"), "minmax", signature="minmax(X)",
    reference=norm.minmax, tests=[
        Test("values", 1, scale_cases([(6, 3), (9, 2)]), (EXACT,), public=True, misconceptions=MINMAX_WRONG,
             title=Text("columns of different scales", "columnas de escalas distintas")),
        Test("constant_column", 1, constant_cases(False), (Finite(), EXACT), hint=CONSTANT_HINT,
             title=Text("constant columns and a single row", "columnas constantes y una sola fila")),
    ])


def stopping_variant(strict: bool = True, late: bool = False, shift: int = 0, best: bool = False,
                     never: int = -1) -> Callable[..., int]:
    """Early stopping as students get it wrong: ≤ for improvement, > patience, 1-based, best epoch, len."""

    def f(val_losses: Any, patience: int) -> int:
        losses = [float(v) for v in np.ravel(val_losses)]
        low, best_epoch = np.inf, 0
        for epoch, loss in enumerate(losses):
            if loss < low or (not strict and loss <= low):
                low, best_epoch = loss, epoch
            if (epoch - best_epoch > patience) if late else (epoch - best_epoch >= patience):
                return best_epoch if best else epoch + shift
        return best_epoch if best else len(losses) + never + shift

    return f


STOP_WRONG = (
    Misconception("non_strict", stopping_variant(strict=False), Text(
        "A loss equal to the best so far is not an improvement: only a strictly lower loss resets the count.",
        "Una pérdida igual a la mejor hasta ahora no es una mejora: solo una pérdida estrictamente menor reinicia "
        "la cuenta.")),
    Misconception("off_by_one", stopping_variant(late=True), Text(
        "You stop one epoch late: training stops at the first epoch e with e − best_epoch ≥ patience (not >).",
        "Paras una época tarde: el entrenamiento para en la primera época e con e − mejor_época ≥ paciencia (no >).")),
    Misconception("off_by_one", stopping_variant(shift=1), Text(
        "Epochs are counted from 0: the first loss in the list is epoch 0.",
        "Las épocas se cuentan desde 0: la primera pérdida de la lista es la época 0.")),
    Misconception("best_epoch", stopping_variant(best=True), Text(
        "You returned the epoch of the best loss; the function returns the epoch at which training stops.",
        "Devolviste la época de la mejor pérdida; la función devuelve la época en la que se detiene el "
        "entrenamiento.")),
    Misconception("off_by_one", stopping_variant(never=0), Text(
        "When patience never runs out, training stops at the last epoch, len(val_losses) − 1 (0-based).",
        "Si la paciencia nunca se agota, el entrenamiento para en la última época, len(val_losses) − 1 (desde 0).")),
)


def stop_case(losses: Sequence[float], patience: int, as_array: bool = False) -> Case:
    shown = ", ".join(f"{v:g}" for v in losses)
    kind = "an array" if as_array else "a list"
    return Case((np.array(losses, dtype=float) if as_array else [float(v) for v in losses], patience),
                label=Text(f"val_losses = [{shown}] ({kind}), patience = {patience}",
                           f"val_losses = [{shown}] ({'un array' if as_array else 'una lista'}), paciencia = {patience}"))


def random_stops(rng: np.random.Generator) -> list[Case]:
    cases = []
    for k in range(8):
        n = int(rng.integers(10, 25))
        # A validation curve that falls and then rises (overfitting), with noise, rounded so that ties happen.
        bottom = rng.uniform(0.3, 0.8) * n
        losses = np.round(0.2 + 0.5 * ((np.arange(n) - bottom) / n) ** 2 + rng.normal(0, 0.01, size=n), 2)
        cases.append(stop_case(losses.tolist(), int(rng.integers(1, 5)), as_array=k % 2 == 1))
    return cases


early_task = FunctionTask(
    "early_stopping", Text("Early stopping", "Parada temprana"), "early_stopping_epoch",
    signature="early_stopping_epoch(val_losses, patience)", reference=reg.early_stopping_epoch, tests=[
        Test("examples", 2, [stop_case([1.0, 0.8, 0.7, 0.72, 0.75, 0.71, 0.9, 0.6], 3),
                             stop_case([0.9, 0.85, 0.95, 0.96, 0.5], 2)], (EPOCH,), public=True,
             misconceptions=STOP_WRONG, title=Text("worked examples", "ejemplos resueltos"),
             hint=Text("Track the best loss and its epoch; stop at the first epoch e with e − best_epoch ≥ patience.",
                       "Guarda la mejor pérdida y su época; para en la primera época e con e − mejor_época ≥ "
                       "paciencia.")),
        Test("ties", 1, [stop_case([1.0, 0.5, 0.5, 0.5, 0.4, 0.3], 2), stop_case([2.0, 2.0, 2.0, 1.0], 2)], (EPOCH,),
             misconceptions=STOP_WRONG, title=Text("equal losses are not improvements", "pérdidas iguales no mejoran")),
        Test("never_stops", 1, [stop_case([5.0, 4.0, 3.0, 2.5, 2.4], 2), stop_case([1.0, 1.1, 0.9], 5, as_array=True)],
             (EPOCH,), misconceptions=STOP_WRONG,
             title=Text("patience never runs out: the last epoch", "la paciencia no se agota: la última época")),
        Test("random", 2, random_stops, (EPOCH,), misconceptions=STOP_WRONG,
             title=Text("noisy learning curves, as lists and arrays", "curvas de aprendizaje con ruido, listas y arrays")),
    ])

EXERCISE = Exercise(
    id="regularization",
    version="1",
    title=Text("Regularisation and normalisation: dropout, batch norm, z-score, min–max, early stopping",
               "Regularización y normalización: dropout, batch norm, z-score, min–max, parada temprana"),
    tasks=(dropout_task, batchnorm_task, zscore_task, minmax_task, early_task),
    limits=Limits(cell_seconds=10, notebook_seconds=60, probe_seconds=5),
    requires=("numpy",),
)
