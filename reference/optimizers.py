"""Optimisers (CURRICULUM §6): gradient descent, momentum, AdaGrad, RMSProp, Adam, decay.

Each optimiser exists twice:

- a pure step function with its state passed in and returned, in the course's notation
  (``adam_step(w, g, s, r, lr, rho1, rho2, delta)`` → (w, s, r));
- an :class:`Optimizer` record (``adam(lr, ...)``) for the runners :func:`run` (a trajectory on
  a function, from its gradient) and :func:`run_minibatch` (epochs over a data set).

Step functions accept tensors, numpy arrays or lists and return new ``float64`` tensors on
:func:`reference.device.device`; they never modify their inputs.

Against ``torch.optim`` (tests check each claim):

- ``sgd_step`` is ``SGD``; ``momentum_step_pytorch`` is ``SGD(momentum=beta)``; the course's
  ``momentum_step`` keeps v = −lr·(PyTorch's buffer), so at a constant lr both forms give the
  same trajectory.
- ``adagrad_step`` is ``Adagrad(lr, eps=delta)`` with its defaults ``lr_decay=0`` and
  ``initial_accumulator_value=0``: torch also adds eps after the square root.
- ``rmsprop_step`` is ``RMSprop(lr, alpha=rho, eps=delta)`` (no momentum, not centred).
- ``adam_step(..., bias_correction=True)`` is ``Adam(lr, betas=(rho1, rho2), eps=delta)``. The
  course's form (``bias_correction=False``, the default) has no torch counterpart: torch always
  divides s by 1 − rho1^t and r by 1 − rho2^t.
- ``plateau_step`` is ``ReduceLROnPlateau(mode="min", threshold=0, cooldown=0)``.

Default deltas follow the course's textbook (1e-7, 1e-6, 1e-8), not torch's (1e-10 for
Adagrad); pass them explicitly when comparing.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from reference.device import ArrayLike, as_tensor, cpu_generator

State = tuple[Any, ...]
Step = Callable[[torch.Tensor, torch.Tensor, State], tuple[torch.Tensor, State]]


def sgd_step(w: ArrayLike, g: ArrayLike, lr: float) -> torch.Tensor:
    """w ← w − lr·g."""
    return as_tensor(w) - lr * as_tensor(g)


def momentum_step(
    w: ArrayLike, g: ArrayLike, v: ArrayLike, lr: float, beta: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Course form: v ← beta·v − lr·g; w ← w + v. Returns (w, v); start from v = 0."""
    v = beta * as_tensor(v) - lr * as_tensor(g)
    return as_tensor(w) + v, v


