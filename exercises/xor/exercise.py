"""XOR with a multilayer network (course §5), numpy in and numpy out.

Conventions graded: xor_forward(X) uses the fixed weights of the course, W = [[1, 1], [1, 1]],
c = [0, −1], w = [1, −2], b = 0, and returns (hidden after ReLU, shape (N, 2); output, shape (N,)).
train_xor(seed) returns either a callable f(X) giving the network's outputs in [0, 1] for X of
shape (N, 2), or the weights {"W1": (2, 2), "b1": (2,), "W2": (2, 1), "b2": (1,)} of a 2-2-1
network with sigmoid hidden and output units. It is judged on the outcome: rounded outputs equal
XOR, on one of a few seeds.
"""

from __future__ import annotations

import numpy as np

import reference.xor as ref
from grader.checks import Close, InRange
from grader.exercise import Case, Exercise, FunctionTask, Misconception, Test
from grader.i18n import Text
from grader.sandbox.limits import Limits

EXACT = Close(rtol=1e-9, atol=1e-12)
BINARY = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
W = np.array([[1.0, 1.0], [1.0, 1.0]])
C = np.array([0.0, -1.0])
W_OUT = np.array([1.0, -2.0])


def relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0.0)


FORWARD_MISCONCEPTIONS = (
    Misconception("no_relu", lambda X: (X @ W + C, (X @ W + C) @ W_OUT),
                  Text("The hidden layer has no ReLU: apply max(0, ·) to XW + c before the output layer. Without "
                       "it the network is linear and cannot compute XOR.",
                       "La capa oculta no tiene ReLU: aplica max(0, ·) a XW + c antes de la capa de salida. Sin ella "
                       "la red es lineal y no puede calcular XOR.")),
    Misconception("pre_activation_returned", lambda X: (X @ W + C, relu(X @ W + C) @ W_OUT),
                  Text("The output is right, but the hidden values you return are XW + c before the ReLU; return "
                       "max(0, XW + c).",
                       "La salida es correcta, pero los valores ocultos que devuelves son XW + c antes de la ReLU; "
                       "devuelve max(0, XW + c).")),
    Misconception("no_c", lambda X: (relu(X @ W), relu(X @ W) @ W_OUT),
                  Text("The hidden biases c = [0, −1] are missing: the hidden layer is max(0, XW + c).",
                       "Faltan los sesgos ocultos c = [0, −1]: la capa oculta es max(0, XW + c).")),
    Misconception("relu_on_output", lambda X: (relu(X @ W + C), relu(relu(X @ W + C) @ W_OUT)),
                  Text("The output unit is linear, f(x) = wᵀh + b: no ReLU after it.",
                       "La unidad de salida es lineal, f(x) = wᵀh + b: sin ReLU después.")),
    Misconception("output_column", lambda X: (relu(X @ W + C), (relu(X @ W + C) @ W_OUT)[:, None]),
                  Text("The output must have shape (N,), one number per row of X, not (N, 1): use the vector "
                       "w = [1, −2] (or flatten the result).",
                       "La salida debe tener forma (N,), un número por fila de X, no (N, 1): usa el vector "
                       "w = [1, −2] (o aplana el resultado).")),
)


def real_inputs(rng: np.random.Generator) -> list[Case]:
    return [Case((rng.uniform(-2, 3, size=(n, 2)),),
                 label=Text(f"X of shape ({n}, 2) with real values in [-2, 3)",
                            f"X de forma ({n}, 2) con valores reales en [-2, 3)"))
            for n in (7, 1)]


# Train with the student's seed, then read the outputs on the rows X (filled in below) from what
# train_xor returned: a callable, or the weights of a 2-2-1 sigmoid network.
TRAIN_SCRIPT = """
X = np.array(%r)

def _plain(v):
    if hasattr(v, "detach"):
        v = v.detach().cpu().numpy()
    return np.asarray(v, dtype=float)

def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))

def probe(ns, seed):
    model = ns["train_xor"](seed)
    if isinstance(model, dict):
        missing = sorted({"W1", "b1", "W2", "b2"} - set(model))
        if missing:
            raise KeyError("the weights returned by train_xor lack %%s" %% missing)
        W1, b1, W2, b2 = (_plain(model[k]) for k in ("W1", "b1", "W2", "b2"))
        if W1.shape != (2, 2) or b1.size != 2 or W2.size != 2 or b2.size != 1:
            raise ValueError("expected W1 (2, 2), b1 (2,), W2 (2, 1), b2 (1,); got %%s, %%s, %%s, %%s"
                             %% (W1.shape, b1.shape, W2.shape, b2.shape))
        out = _sigmoid(_sigmoid(X @ W1 + b1.reshape(2)) @ W2.reshape(2) + b2.reshape(()))
    elif callable(model):
        out = _plain(model(X.copy())).reshape(-1)
    else:
        raise TypeError("train_xor must return a function or a dict of weights, got %%s" %% type(model).__name__)
    if out.shape != (len(X),):
        raise ValueError("expected one output per row of X (%%d rows), got %%d values" %% (len(X), out.size))
    return out
"""

