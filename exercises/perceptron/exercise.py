"""The threshold unit and Rosenblatt's perceptron (course §1), numpy in and numpy out.

Conventions graded: a threshold unit fires (1) when w·x ≥ θ, and GATES is judged by the truth
table its units compute, so any weights that reproduce it are right; perceptron_output is +1
where w·x + b > 0 and −1 otherwise (−1 at exactly 0), for one sample (D,) or a batch (N, D);
perceptron_update is the classic rule w ← w + lr·(y − o)·x, b ← b + lr·(y − o); train_perceptron
is judged on the outcome (it separates the linearly separable data it is given).
"""

from __future__ import annotations

import numpy as np

import reference.neurons as ref
from grader.checks import Close, Finite
from grader.exercise import Case, Exercise, FunctionTask, Misconception, Task, Test
from grader.i18n import Text
from grader.sandbox.limits import Limits

EXACT = Close(rtol=1e-9, atol=1e-12)
SIGNS = Close(rtol=0, atol=0)
BINARY = np.array(ref.BINARY_INPUTS)

# The unit of GATES[name] on the four binary inputs, computed in the student's process.
GATE_SCRIPT = '''
X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])

def probe(ns, name):
    gates = ns.get("GATES")
    if not isinstance(gates, dict):
        raise TypeError("GATES must be a dict such as {'and': (w, theta), ...}, got %s" % type(gates).__name__)
    if name not in gates:
        raise KeyError("GATES has no entry %r" % name)
    w, theta = gates[name]
    w = np.asarray(w, dtype=float).reshape(-1)
    if w.shape != (2,):
        raise ValueError("GATES[%r]: w must hold 2 weights, got shape %s" % (name, w.shape))
    return (X @ w >= float(theta)).astype(float)
'''

# Train on (X, y), then classify the same X with the returned (w, b) by the perceptron's rule.
TRAIN_SCRIPT = '''
def _plain(v):
    if hasattr(v, "detach"):
        v = v.detach().cpu().numpy()
    return np.asarray(v, dtype=float)

def probe(ns, X, y, lr, epochs):
    result = ns["train_perceptron"](X, y, lr, epochs)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise TypeError("train_perceptron must return a pair (w, b), got %s" % type(result).__name__)
    w, b = _plain(result[0]).reshape(-1), _plain(result[1]).reshape(-1)
    if w.shape != (X.shape[1],) or b.shape != (1,):
        raise ValueError("expected w of shape (%d,) and a number b, got shapes %s and %s"
                         % (X.shape[1], w.shape, b.shape))
    return np.where(X @ w + b[0] > 0, 1.0, -1.0)
'''

# Train, and hand back the weights as one flat array (shape and finiteness are what is checked).
STOPS_SCRIPT = '''
def probe(ns, X, y, lr, epochs):
    w, b = ns["train_perceptron"](X, y, lr, epochs)
    if hasattr(w, "detach"):
        w, b = w.detach().cpu().numpy(), b.detach().cpu().numpy()
    return np.concatenate([np.ravel(np.asarray(w, dtype=float)), np.ravel(np.asarray(b, dtype=float))])
'''


def table(values: list[float]) -> object:
    return lambda name: np.array(values)


def gate_test(name: str, points: float, public: bool, misconceptions: tuple[Misconception, ...]) -> Test:
    label = Text(f"the unit GATES[{name!r}] on (0,0), (0,1), (1,0), (1,1)",
                 f"la unidad GATES[{name!r}] en (0,0), (0,1), (1,0), (1,1)")
    return Test(name, points, [Case((name,), label=label)],
                (SIGNS,), public=public, probe="script", script=GATE_SCRIPT,
                expected=lambda name: ref.gate(name, BINARY),
                title=Text(f"the {name.upper().replace('_', ' ')} truth table",
                           f"la tabla de verdad de {name.upper().replace('_', ' ')}"),
                misconceptions=misconceptions)