def momentum_step_pytorch(
    w: ArrayLike, g: ArrayLike, v: ArrayLike, lr: float, beta: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """PyTorch form: v ← beta·v + g; w ← w − lr·v. Returns (w, v); start from v = 0."""
    v = beta * as_tensor(v) + as_tensor(g)
    return as_tensor(w) - lr * v, v


def adagrad_step(
    w: ArrayLike, g: ArrayLike, r: ArrayLike, lr: float, delta: float = 1e-7
) -> tuple[torch.Tensor, torch.Tensor]:
    """r ← r + g²; w ← w − lr/(delta + √r)·g. Returns (w, r); start from r = 0."""
    g = as_tensor(g)
    r = as_tensor(r) + g**2
    return as_tensor(w) - lr / (delta + torch.sqrt(r)) * g, r


def rmsprop_step(
    w: ArrayLike, g: ArrayLike, r: ArrayLike, lr: float, rho: float = 0.9, delta: float = 1e-6
) -> tuple[torch.Tensor, torch.Tensor]:
    """r ← rho·r + (1 − rho)·g²; w ← w − lr/(delta + √r)·g. Returns (w, r); start from r = 0."""
    g = as_tensor(g)
    r = rho * as_tensor(r) + (1.0 - rho) * g**2
    return as_tensor(w) - lr / (delta + torch.sqrt(r)) * g, r


def adam_step(
    w: ArrayLike,
    g: ArrayLike,
    s: ArrayLike,
    r: ArrayLike,
    lr: float,
    rho1: float = 0.9,
    rho2: float = 0.999,
    delta: float = 1e-8,
    *,
    t: int = 1,
    bias_correction: bool = False,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """s ← rho1·s + (1 − rho1)·g; r ← rho2·r + (1 − rho2)·g²; w ← w − lr/(delta + √r̂)·ŝ.

    Course form (``bias_correction=False``): ŝ = s, r̂ = r. PyTorch form (``True``):
    ŝ = s/(1 − rho1^t), r̂ = r/(1 − rho2^t), with t = 1 at the first step. Both start from
    s = r = 0; without the correction the first steps are smaller, since s and r are still
    pulled towards that zero start. Returns (w, s, r).
    """
    g = as_tensor(g)
    s = rho1 * as_tensor(s) + (1.0 - rho1) * g
    r = rho2 * as_tensor(r) + (1.0 - rho2) * g**2
    s_hat, r_hat = (s / (1.0 - rho1**t), r / (1.0 - rho2**t)) if bias_correction else (s, r)
    return as_tensor(w) - lr / (delta + torch.sqrt(r_hat)) * s_hat, s, r


@dataclass(frozen=True)
class Optimizer:
    """An optimiser for the runners: ``init(w)`` gives the starting state, ``step(w, g, state)``
    gives (new w, new state)."""

    name: str
    init: Callable[[torch.Tensor], State]
    step: Step


def sgd(lr: float) -> Optimizer:
    """Plain gradient descent (its state is empty)."""
    return Optimizer("sgd", lambda w: (), lambda w, g, state: (sgd_step(w, g, lr), ()))


def momentum(lr: float, beta: float, form: str = "course") -> Optimizer:
    """Momentum in the ``"course"`` form or the ``"pytorch"`` form (same trajectory)."""
    step_fn = {"course": momentum_step, "pytorch": momentum_step_pytorch}[form]

    def step(w: torch.Tensor, g: torch.Tensor, state: State) -> tuple[torch.Tensor, State]:
        w, v = step_fn(w, g, state[0], lr, beta)
        return w, (v,)

    return Optimizer(f"momentum ({form})", lambda w: (torch.zeros_like(w),), step)


def adagrad(lr: float, delta: float = 1e-7) -> Optimizer:
    """AdaGrad, accumulator starting at 0."""

    def step(w: torch.Tensor, g: torch.Tensor, state: State) -> tuple[torch.Tensor, State]:
        w, r = adagrad_step(w, g, state[0], lr, delta)
        return w, (r,)

    return Optimizer("adagrad", lambda w: (torch.zeros_like(w),), step)


def rmsprop(lr: float, rho: float = 0.9, delta: float = 1e-6) -> Optimizer:
    """RMSProp, running average starting at 0."""

    def step(w: torch.Tensor, g: torch.Tensor, state: State) -> tuple[torch.Tensor, State]:
        w, r = rmsprop_step(w, g, state[0], lr, rho, delta)
        return w, (r,)

    return Optimizer("rmsprop", lambda w: (torch.zeros_like(w),), step)


def adam(
    lr: float, rho1: float = 0.9, rho2: float = 0.999, delta: float = 1e-8, bias_correction: bool = False
) -> Optimizer:
    """Adam in the course's form (default) or PyTorch's (``bias_correction=True``)."""

    def step(w: torch.Tensor, g: torch.Tensor, state: State) -> tuple[torch.Tensor, State]:
        s, r, t = state
        w, s, r = adam_step(w, g, s, r, lr, rho1, rho2, delta, t=t + 1, bias_correction=bias_correction)
        return w, (s, r, t + 1)

    name = "adam (bias-corrected)" if bias_correction else "adam (course form)"
    return Optimizer(name, lambda w: (torch.zeros_like(w), torch.zeros_like(w), 0), step)


def run(optimizer: Optimizer, grad_fn: Callable[[torch.Tensor], ArrayLike], w0: ArrayLike, steps: int) -> torch.Tensor:
    """The whole trajectory w_0, w_1, …, w_steps, shape (steps + 1, *w0.shape).

    ``grad_fn(w)`` returns the gradient at w (a tensor, an array or a list).
    """
    w = as_tensor(w0)
    state = optimizer.init(w)
    trajectory = [w]
    for _ in range(steps):
        w, state = optimizer.step(w, as_tensor(grad_fn(w)), state)
        trajectory.append(w)
    return torch.stack(trajectory)


def iterations_per_epoch(n_samples: int, batch_size: int) -> int:
    """Updates per epoch: N / batch size, rounded up (a last, smaller batch is kept)."""
    return math.ceil(n_samples / batch_size)


def batch_indices(
    n_samples: int, batch_size: int, seed: int | torch.Generator | None = 0, shuffle: bool = True
) -> list[torch.Tensor]:
    """One epoch's batches as index tensors: a seeded permutation cut into consecutive pieces."""
    if shuffle:
        order = torch.randperm(n_samples, generator=cpu_generator(seed))
    else:
        order = torch.arange(n_samples)
    return [order[start : start + batch_size] for start in range(0, n_samples, batch_size)]


def run_minibatch(
    optimizer: Optimizer,
    grad_fn: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], ArrayLike],
    w0: ArrayLike,
    X: ArrayLike,
    y: ArrayLike,
    batch_size: int | None,
    epochs: int,
    seed: int = 0,
    shuffle: bool = True,
) -> torch.Tensor:
    """Epochs of updates on (X, y), one per batch; returns every w, (updates + 1, *w0.shape).

    ``grad_fn(w, X_batch, y_batch)`` is the gradient of the batch's mean loss. ``batch_size=1``
    is per-example ("instantaneous") SGD, ``None`` (or N) full-batch gradient descent with one
    update per epoch. The data are reshuffled every epoch from one generator seeded by
    ``seed``, so the order of examples is reproducible on any device.
    """
    X, y, w = as_tensor(X), as_tensor(y), as_tensor(w0)
    n = len(X)
    batch_size = n if batch_size is None else batch_size
    generator = cpu_generator(seed)
    state = optimizer.init(w)
    trajectory = [w]
    for _ in range(epochs):
        for index in batch_indices(n, batch_size, generator, shuffle):
            index = index.to(X.device)
            w, state = optimizer.step(w, as_tensor(grad_fn(w, X[index], y[index])), state)
            trajectory.append(w)
    return torch.stack(trajectory)


