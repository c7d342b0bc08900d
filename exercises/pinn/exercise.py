"""A physics-informed loss for 1-D advection (course §9), written with torch autograd.

The student's `advection_loss(model, X_r, X_b, X_0, u)` is probed by a script that builds, in the
student's process, a small float64 network from weight arrays given as arguments (or the exact
solution as a parameter-free module), calls the function on float64 tensors and returns the loss
as a number, or the loss and its gradients with respect to the network's weights. The parent runs
the same script with the reference loss, and with broken losses to recognise classic mistakes.

Conventions graded: rows of X_r are (t, x); X_b holds boundary times, X_0 initial positions;
loss = mean((φ_t + u·φ_x)²) + mean((φ(t, 0) − φ(t, 1))²) + mean((φ(0, x) − sin(2πx))²), each a
mean over its own points; the inputs do not require grad when given; the result is a tensor that
can be back-propagated to the weights.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import numpy as np
import torch

from grader.checks import Close, Finite
from grader.exercise import Case, Exercise, FunctionTask, Misconception, Test
from grader.i18n import Text
from grader.sandbox.limits import Limits
from reference import pinn

# Runs in the student's process and here. weights=None means the exact solution sin(2π(x − u·t)).
SCRIPT = '''
import math

import torch


class Exact(torch.nn.Module):
    def __init__(self, u):
        super().__init__()
        self.u = u

    def forward(self, X):
        return torch.sin(2 * math.pi * (X[:, 1:2] - self.u * X[:, 0:1]))


def build_model(weights, u):
    if weights is None:
        return Exact(u)
    W1, b1, W2, b2 = (torch.tensor(np.asarray(w), dtype=torch.float64) for w in weights)
    model = torch.nn.Sequential(torch.nn.Linear(2, W1.shape[0]), torch.nn.Tanh(), torch.nn.Linear(W1.shape[0], 1))
    model = model.double()
    with torch.no_grad():
        for parameter, value in zip(model.parameters(), (W1, b1, W2, b2)):
            parameter.copy_(value)
    return model


def loss_of(ns, weights, X_r, X_b, X_0, u, inputs_require_grad):
    model = build_model(weights, u)
    points = [torch.tensor(np.asarray(p), dtype=torch.float64, requires_grad=inputs_require_grad)
              for p in (X_r, X_b, X_0)]
    return model, ns["advection_loss"](model, *points, u)


def number(loss):
    return float(loss.detach()) if isinstance(loss, torch.Tensor) else float(loss)

'''
VALUE = SCRIPT + '''
def probe(ns, weights, X_r, X_b, X_0, u, inputs_require_grad):
    model, loss = loss_of(ns, weights, X_r, X_b, X_0, u, inputs_require_grad)
    return number(loss)
'''
GRADIENTS = SCRIPT + '''
def probe(ns, weights, X_r, X_b, X_0, u, inputs_require_grad):
    model, loss = loss_of(ns, weights, X_r, X_b, X_0, u, inputs_require_grad)
    if not isinstance(loss, torch.Tensor) or not loss.requires_grad:
        raise TypeError("advection_loss must return a torch tensor connected to the model's weights "
                        "(not a float, and not detached), so that training can call backward() on it")
    grads = torch.autograd.grad(loss, list(model.parameters()), allow_unused=True)
    names = ("W1", "b1", "W2", "b2")
    return {"loss": number(loss), **{"d/d" + n: (np.zeros(tuple(p.shape)) if g is None else g.detach().numpy())
                                    for n, p, g in zip(names, model.parameters(), grads)}}
'''


def run_with(source: str, loss: Callable[..., Any]) -> Callable[..., Any]:
    """The script run here with a loss function of ours (the reference, or a broken one)."""

    def run(*args: Any) -> Any:
        scope: dict[str, Any] = {"__builtins__": builtins, "np": np}
        exec(compile(source, "<pinn-script>", "exec"), scope)  # noqa: S102 (our own script, not student code)
        return scope["probe"]({"advection_loss": loss}, *args)

    return run


def reference_loss(model: Any, X_r: Any, X_b: Any, X_0: Any, u: float) -> torch.Tensor:
    # The model is float64 on the CPU; keep everything there, whatever reference.device() says.
    return pinn.advection_loss(model, X_r, X_b, X_0, u).cpu()


def broken_loss(model: Any, X_r: torch.Tensor, X_b: torch.Tensor, X_0: torch.Tensor, u: float, *,
                swap_derivatives: bool = False, swap_inputs: bool = False, two_pi: bool = True,
                use_u: bool = True, drop: str = "", create_graph: bool = True, reduce: str = "mean") -> torch.Tensor:
    """The advection loss with one classic mistake, selected by the keyword arguments."""
    X = X_r.detach().clone().requires_grad_(True)
    (d,) = torch.autograd.grad(model(X).sum(), X, create_graph=create_graph)
    phi_t, phi_x = (d[:, 1], d[:, 0]) if swap_derivatives else (d[:, 0], d[:, 1])
    t, x = X_b.detach().reshape(-1, 1), X_0.detach().reshape(-1, 1)

    def row(first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:  # a (t, x) point
        return torch.cat([second, first] if swap_inputs else [first, second], dim=1)

    residual = phi_t + (u if use_u else 1.0) * phi_x
    boundary = model(row(t, torch.zeros_like(t))) - model(row(t, torch.ones_like(t)))
    initial = model(row(torch.zeros_like(x), x)) - torch.sin((2 * math.pi if two_pi else 1.0) * x)
    total = torch.zeros((), dtype=torch.float64)
    for name, term in (("residual", residual), ("boundary", boundary), ("initial", initial)):
        if name != drop:
            total = total + (term**2).sum() if reduce == "sum" else total + (term**2).mean()
    return total


COLUMNS = Text(
    "Rows of X_r are (t, x): φ_t is the derivative along column 0 and φ_x along column 1, and the points you "
    "build are (t, 0), (t, 1) for the boundary and (0, x) for the initial condition.",
    "Las filas de X_r son (t, x): φ_t es la derivada según la columna 0 y φ_x según la columna 1, y los puntos "
    "que construyes son (t, 0), (t, 1) para la frontera y (0, x) para la condición inicial.")
WRONG = [
    ("u_missing", {"use_u": False}, Text(
        "The residual is φ_t + u·φ_x: multiply φ_x by the speed u you are given (here u ≠ 1).",
        "El residuo es φ_t + u·φ_x: multiplica φ_x por la velocidad u que recibes (aquí u ≠ 1).")),
    ("column_order", {"swap_derivatives": True, "swap_inputs": True}, COLUMNS),
    ("column_order", {"swap_derivatives": True}, COLUMNS),
    ("column_order", {"swap_inputs": True}, COLUMNS),
    ("sin_without_2pi", {"two_pi": False}, Text(
        "The initial condition is φ(0, x) = sin(2πx): you compared with sin(x).",
        "La condición inicial es φ(0, x) = sin(2πx): comparaste con sin(x).")),
    ("missing_term", {"drop": "residual"}, Text(
        "The PDE residual term mean((φ_t + u·φ_x)²) is missing from your loss.",
        "Falta en tu pérdida el término del residuo de la EDP, media((φ_t + u·φ_x)²).")),
    ("missing_term", {"drop": "boundary"}, Text(
        "The periodic boundary term mean((φ(t, 0) − φ(t, 1))²) is missing from your loss.",
        "Falta en tu pérdida el término de frontera periódica, media((φ(t, 0) − φ(t, 1))²).")),
    ("missing_term", {"drop": "initial"}, Text(
        "The initial-condition term mean((φ(0, x) − sin(2πx))²) is missing from your loss.",
        "Falta en tu pérdida el término de la condición inicial, media((φ(0, x) − sin(2πx))²).")),
    ("sum_not_mean", {"reduce": "sum"}, Text(
        "Each term is a MEAN of squares over its own points, not a sum.",
        "Cada término es una MEDIA de cuadrados sobre sus propios puntos, no una suma.")),
]
NO_GRAPH = Misconception("no_create_graph", run_with(GRADIENTS, partial(broken_loss, create_graph=False)), Text(
    "The loss is right but its gradient with respect to the weights is not: the derivatives φ_t and φ_x must stay "
    "in the graph, torch.autograd.grad(..., create_graph=True), or training ignores the PDE residual.",
    "La pérdida es correcta pero su gradiente respecto de los pesos no: las derivadas φ_t y φ_x deben quedarse en "
    "el grafo, torch.autograd.grad(..., create_graph=True), o el entrenamiento ignora el residuo de la EDP."),
    rtol=1e-6, atol=1e-9)


def misconceptions(source: str) -> tuple[Misconception, ...]:
    return tuple(Misconception(mid, run_with(source, partial(broken_loss, **kwargs)), hint, rtol=1e-6, atol=1e-9)
                 for mid, kwargs, hint in WRONG)


def cases(speeds: Sequence[float], hidden: Sequence[int], exact: bool = False,
          inputs_require_grad: bool = False) -> Callable[[np.random.Generator], list[Case]]:
    def make(rng: np.random.Generator) -> list[Case]:
        made = []
        for u, width in zip(speeds, hidden, strict=True):
            weights = None if exact else (rng.normal(0, 1, size=(width, 2)), rng.normal(0, 0.5, size=width),
                                          rng.normal(0, 1, size=(1, width)), rng.normal(0, 0.5, size=1))
            points = (rng.random((24, 2)), rng.random((12, 1)), rng.random((12, 1)))
            model = "the exact solution sin(2π(x − u·t))" if exact else f"a tanh network with {width} hidden units"
            modelo = "la solución exacta sin(2π(x − u·t))" if exact else f"una red tanh con {width} unidades ocultas"
            grad = ", inputs with requires_grad=True" if inputs_require_grad else ""
            con = ", entradas con requires_grad=True" if inputs_require_grad else ""
            made.append(Case((weights, *points, u, inputs_require_grad),
                             label=Text(f"{model}, u = {u:g}, 24 collocation, 12 boundary and 12 initial points{grad}",
                                        f"{modelo}, u = {u:g}, 24 puntos de colocación, 12 de frontera y 12 "
                                        f"iniciales{con}")))
        return made

    return make


LOSS_CLOSE = Close(rtol=1e-7, atol=1e-10, dtype="float")
LOSS_HINT = Text(
    "loss = mean((φ_t + u·φ_x)²) + mean((φ(t, 0) − φ(t, 1))²) + mean((φ(0, x) − sin(2πx))²), with φ_t, φ_x from "
    "torch.autograd.grad on a copy of X_r that requires grad (the X_r you are given does not).",
    "pérdida = media((φ_t + u·φ_x)²) + media((φ(t, 0) − φ(t, 1))²) + media((φ(0, x) − sin(2πx))²), con φ_t, φ_x "
    "de torch.autograd.grad sobre una copia de X_r que requiera gradiente (el X_r que recibes no lo requiere).")


def loss_test(name: str, points: float, source_cases: Callable[[np.random.Generator], list[Case]], title: Text,
              public: bool = False) -> Test:
    return Test(name, points, source_cases, (Finite(), LOSS_CLOSE), public=public, probe="script", script=VALUE,
                expected=run_with(VALUE, reference_loss), misconceptions=misconceptions(VALUE), title=title,
                hint=LOSS_HINT, timeout=10)


task = FunctionTask(
    "advection_loss", Text("The physics-informed loss of 1-D advection", "La pérdida informada por la física de la "
                           "advección 1-D"), "advection_loss", signature="advection_loss(model, X_r, X_b, X_0, u)",
    tests=[
        loss_test("value", 3, cases([1.0, 0.75], [8, 16]),
                  Text("a network, u = 1 and u = 0.75", "una red, u = 1 y u = 0.75"), public=True),
        loss_test("exact_solution", 1, cases([1.0], [0], exact=True),
                  Text("the exact solution has loss 0", "la solución exacta tiene pérdida 0"), public=True),
        loss_test("other_speeds", 2, cases([0.5, 2.5], [8, 8]), Text("speeds u ≠ 1", "velocidades u ≠ 1")),
        loss_test("exact_solution_other_speed", 1, cases([0.5], [0], exact=True),
                  Text("the exact solution for u = 0.5", "la solución exacta para u = 0.5")),
        loss_test("inputs_requiring_grad", 1, cases([1.5], [8], inputs_require_grad=True),
                  Text("inputs that already require grad", "entradas que ya requieren gradiente")),
        Test("differentiable", 2, cases([1.0, 2.0], [8, 8]), (Finite(), Close(rtol=1e-6, atol=1e-9, dtype="float")),
             probe="script", script=GRADIENTS, expected=run_with(GRADIENTS, reference_loss),
             misconceptions=(NO_GRAPH, *misconceptions(GRADIENTS)), timeout=10,
             title=Text("gradients of the loss with respect to the weights", "gradientes de la pérdida respecto de "
                        "los pesos"),
             hint=Text("Return the loss as a torch tensor (not a float) and compute φ_t, φ_x with "
                       "create_graph=True, so that loss.backward() reaches the weights through every term.",
                       "Devuelve la pérdida como tensor de torch (no como float) y calcula φ_t, φ_x con "
                       "create_graph=True, para que loss.backward() llegue a los pesos a través de cada término.")),
    ])

EXERCISE = Exercise(
    id="pinn",
    version="1",
    title=Text("A physics-informed network for advection: the loss",
               "Una red informada por la física para la advección: la pérdida"),
    tasks=(task,),
    limits=Limits(cell_seconds=30, notebook_seconds=120, probe_seconds=10),
    requires=("numpy", "torch"),
)