# Outputs are right when they round to XOR: within 0.5 of the target.
ROUNDS_TO = Close(rtol=0, atol=0.5 - 1e-9)
SHUFFLED = np.array([[1.0, 1.0], [0.0, 1.0], [0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])


def seeds(X: np.ndarray, words: tuple[str, str]) -> object:
    rows = ", ".join(f"({a:g},{b:g})" for a, b in X)

    def make(rng: np.random.Generator) -> list[Case]:
        return [Case((int(s),), label=Text(f"train_xor({int(s)}), outputs on {words[0]} {rows}",
                                           f"train_xor({int(s)}), salidas en {words[1]} {rows}"))
                for s in rng.choice(10_000, size=3, replace=False)]

    return make


def xor_of(X: np.ndarray) -> object:
    return lambda seed: (X[:, 0] != X[:, 1]).astype(float)


def stuck(X: np.ndarray) -> Misconception:
    return Misconception("stuck_at_half", lambda seed: np.full(len(X), 0.5), STUCK_HINT, rtol=0, atol=0.1)


def train_test(name: str, points: float, X: np.ndarray, words: tuple[str, str], title: Text, hint: Text,
               public: bool = False) -> Test:
    return Test(name, points, seeds(X, words), (InRange(0.0, 1.0), ROUNDS_TO), public=public, probe="script",
                script=TRAIN_SCRIPT % X.tolist(), expected=xor_of(X), require="any", timeout=10, title=title,
                hint=hint, misconceptions=(stuck(X),))


STUCK_HINT = Text(
    "Every output stays near 0.5: the network has not learnt. Common causes: all weights start equal (for example "
    "at 0), which keeps both hidden units identical forever; no non-linear activation in the hidden layer, which "
    "makes the network linear; or too few epochs or too small a learning rate. Initialise the weights randomly "
    "from the seed and train for a few thousand full-batch steps with lr around 2 to 5.",
    "Todas las salidas se quedan cerca de 0.5: la red no ha aprendido. Causas habituales: todos los pesos empiezan "
    "iguales (por ejemplo a 0), lo que mantiene idénticas para siempre las dos unidades ocultas; falta una "
    "activación no lineal en la capa oculta, lo que hace lineal la red; o hay pocas épocas o una tasa de "
    "aprendizaje demasiado pequeña. Inicializa los pesos al azar a partir de la semilla y entrena unos miles de "
    "pasos con el lote completo y lr entre 2 y 5.")

TRAIN_HINT = Text(
    "Each output of your trained network must round to XOR of its inputs (be within 0.5 of it), for at least one "
    "of the seeds tried, and lie in [0, 1]. Gradient descent on a 2-2-1 network sometimes ends in a local minimum "
    "where one or two inputs stay wrong: check the rounded outputs at the end of training and, if they are not "
    "XOR, start again from new random weights.",
    "Cada salida de tu red entrenada debe redondear al XOR de sus entradas (quedar a menos de 0.5), al menos con "
    "una de las semillas probadas, y estar en [0, 1]. El descenso por gradiente en una red 2-2-1 a veces acaba en "
    "un mínimo local donde una o dos entradas siguen mal: comprueba las salidas redondeadas al final del "
    "entrenamiento y, si no son XOR, vuelve a empezar desde pesos aleatorios nuevos.")

tasks = [
    FunctionTask(
        "xor_forward", {"en": "The hand-built XOR network", "es": "La red XOR construida a mano"}, "xor_forward",
        signature="xor_forward(X)", reference=ref.xor_forward,
        tests=[
            Test("table", 3, [Case((BINARY.copy(),), label=Text("the four inputs (0,0), (0,1), (1,0), (1,1)",
                                                                "las cuatro entradas (0,0), (0,1), (1,0), (1,1)"))],
                 (EXACT,), public=True,
                 title=Text("the course's table: hidden [[0,0],[1,0],[1,0],[2,1]], output [0,1,1,0]",
                            "la tabla del curso: oculta [[0,0],[1,0],[1,0],[2,1]], salida [0,1,1,0]"),
                 misconceptions=FORWARD_MISCONCEPTIONS),
            Test("real_inputs", 2, real_inputs, (EXACT,),
                 title=Text("the same network on real-valued inputs", "la misma red con entradas reales"),
                 hint=Text("Compute the network, do not look the table up: h = max(0, XW + c) with "
                           "W = [[1, 1], [1, 1]], c = [0, −1], and output h·w + b with w = [1, −2], b = 0, for "
                           "any X of shape (N, 2).",
                           "Calcula la red, no consultes la tabla: h = max(0, XW + c) con W = [[1, 1], [1, 1]], "
                           "c = [0, −1], y salida h·w + b con w = [1, −2], b = 0, para cualquier X de forma (N, 2)."),
                 misconceptions=FORWARD_MISCONCEPTIONS),
        ]),
    FunctionTask(
        "train_xor", {"en": "Training a 2-2-1 network on XOR", "es": "Entrenar una red 2-2-1 con XOR"}, "train_xor",
        signature="train_xor(seed)",
        tests=[
            train_test("learns_xor", 3, BINARY, ("the four inputs", "las cuatro entradas"),
                       Text("rounded outputs reproduce XOR (one of three seeds is enough)",
                            "las salidas redondeadas reproducen XOR (basta con una de tres semillas)"),
                       TRAIN_HINT, public=True),
            train_test("any_row_order", 2, SHUFFLED, ("rows in another order", "filas en otro orden"),
                       Text("the trained network computes XOR of any rows it is given",
                            "la red entrenada calcula el XOR de las filas que reciba"),
                       Text("The callable must compute the network's output for each row of the X it receives, in "
                            "that order and for any number of rows, not return a stored table.",
                            "La función debe calcular la salida de la red para cada fila del X que recibe, en ese "
                            "orden y para cualquier número de filas, no devolver una tabla guardada.")),
        ]),
]

EXERCISE = Exercise(
    id="xor",
    version="1",
    title=Text("XOR with a multilayer network", "XOR con una red multicapa"),
    tasks=tuple(tasks),
    limits=Limits(cell_seconds=20, notebook_seconds=120, probe_seconds=10),
    requires=("numpy",),
)