STRICT = Text("You seem to have picked θ for a unit that fires when w·x > θ. This unit fires when w·x ≥ θ: "
              "reaching the threshold is enough, so θ must sit just above the sums that must not fire.",
              "Parece que elegiste θ para una unidad que se activa cuando w·x > θ. Esta unidad se activa cuando "
              "w·x ≥ θ: basta con alcanzar el umbral, así que θ debe quedar justo por encima de las sumas que no "
              "deben activarla.")


def integer_problems(rng: np.random.Generator, shapes: list[tuple[int, ...]]) -> list[Case]:
    """(w, b, x) with small integers as floats, and b chosen so that w·x + b is exactly 0 somewhere."""
    cases = []
    for shape in shapes:
        d = shape[-1]
        w = rng.integers(-3, 4, size=d).astype(float)
        w[0] = w[0] or 1.0
        x = rng.integers(-2, 3, size=shape).astype(float)
        first = x if x.ndim == 1 else x[0]
        b = float(-(first @ w))
        cases.append(Case((w, b, x), label=Text(f"integer inputs x of shape {shape}, w·x + b = 0 included",
                                                f"entradas enteras x de forma {shape}, incluido w·x + b = 0")))
    return cases


def random_problems(shapes: list[tuple[int, ...]]) -> object:
    def make(rng: np.random.Generator) -> list[Case]:
        return [Case((rng.normal(size=s[-1]), float(rng.normal()), rng.normal(size=s)),
                     label=Text(f"random w, b and x of shape {s}", f"w, b y x aleatorios, x de forma {s}"))
                for s in shapes]

    return make


OUTPUT_MISCONCEPTIONS = (
    Misconception("ge_zero", lambda w, b, x: np.where(x @ w + b >= 0, 1.0, -1.0),
                  Text("At w·x + b = 0 the perceptron outputs −1: the condition for +1 is strictly > 0 (unlike the "
                       "sign function, which uses ≥ 0).",
                       "En w·x + b = 0 el perceptrón da −1: la condición para +1 es estrictamente > 0 (a diferencia "
                       "de la función signo, que usa ≥ 0).")),
    Misconception("np_sign", lambda w, b, x: np.sign(x @ w + b),
                  Text("np.sign gives 0 at 0; the perceptron's output is always +1 or −1 (−1 at exactly 0).",
                       "np.sign da 0 en 0; la salida del perceptrón es siempre +1 o −1 (−1 justo en 0).")),
    Misconception("zero_one", lambda w, b, x: np.where(x @ w + b > 0, 1.0, 0.0),
                  Text("The perceptron outputs +1 and −1, not 1 and 0 (that is the threshold unit's output).",
                       "El perceptrón da +1 y −1, no 1 y 0 (esa es la salida de la unidad umbral).")),
    Misconception("no_bias", lambda w, b, x: np.where(x @ w > 0, 1.0, -1.0),
                  Text("The bias is missing: compare w·x + b with 0.", "Falta el sesgo: compara w·x + b con 0.")),
)


def _out(w: np.ndarray, b: float, x: np.ndarray) -> float:
    return 1.0 if float(x @ w + b) > 0 else -1.0


def _update(w: np.ndarray, b: float, x: np.ndarray, step: float) -> tuple[np.ndarray, np.ndarray]:
    return w + step * x, np.asarray(b + step)


