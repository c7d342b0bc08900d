"""A small class of results built by hand: every section of both pages, every kind of picture.

Strings a hidden test must never show carry the marker SECRET, so a test can search for it.
"""

from __future__ import annotations

import numpy as np

from grader.i18n import Text
from grader.results import CellIssue, SubmissionResult, TaskResult, TestResult

SECRET = "SECRET"
X = np.round(np.linspace(-5, 5, 101), 6)


def _plain(a: np.ndarray) -> list:
    return np.round(a, 6).tolist()


def curve_plot(student: np.ndarray) -> dict:
    return {"kind": "curve",
            "title": {"en": "relu_prime: yours and the reference", "es": "relu_prime: la tuya y la de referencia"},
            "x": _plain(X), "student": _plain(student), "reference": _plain((X > 0).astype(float))}


def trajectory_plot(objective: str = "rosenbrock") -> dict:
    w = np.array([-1.2, 1.0])
    ref, mine = [w.copy()], [w.copy()]
    for k in range(40):  # two made-up paths: the reference heads for (1, 1), the student's stalls
        ref.append(ref[-1] + 0.08 * (np.array([1.0, 1.0]) - ref[-1]) + 0.02 * np.array([np.sin(k), 0.0]))
        mine.append(mine[-1] + 0.03 * (np.array([0.2, 0.6]) - mine[-1]))
    return {"kind": "trajectory",
            "title": {"en": "Adam on Rosenbrock's function", "es": "Adam en la función de Rosenbrock"},
            "student": _plain(np.array(mine)), "reference": _plain(np.array(ref)), "objective": objective}


def boundary_plot() -> dict:
    gx = np.linspace(-0.5, 1.5, 41)
    gy = np.linspace(-0.5, 1.5, 41)
    xx, yy = np.meshgrid(gx, gy)
    reference = ((xx + yy > 0.5) & (xx + yy < 1.5)).astype(float)  # XOR: a band between two lines
    student = (xx + yy > 0.5).astype(float)  # one line: what a single perceptron can do
    points = [[0, 0, 0], [0, 1, 1], [1, 0, 1], [1, 1, 0]]
    return {"kind": "boundary",
            "title": {"en": "Your XOR network's decision regions", "es": "Las regiones de decisión de tu red XOR"},
            "grid_x": _plain(gx), "grid_y": _plain(gy), "student": _plain(student), "reference": _plain(reference),
            "points": points}


def make_test(name: str, status: str = "passed", points: float = 1.0, *, public: bool = False,
              visibility: str = "message", misconception: str | None = None, hint: Text | None = None,
              **values: str) -> TestResult:
    failed = status != "passed"
    quoted = "[1, 2]" if public else SECRET  # a hidden test's full message quotes what must stay hidden
    return TestResult(
        name=name, status=status, score=0.0 if failed else points, max_score=points, visibility=visibility,
        public=public, title=Text(name.replace("_", " "), name.replace("_", " ") + " (es)"),
        message=Text(f"On input {quoted}: values differ", f"Con la entrada {quoted}: los valores difieren")
        if failed else Text("passed", "superada"),
        summary=Text("On a batch of 4: values differ", "Con un lote de 4: los valores difieren") if failed else None,
        hint=hint if failed else None, misconception=misconception if failed else None,
        input=values.get("input"), expected=values.get("expected"), got=values.get("got"),
        traceback=values.get("traceback"), source=values.get("source"))


RELU_HINT = Text("This returns ReLU(x), not its derivative.", "Esto devuelve ReLU(x), no su derivada.")
AXIS_HINT = Text("You normalised each column; softmax normalises each row.",
                 "Normalizaste cada columna; softmax normaliza cada fila.")
TRACE = ('Traceback (most recent call last):\n  File "/srv/grader/sandbox/child.py", line 90, in run\n'
         '    value = fn(*args)\n  File "<cell 4>", line 3, in sigmoid\n    return 1 / (1 + np.exp(-x)) + z\n'
         "NameError: name 'z' is not defined\n")


def relu_prime_task(student_says_relu: bool) -> TaskResult:
    if not student_says_relu:
        return TaskResult("relu_prime", Text("Derivative of ReLU", "Derivada de ReLU"), "function",
                          (make_test("values", public=True), make_test("at_zero")),
                          (curve_plot((X > 0).astype(float)),))
    return TaskResult("relu_prime", Text("Derivative of ReLU", "Derivada de ReLU"), "function", (
        make_test("values", "failed", public=True, misconception="relu_itself", hint=RELU_HINT,
             input="relu_prime(array([-1., 2.]))", expected="array([0., 1.])", got="array([0., 2.])"),
        make_test("at_zero", "failed", misconception="relu_itself", hint=RELU_HINT,
             input=f"{SECRET}-input", expected=f"{SECRET}-expected", got=f"{SECRET}-got", source=f"{SECRET}-source"),
    ), (curve_plot(np.maximum(X, 0.0)),))


