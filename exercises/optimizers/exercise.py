"""Optimiser steps in the course's forms (course §6), numpy in and numpy out.

Each task is graded on one step from given arrays and on whole trajectories: a script in the
student's process iterates the student's step with the gradient of a quadratic bowl or of
Rosenbrock's function, and returns every w and every state. The parent runs the same script
with the reference step, so a step that is right once but wrong later cannot pass.

Conventions graded: momentum v ← β·v − lr·g, w ← w + v; AdaGrad and RMSProp put delta outside
the square root; Adam has no bias correction.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

import reference.optimizers as ref
from grader.checks import Close, Finite
from grader.exercise import Case, Exercise, FunctionTask, Misconception, Test
from grader.i18n import Text
from grader.sandbox.limits import Limits

EXACT = Close(rtol=1e-7, atol=1e-10, dtype="float")
TRAJECTORY_CLOSE = Close(rtol=1e-6, atol=1e-9, dtype="float")

# Runs in the student's process (np is in its globals), and in the parent with reference steps.
TRAJECTORY = '''
def gradient(objective, w):
    if objective == "bowl":
        return np.array([1.0, 10.0]) * w
    x, y = w[0], w[1]
    return np.array([-2.0 * (1.0 - x) - 400.0 * x * (y - x**2), 200.0 * (y - x**2)])


def probe(ns, objective, w0, hyper, steps):
    step = ns[NAME]
    w = np.array(w0, dtype=float)
    state = [np.zeros_like(w) for _ in STATE]
    path = {"w": [w.copy()]}
    path.update({name: [] for name in STATE})
    for _ in range(steps):
        g = gradient(objective, w)
        # Copies: a step that updates its arguments in place must not change what was recorded.
        out = step(w.copy(), g.copy(), *[s.copy() for s in state], *hyper)
        if STATE:
            if not isinstance(out, (tuple, list)) or len(out) != len(STATE) + 1:
                raise TypeError(NAME + " must return a tuple " + RETURNS)
        else:
            out = (out,)
        w = np.array(out[0], dtype=float)
        state = [np.array(s, dtype=float) for s in out[1:]]
        path["w"].append(w)
        for name, s in zip(STATE, state):
            path[name].append(s)
    return {name: np.array(values) for name, values in path.items()}
'''


def trajectory_script(name: str, state: tuple[str, ...]) -> str:
    returns = "(" + ", ".join(("w",) + state) + ")"
    return (TRAJECTORY.replace("NAME", repr(name)).replace("STATE", repr(state))
            .replace("RETURNS", repr(returns)))


def in_parent(script: str, name: str, make_step: Callable[[], Callable[..., Any]]) -> Callable[..., Any]:
    """Runs a trajectory script here with a step function made fresh for each case."""

    def run(*args: Any) -> Any:
        scope: dict[str, Any] = {"__builtins__": builtins, "np": np}
        exec(compile(script, "<trajectory>", "exec"), scope)  # noqa: S102 (our own script, not student code)
        with np.errstate(over="ignore", invalid="ignore"):  # a wrong step may run away
            return scope["probe"]({name: make_step()}, *args)

    return run


def numpy_out(fn: Callable[..., Any]) -> Callable[[], Callable[..., Any]]:
    """A reference step returning numpy arrays (it returns float64 tensors, maybe on CUDA)."""

    def convert(value: Any) -> Any:
        if isinstance(value, tuple):
            return tuple(convert(v) for v in value)
        return value.detach().cpu().numpy()

    return lambda: lambda *args: convert(fn(*args))


def bias_corrected_adam(counting: bool) -> Callable[..., Any]:
    """PyTorch's Adam as a step function: t counts the calls of one case (a counter the student keeps)
    or stays 1 (a `t=1` default that the course's signature never sets)."""
    t = [0]

    def step(*args: Any) -> Any:
        t[0] = t[0] + 1 if counting else 1
        return tuple(x.detach().cpu().numpy() for x in ref.adam_step(*args, t=t[0], bias_correction=True))

    return step


# Wrong steps seen in practice, in numpy. Each factory returns a fresh step function.
def sgd_variant() -> Callable[..., Any]:
    return lambda w, g, lr: w + lr * g  # gradient ascent


def momentum_variant(form: str) -> Callable[..., Any]:
    def step(w: Any, g: Any, v: Any, lr: float, beta: float) -> Any:
        if form == "pytorch":
            v = beta * v + g
            return w - lr * v, v
        v = beta * v + lr * g  # the course's step with v negated
        return w - v, v

    return step


def adagrad_variant(inside: bool = False, sign: float = -1.0, accumulate: bool = True) -> Callable[..., Any]:
    def step(w: Any, g: Any, r: Any, lr: float, delta: float) -> Any:
        r = r + g**2 if accumulate else g**2
        denom = np.sqrt(delta + r) if inside else delta + np.sqrt(r)
        return w + sign * lr / denom * g, r

    return step


def rmsprop_variant(one_minus: bool = True, inside: bool = False, sign: float = -1.0,
                    swapped: bool = False) -> Callable[..., Any]:
    def step(w: Any, g: Any, r: Any, lr: float, rho: float, delta: float) -> Any:
        old, new = (1 - rho, rho) if swapped else (rho, 1 - rho if one_minus else 1.0)
        r = old * r + new * g**2
        denom = np.sqrt(delta + r) if inside else delta + np.sqrt(r)
        return w + sign * lr / denom * g, r

    return step


def adam_variant(one_minus_s: bool = True, one_minus_r: bool = True, inside: bool = False,
                 with_g: bool = False) -> Callable[..., Any]:
    def step(w: Any, g: Any, s: Any, r: Any, lr: float, rho1: float, rho2: float, delta: float) -> Any:
        s = rho1 * s + (1 - rho1 if one_minus_s else 1.0) * g
        r = rho2 * r + (1 - rho2 if one_minus_r else 1.0) * g**2
        denom = np.sqrt(delta + r) if inside else delta + np.sqrt(r)
        return w - lr / denom * (g if with_g else s), s, r

    return step


Wrong = tuple[str, Callable[[], Callable[..., Any]], Text]
"""(misconception id, a factory of the wrong step, hint)."""


def misconceptions(name: str, script: str, wrong: list[Wrong], trajectory: bool) -> tuple[Misconception, ...]:
    found = []
    for mid, factory, hint in wrong:
        if trajectory:
            compute = in_parent(script, name, factory)
        else:
            compute = lambda *args, factory=factory: factory()(*args)
        found.append(Misconception(mid, compute, hint, rtol=1e-6, atol=1e-9))
    return tuple(found)


def bowl_label(w0: np.ndarray, steps: int, hyper: dict[str, float]) -> Text:
    settings = ", ".join(f"{k} = {v:g}" for k, v in hyper.items())
    start = f"({w0[0]:.3f}, {w0[1]:.3f})"
    return Text(f"{steps} steps on the bowl ½(w₁² + 10·w₂²) from w = {start}, {settings}",
                f"{steps} pasos en el cuenco ½(w₁² + 10·w₂²) desde w = {start}, {settings}")


def rosenbrock_label(w0: np.ndarray, steps: int, hyper: dict[str, float]) -> Text:
    settings = ", ".join(f"{k} = {v:g}" for k, v in hyper.items())
    start = f"({w0[0]:.3f}, {w0[1]:.3f})"
    return Text(f"{steps} steps on Rosenbrock (1 − x)² + 100(y − x²)² from w = {start}, {settings}",
                f"{steps} pasos en Rosenbrock (1 − x)² + 100(y − x²)² desde w = {start}, {settings}")


def paths(objective: str, settings: list[dict[str, float]], steps: int) -> Callable[[np.random.Generator], list[Case]]:
    """Trajectory cases: a start near (2, 1) for the bowl, near (−1.2, 1) for Rosenbrock."""

    def make(rng: np.random.Generator) -> list[Case]:
        base = np.array([2.0, 1.0]) if objective == "bowl" else np.array([-1.2, 1.0])
        label = bowl_label if objective == "bowl" else rosenbrock_label
        cases = []
        for hyper in settings:
            w0 = np.round(base + rng.uniform(-0.2, 0.2, size=2), 3)
            cases.append(Case((objective, w0, tuple(hyper.values()), steps), label=label(w0, steps, hyper)))
        return cases

    return make


def one_step(state: tuple[str, ...], hyper: dict[str, float]) -> Callable[[np.random.Generator], list[Case]]:
    """One call on arrays of shapes (3,) and (2, 4); state r is ≥ 0, v and s of either sign."""

    def make(rng: np.random.Generator) -> list[Case]:
        cases = []
        for shape in [(3,), (2, 4)]:
            w, g = rng.uniform(-2, 2, size=shape), rng.uniform(-2, 2, size=shape)
            arrays = [rng.uniform(0, 1, size=shape) if s == "r" else rng.uniform(-0.5, 0.5, size=shape)
                      for s in state]
            names = ", ".join(("w", "g") + state)
            cases.append(Case((w, g, *arrays, *hyper.values()),
                              label=Text(f"{names} of shape {shape}", f"{names} de forma {shape}")))
        return cases

    return make


DELTA_INSIDE = Text(
    "You put delta inside the square root, lr/√(delta + r); the course's form adds it outside: lr/(delta + √r).",
    "Pusiste delta dentro de la raíz, lr/√(delta + r); la forma del curso lo suma fuera: lr/(delta + √r).")
ASCENT = Text("Your w moves along +g, uphill. The step subtracts: w ← w − (step size)·g.",
              "Tu w avanza según +g, cuesta arriba. El paso resta: w ← w − (tamaño de paso)·g.")
ONE_MINUS = Text(
    "The running average is r ← rho·r + (1 − rho)·g²: the new term is weighted by (1 − rho), not 1.",
    "La media móvil es r ← rho·r + (1 − rho)·g²: el término nuevo se pondera con (1 − rho), no con 1.")


def optimizer_task(tid: str, title: Text, name: str, state: tuple[str, ...], reference: Callable[..., Any],
                   signature: str, hyper_one: dict[str, float], bowl: list[dict[str, float]],
                   rosen: list[dict[str, float]], wrong: list[tuple[str, Callable[..., Any], Text]],
                   points: tuple[float, float, float]) -> Any:
    script = trajectory_script(name, state)
    expected = in_parent(script, name, numpy_out(reference))
    traj_wrong = misconceptions(name, script, wrong, trajectory=True)
    returns = "(" + ", ".join(("w",) + state) + ")" if state else "w"
    return FunctionTask(tid, title, name, signature=signature, reference=reference, tests=[
        Test("one_step", points[0], one_step(state, hyper_one), (EXACT,), public=True,
             title=Text("one step from given arrays", "un paso desde arrays dados"),
             hint=Text(f"Return {returns} after one step, in the course's form stated in the exercise.",
                       f"Devuelve {returns} tras un paso, en la forma del curso que da el enunciado."),
             misconceptions=misconceptions(name, script, wrong, trajectory=False)),
        Test("bowl", points[1], paths("bowl", bowl, 30), (Finite(), TRAJECTORY_CLOSE), public=True,
             probe="script", script=script, expected=expected, misconceptions=traj_wrong,
             title=Text("trajectory on a quadratic bowl", "trayectoria en un cuenco cuadrático"),
             hint=Text(f"Every w and every {'/'.join(state) or 'step'} of the run is compared; check the update "
                       "from the second step on, where the state is no longer zero.",
                       f"Se comparan todos los w y {'/'.join(state) or 'pasos'} de la ejecución; revisa la "
                       "actualización a partir del segundo paso, cuando el estado ya no es cero.")),
        Test("rosenbrock", points[2], paths("rosenbrock", rosen, 50), (Finite(), TRAJECTORY_CLOSE),
             probe="script", script=script, expected=expected, misconceptions=traj_wrong,
             title=Text("trajectory on Rosenbrock's function", "trayectoria en la función de Rosenbrock")),
    ])


BIAS_CORRECTED = Text(
    "This is PyTorch's Adam, with bias correction (s/(1 − rho1^t), r/(1 − rho2^t)). The course's form has no "
    "bias correction: w ← w − lr/(delta + √r)·s with s and r as they are.",
    "Esto es el Adam de PyTorch, con corrección de sesgo (s/(1 − rho1^t), r/(1 − rho2^t)). La forma del curso "
    "no la tiene: w ← w − lr/(delta + √r)·s con s y r tal cual.")
MOMENTUM_FORMS = Text(
    "Your w follows the right path but your v is the PyTorch form (v ← β·v + g; w ← w − lr·v). At a constant lr "
    "both forms move w the same way, but the course keeps v ← β·v − lr·g and w ← w + v, so v is the step itself; "
    "return that v.",
    "Tu w sigue el camino correcto, pero tu v es la forma de PyTorch (v ← β·v + g; w ← w − lr·v). Con lr "
    "constante ambas mueven w igual, pero el curso usa v ← β·v − lr·g y w ← w + v, de modo que v es el propio "
    "paso; devuelve esa v.")

tasks = [
    optimizer_task(
        "sgd", Text("Gradient descent step", "Paso de descenso por gradiente"), "sgd_step", (), ref.sgd_step,
        "sgd_step(w, g, lr)", {"lr": 0.1}, [{"lr": 0.03}, {"lr": 0.15}], [{"lr": 1e-3}], [
            ("ascent", sgd_variant, ASCENT)], (1, 1, 1)),
    optimizer_task(
        "momentum", Text("Momentum step", "Paso con momento"), "momentum_step", ("v",), ref.momentum_step,
        "momentum_step(w, g, v, lr, beta)", {"lr": 0.1, "beta": 0.9},
        [{"lr": 0.02, "beta": 0.9}, {"lr": 0.05, "beta": 0.5}], [{"lr": 5e-4, "beta": 0.9}], [
            ("pytorch_momentum", partial(momentum_variant, "pytorch"), MOMENTUM_FORMS),
            ("v_negated", partial(momentum_variant, "negated"), Text(
                "Your w is right but your v has the opposite sign: the course's v is the step added to w, "
                "v ← β·v − lr·g, w ← w + v.",
                "Tu w es correcto pero tu v tiene el signo opuesto: la v del curso es el paso que se suma a w, "
                "v ← β·v − lr·g, w ← w + v."))], (1, 2, 2)),
    optimizer_task(
        "adagrad", Text("AdaGrad step", "Paso de AdaGrad"), "adagrad_step", ("r",), ref.adagrad_step,
        "adagrad_step(w, g, r, lr, delta)", {"lr": 0.1, "delta": 1e-2},
        [{"lr": 0.3, "delta": 1e-2}, {"lr": 0.5, "delta": 0.5}], [{"lr": 0.1, "delta": 1e-2}], [
            ("delta_inside_sqrt", partial(adagrad_variant, inside=True), DELTA_INSIDE),
            ("ascent", partial(adagrad_variant, sign=1.0), ASCENT),
            ("not_accumulated", partial(adagrad_variant, accumulate=False), Text(
                "AdaGrad's r accumulates every squared gradient so far, r ← r + g²; you replaced it by g².",
                "La r de AdaGrad acumula todos los gradientes al cuadrado, r ← r + g²; la sustituiste por g²."))],
        (1, 1, 2)),
    optimizer_task(
        "rmsprop", Text("RMSProp step", "Paso de RMSProp"), "rmsprop_step", ("r",), ref.rmsprop_step,
        "rmsprop_step(w, g, r, lr, rho, delta)", {"lr": 0.1, "rho": 0.9, "delta": 1e-2},
        [{"lr": 0.05, "rho": 0.9, "delta": 1e-2}, {"lr": 0.1, "rho": 0.8, "delta": 0.5}],
        [{"lr": 0.01, "rho": 0.9, "delta": 1e-2}], [
            ("missing_one_minus_rho", partial(rmsprop_variant, one_minus=False), ONE_MINUS),
            ("delta_inside_sqrt", partial(rmsprop_variant, inside=True), DELTA_INSIDE),
            ("ascent", partial(rmsprop_variant, sign=1.0), ASCENT),
            ("rho_swapped", partial(rmsprop_variant, swapped=True), Text(
                "rho weights the old average and (1 − rho) the new g²: r ← rho·r + (1 − rho)·g². You swapped them.",
                "rho pondera la media anterior y (1 − rho) el nuevo g²: r ← rho·r + (1 − rho)·g². Los "
                "intercambiaste."))], (1, 1, 2)),
    optimizer_task(
        "adam", Text("Adam step (course form)", "Paso de Adam (forma del curso)"), "adam_step", ("s", "r"),
        ref.adam_step, "adam_step(w, g, s, r, lr, rho1, rho2, delta)",
        {"lr": 0.1, "rho1": 0.9, "rho2": 0.999, "delta": 1e-2},
        [{"lr": 0.1, "rho1": 0.9, "rho2": 0.999, "delta": 1e-2}, {"lr": 0.05, "rho1": 0.8, "rho2": 0.99, "delta": 0.5}],
        [{"lr": 0.05, "rho1": 0.9, "rho2": 0.999, "delta": 1e-2}], [
            ("bias_corrected", partial(bias_corrected_adam, True), BIAS_CORRECTED),
            ("bias_corrected", partial(bias_corrected_adam, False), BIAS_CORRECTED),
            ("missing_one_minus_rho", partial(adam_variant, one_minus_s=False, one_minus_r=False), ONE_MINUS),
            ("missing_one_minus_rho", partial(adam_variant, one_minus_s=False), ONE_MINUS),
            ("missing_one_minus_rho", partial(adam_variant, one_minus_r=False), ONE_MINUS),
            ("delta_inside_sqrt", partial(adam_variant, inside=True), DELTA_INSIDE),
            ("step_with_g", partial(adam_variant, with_g=True), Text(
                "Adam steps along the running average s, not the raw gradient: w ← w − lr/(delta + √r)·s.",
                "Adam avanza según la media móvil s, no según el gradiente: w ← w − lr/(delta + √r)·s."))],
        (1, 2, 3)),
]

EXERCISE = Exercise(
    id="optimizers",
    version="1",
    title=Text("Optimisers: gradient descent, momentum, AdaGrad, RMSProp, Adam",
               "Optimizadores: descenso por gradiente, momento, AdaGrad, RMSProp, Adam"),
    tasks=tuple(tasks),
    limits=Limits(cell_seconds=10, notebook_seconds=60, probe_seconds=5),
    requires=("numpy",),
)