UPDATE_MISCONCEPTIONS = (
    Misconception("y_not_y_minus_o", lambda w, b, x, y, lr: _update(w, b, x, lr * y if _out(w, b, x) != y else 0.0),
                  Text("On a mistake y − o is ±2, not ±1: the classic rule uses lr·(y − o), which moves w by "
                       "2·lr·y·x.",
                       "En un error y − o vale ±2, no ±1: la regla clásica usa lr·(y − o), que mueve w en 2·lr·y·x.")),
    Misconception("o_minus_y", lambda w, b, x, y, lr: _update(w, b, x, lr * (_out(w, b, x) - y)),
                  Text("The error is y − o (target minus output); with o − y the update pushes the wrong way.",
                       "El error es y − o (objetivo menos salida); con o − y la corrección va en sentido contrario.")),
    Misconception("activation_not_output", lambda w, b, x, y, lr: _update(w, b, x, lr * (y - (x @ w + b))),
                  Text("o is the perceptron's output, +1 or −1, not the weighted sum w·x + b (that would be the "
                       "delta rule).",
                       "o es la salida del perceptrón, +1 o −1, no la suma ponderada w·x + b (eso sería la regla "
                       "delta).")),
    Misconception("bias_fixed", lambda w, b, x, y, lr: (w + lr * (y - _out(w, b, x)) * x, np.asarray(b)),
                  Text("The bias must be updated too: b ← b + lr·(y − o).",
                       "El sesgo también se actualiza: b ← b + lr·(y − o).")),
    Misconception("always_update", lambda w, b, x, y, lr: _update(w, b, x, lr * y),
                  Text("A correctly classified sample must leave w and b unchanged: y − o = 0 then.",
                       "Una muestra bien clasificada debe dejar w y b sin cambios: entonces y − o = 0.")),
    Misconception("ge_zero", lambda w, b, x, y, lr: _update(w, b, x, lr * (y - (1.0 if x @ w + b >= 0 else -1.0))),
                  Text("At w·x + b = 0 the output o is −1 (the condition for +1 is > 0), so a sample with y = +1 "
                       "there is a mistake and must update w and b.",
                       "En w·x + b = 0 la salida o es −1 (la condición para +1 es > 0), así que una muestra con "
                       "y = +1 ahí es un error y debe actualizar w y b.")),
)


def update_cases(kind: str) -> object:
    """Samples that the current (w, b) misclassifies, classifies right, or puts exactly on the boundary."""

    def make(rng: np.random.Generator) -> list[Case]:
        cases = []
        for _ in range(3):
            d = int(rng.integers(2, 5))
            w, x = rng.normal(size=d), rng.normal(size=d)
            b = float(rng.normal())
            if kind == "boundary":
                w = rng.integers(-2, 3, size=d).astype(float)
                x = rng.integers(-2, 3, size=d).astype(float)
                x[0] = x[0] or 1.0
                b, y = float(-(x @ w)), 1.0
            else:
                o = _out(w, b, x)
                y = -o if kind == "mistake" else o
            lr = float(rng.choice([0.1, 0.5, 1.0]))
            words = {"mistake": ("a misclassified sample", "una muestra mal clasificada"),
                     "right": ("a correctly classified sample", "una muestra bien clasificada"),
                     "boundary": ("y = +1 with w·x + b = 0 exactly", "y = +1 con w·x + b = 0 exactamente")}[kind]
            cases.append(Case((w, b, x, y, lr), label=Text(f"{words[0]}, D = {d}, lr = {lr:g}",
                                                           f"{words[1]}, D = {d}, lr = {lr:g}")))
        return cases

    return make