def bruno() -> SubmissionResult:
    sigmoid = TaskResult("sigmoid", Text("Logistic sigmoid", "Sigmoide logística"), "function", (
        make_test("values", "error", 2, public=True, visibility="traceback", input="sigmoid(array([0.5]))",
             expected="array([0.62245933])", got="NameError", traceback=TRACE),
        make_test("large_inputs", "failed", 2, visibility="traceback", input=f"{SECRET}-input",
             expected=f"{SECRET}-expected", got=f"{SECRET}-got",
             traceback="  File \"<cell 4>\", line 3\nOverflowError\n",
             source=f"{SECRET}-source"),
        make_test("scalar"),
    ))
    softmax = TaskResult("softmax", Text("Softmax", "Softmax"), "function", (
        make_test("vector", "failed", 2, public=True, visibility="source", input="softmax(array([1., 2.]))",
             expected="array([0.269, 0.731])", got="array([0.5, 0.5])",
             source="def probe(ns):\n    return ns['softmax'](np.array([1.0, 2.0]))"),
        make_test("batch_rows", "failed", 2, visibility="message", misconception="wrong_axis", hint=AXIS_HINT),
        make_test("score_only", "failed", 1, visibility="score", hint=Text(f"{SECRET} hint", f"{SECRET} pista")),
    ))
    adam = TaskResult("adam", Text("Adam step", "Paso de Adam"), "function",
                      (make_test("trajectory", "failed", 2),), (trajectory_plot(),))
    xor = TaskResult("xor", Text("XOR network", "Red XOR"), "training", (make_test("truth_table", "failed", 2),),
                     (boundary_plot(),))
    return SubmissionResult(
        student="bruno_partly_wrong", file="submissions/bruno_partly_wrong.ipynb", exercise="demo",
        exercise_version="1", status="graded", max_score=20.0,
        tasks=(sigmoid, relu_prime_task(True), softmax, adam, xor),
        cell_issues=(CellIssue(2, "neutralised", Text("Cell 2: `!pip install torch` was skipped.",
                                                      "Celda 2: se omitió `!pip install torch`.")),
                     CellIssue(4, "error", Text("Cell 4 raised NameError: name 'z' is not defined",
                                                "La celda 4 lanzó NameError: name 'z' is not defined"), TRACE)),
        stdout="training...\nloss 0.693\n")


def essay() -> TaskResult:
    waiting = Text("Awaiting your instructor's marking (120 words).",
                   "Pendiente de la corrección de tu profesor (120 palabras).")
    return TaskResult("essay", Text("Why ReLU?", "¿Por qué ReLU?"), "text", (TestResult(
        name="answer", status="pending", score=0.0, max_score=2.0, visibility="message", public=True,
        message=waiting + Text(f" Suggestion: mentions {SECRET}.", f" Sugerencia: menciona {SECRET}."), summary=waiting,
        title=Text("your answer", "tu respuesta"), suggested=1.5),))


def passing(name: str, *extra: TaskResult) -> SubmissionResult:
    tasks = (TaskResult("sigmoid", Text("Logistic sigmoid", "Sigmoide logística"), "function",
                        (make_test("values", points=2, public=True), make_test("large_inputs", points=2),
                         make_test("scalar"))),
             relu_prime_task(False), *extra)
    return SubmissionResult(student=name, file=f"submissions/{name}.ipynb", exercise="demo", exercise_version="1",
                            status="graded", max_score=7.0 + sum(t.max_score for t in extra), tasks=tasks)


def with_issue(name: str, kind: str, score_tasks: bool = True) -> SubmissionResult:
    base = passing(name)
    tasks = (base.tasks[0], relu_prime_task(True)) if score_tasks else base.tasks
    message = {"timeout": Text("Cell 5 did not finish within 5 s and was stopped.",
                               "La celda 5 no terminó en 5 s y se detuvo."),
               "crashed": Text("Cell 6 ended the process running it.", "La celda 6 terminó el proceso.")}[kind]
    return SubmissionResult(student=name, file=base.file, exercise="demo", exercise_version="1", status="graded",
                            max_score=7.0, tasks=tasks,
                            cell_issues=(CellIssue(5 if kind == "timeout" else 6, kind, message),))


def broken(name: str) -> SubmissionResult:
    return SubmissionResult(student=name, file=f"submissions/{name}.ipynb", exercise="demo", exercise_version="1",
                            status="error", max_score=7.0,
                            error=Text("This notebook could not be graded: not a notebook (invalid JSON).",
                                       "Este cuaderno no se pudo corregir: no es un cuaderno (JSON no válido)."))


# Groups of similar submissions as grader.similarity reports them.
SIMILAR = {"groups": [
    {"kind": "text", "students": ["gabi"], "similarity": 0.6, "pair": ["gabi", "gabi"],
     "passage": ["the gradient is the slope", "the gradient is the slope"]},
    {"kind": "code", "students": ["carla_timeout", "diego_crashed", "ana_correct"], "similarity": 0.912,
     "pair": ["carla_timeout", "diego_crashed"], "passage": ["def relu(x):\n    return x * (x > 0)",
                                                             "def relu(z):\n    return z * (z > 0)"]},
], "partial": False, "notes": [], "compared": 7, "submitted": 7}


def sample_class() -> list[SubmissionResult]:
    return [passing("ana_correct", essay()), bruno(), with_issue("carla_timeout", "timeout"),
            with_issue("diego_crashed", "crashed"), broken("fede_not_json"), with_issue("gabi", "timeout", False),
            passing("José Núñez (group 2)")]