@dataclass(frozen=True)
class PlateauState:
    """The best loss so far and the number of epochs since it last strictly improved."""

    best: float = math.inf
    bad_epochs: int = 0


def plateau_step(
    lr: float,
    loss: float,
    state: PlateauState,
    factor: float = 0.1,
    patience: int = 10,
    min_lr: float = 0.0,
) -> tuple[float, PlateauState]:
    """Learning-rate decay on a plateau, called once per epoch with that epoch's loss.

    When the loss has not been strictly lower than the best for more than ``patience`` epochs,
    lr ← max(lr·factor, min_lr) and the count restarts. Returns (lr, state) as Python values.
    (``ReduceLROnPlateau`` also ignores a decrease smaller than its ``eps=1e-8``, which only
    matters for learning rates that small.)
    """
    loss = float(loss)
    if loss < state.best:
        state = PlateauState(loss, 0)
    else:
        state = PlateauState(state.best, state.bad_epochs + 1)
    if state.bad_epochs > patience:
        lr, state = max(lr * factor, min_lr), PlateauState(state.best, 0)
    return lr, state


def plateau_schedule(
    losses: ArrayLike, lr: float, factor: float = 0.1, patience: int = 10, min_lr: float = 0.0
) -> list[float]:
    """The learning rate in force after each epoch, for a sequence of epoch losses."""
    state, rates = PlateauState(), []
    for loss in as_tensor(losses).tolist():
        lr, state = plateau_step(lr, loss, state, factor, patience, min_lr)
        rates.append(lr)
    return rates


def exponential_decay(lr: float, gamma: float, epoch: int, min_lr: float = 0.0) -> float:
    """lr·gamma^epoch, never below ``min_lr`` (exponential decay to a minimum)."""
    return max(lr * gamma**epoch, min_lr)