def separable(n: int, d: int, offset: float = 0.0, lr: float = 0.5, epochs: int = 200) -> object:
    """Linearly separable ±1 data with a margin; the reference converges well within `epochs` and needs
    more than one pass, so a single epoch is not enough. With `offset`, no line through the origin
    separates the data: the bias must be learnt."""

    def make(rng: np.random.Generator) -> list[Case]:
        while True:
            w = rng.normal(size=d)
            w /= np.linalg.norm(w)
            X = rng.uniform(-1, 1, size=(6 * n, d)) + offset
            b = -float(w @ np.full(d, offset)) + float(rng.uniform(-0.3, 0.3))
            s = X @ w + b
            keep = np.abs(s) > 0.15
            X, s = X[keep][:n], s[keep][:n]
            y = np.where(s > 0, 1.0, -1.0)
            if len(X) < n or not 0.3 < np.mean(y > 0) < 0.7:
                continue
            fit = ref.train_perceptron(X, y, lr, epochs // 2)
            if fit.converged and fit.epochs >= 3:
                where = f", shifted by {offset:g}" if offset else ""
                donde = f", desplazados {offset:g}" if offset else ""
                return [Case((X, y, lr, epochs),
                             label=Text(f"{n} separable points in {d}-D{where}, lr = {lr:g}, epochs = {epochs}",
                                        f"{n} puntos separables en {d}-D{donde}, lr = {lr:g}, epochs = {epochs}"))]

    return make


def gate_data(name: str, lr: float = 1.0, epochs: int = 50) -> list[Case]:
    y = 2.0 * np.asarray(ref.gate(name, BINARY).cpu().numpy()) - 1.0
    return [Case((BINARY.copy(), y, lr, epochs),
                 label=Text(f"the {name.upper()} gate with labels ±1, lr = {lr:g}, epochs = {epochs}",
                            f"la puerta {name.upper()} con etiquetas ±1, lr = {lr:g}, epochs = {epochs}"))]


XOR_DATA = [Case((BINARY.copy(), np.array([-1.0, 1.0, 1.0, -1.0]), 1.0, 30),
                 label=Text("XOR with labels ±1 (not separable), epochs = 30",
                            "XOR con etiquetas ±1 (no separable), epochs = 30"))]

TRAIN_HINT = Text("The values compared are the classes your returned (w, b) gives the training points (+1 where "
                  "w·x + b > 0, else −1); they must equal y. Loop over the epochs; in each, visit every sample and "
                  "apply perceptron_update. On linearly separable data the rule stops making mistakes after a few "
                  "epochs. Learn the bias too.",
                  "Los valores comparados son las clases que tu (w, b) devuelto asigna a los puntos de "
                  "entrenamiento (+1 donde w·x + b > 0, si no −1); deben ser iguales a y. Recorre las épocas; en "
                  "cada una, visita todas las muestras y aplica perceptron_update. Con datos linealmente separables "
                  "la regla deja de equivocarse tras unas pocas épocas. Aprende también el sesgo.")


def train_test(name: str, points: float, cases: object, title: Text, public: bool = False) -> Test:
    return Test(name, points, cases, (SIGNS,), public=public, probe="script", script=TRAIN_SCRIPT,
                expected=lambda X, y, lr, epochs: y, title=title, hint=TRAIN_HINT, timeout=5)


tasks = [
    Task(id="gates", title=Text("Logic gates with one threshold unit", "Puertas lógicas con una unidad umbral"),
         target="GATES", signature='GATES = {"and": (w, θ), "or": (w, θ), "and_not": (w, θ)}', kind="variable",
         tests=(
             gate_test("and", 1, True, (Misconception("strict_threshold", table([0, 1, 1, 1]), STRICT),)),
             gate_test("or", 1, True, (Misconception("strict_threshold", table([1, 1, 1, 1]), STRICT),)),
             gate_test("and_not", 1, True, (
                 Misconception("strict_threshold", table([1, 0, 1, 1]), STRICT),
                 Misconception("swapped", table([0, 1, 0, 0]),
                               Text("Your unit computes x2 AND NOT x1. AND NOT here is x1 AND NOT x2: it fires only "
                                    "for (1, 0), so the inhibitory (negative) weight goes on x2.",
                                    "Tu unidad calcula x2 AND NOT x1. Aquí AND NOT es x1 AND NOT x2: solo se activa "
                                    "con (1, 0), así que el peso inhibidor (negativo) va en x2.")))),
         )),
    FunctionTask(
        "perceptron_output", {"en": "Perceptron output", "es": "Salida del perceptrón"}, "perceptron_output",
        signature="perceptron_output(w, b, x)", reference=ref.perceptron_output,
        tests=[
            Test("one_sample", 1, random_problems([(3,), (5,)]), (SIGNS,), public=True,
                 title=Text("one sample x of shape (D,)", "una muestra x de forma (D,)"),
                 misconceptions=OUTPUT_MISCONCEPTIONS),
            Test("batch", 2, random_problems([(6, 3), (10, 2)]), (SIGNS,), public=True,
                 title=Text("a batch x of shape (N, D): one output per row",
                            "un lote x de forma (N, D): una salida por fila"),
                 misconceptions=OUTPUT_MISCONCEPTIONS),
            Test("at_zero", 2, lambda rng: integer_problems(rng, [(4,), (8, 3)]), (SIGNS,),
                 title=Text("exactly on the boundary, w·x + b = 0: −1", "justo en la frontera, w·x + b = 0: −1"),
                 misconceptions=OUTPUT_MISCONCEPTIONS),
        ]),
    FunctionTask(
        "perceptron_update", {"en": "Perceptron learning rule", "es": "Regla de aprendizaje del perceptrón"},
        "perceptron_update", signature="perceptron_update(w, b, x, y, lr)", reference=ref.perceptron_update,
        tests=[
            Test("mistake", 2, update_cases("mistake"), (EXACT,), public=True,
                 title=Text("a misclassified sample moves w and b", "una muestra mal clasificada mueve w y b"),
                 misconceptions=UPDATE_MISCONCEPTIONS),
            Test("right", 1, update_cases("right"), (EXACT,), public=True,
                 title=Text("a correctly classified sample changes nothing",
                            "una muestra bien clasificada no cambia nada"),
                 misconceptions=UPDATE_MISCONCEPTIONS),
            Test("boundary", 1, update_cases("boundary"), (EXACT,),
                 title=Text("on the boundary the output is −1, so y = +1 is a mistake",
                            "en la frontera la salida es −1, así que y = +1 es un error"),
                 misconceptions=UPDATE_MISCONCEPTIONS),
        ]),
    FunctionTask(
        "train_perceptron", {"en": "Training a perceptron", "es": "Entrenar un perceptrón"}, "train_perceptron",
        signature="train_perceptron(X, y, lr, epochs)",
        tests=[
            train_test("and_gate", 1, gate_data("and"), Text("learns the AND gate", "aprende la puerta AND"),
                       public=True),
            train_test("separable_2d", 2, separable(40, 2),
                       Text("separates random separable data in 2-D", "separa datos separables aleatorios en 2-D")),
            train_test("separable_3d", 1, separable(60, 3),
                       Text("separates random separable data in 3-D", "separa datos separables aleatorios en 3-D")),
            train_test("needs_bias", 2, separable(40, 2, offset=2.0, epochs=300),
                       Text("separates data that no line through the origin separates (the bias must be learnt)",
                            "separa datos que ninguna recta por el origen separa (hay que aprender el sesgo)")),
            Test("stops", 1, XOR_DATA, (Finite(),), probe="script", script=STOPS_SCRIPT, timeout=5,
                 title=Text("stops after `epochs` epochs on data that is not separable",
                            "se detiene tras `epochs` épocas con datos no separables"),
                 hint=Text("On XOR the perceptron never stops making mistakes: run exactly `epochs` epochs (or "
                           "stop earlier after an epoch without mistakes), never 'until there are no mistakes'.",
                           "Con XOR el perceptrón nunca deja de equivocarse: ejecuta exactamente `epochs` épocas (o "
                           "para antes tras una época sin errores), nunca «hasta que no haya errores».")),
        ]),
]

EXERCISE = Exercise(
    id="perceptron",
    version="1",
    title=Text("The threshold unit and the perceptron", "La unidad umbral y el perceptrón"),
    tasks=tuple(tasks),
    limits=Limits(cell_seconds=10, notebook_seconds=60, probe_seconds=5),
    requires=("numpy",),
)
