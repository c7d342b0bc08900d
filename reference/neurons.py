"""The artificial neuron and the perceptron (CURRICULUM §1).

Two output conventions meet here and are kept apart on purpose:

- the threshold logic unit (McCulloch–Pitts) outputs 1 when w·x **≥** θ, else 0;
- Rosenblatt's perceptron outputs +1 when w·x + b **> 0**, else −1.

Inputs may be tensors, numpy arrays or lists, as one sample (D,) or a batch (N, D); results are
``float64`` tensors on :func:`reference.device.device`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from reference.activations import activation
from reference.device import ArrayLike, as_tensor

GATES: dict[str, tuple[tuple[float, float], float]] = {
    "and": ((1.0, 1.0), 2.0),
    "or": ((1.0, 1.0), 1.0),
    "and_not": ((1.0, -1.0), 1.0),  # x1 AND NOT x2: the inhibitory weight vetoes x2
}
"""Weights and threshold (w, θ) of one threshold unit per gate. Any other choice that
reproduces the truth table is just as correct."""

BINARY_INPUTS = ((0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0))
"""The four rows of a two-input truth table, in the course's order."""


def threshold_unit(w: ArrayLike, theta: float, x: ArrayLike) -> torch.Tensor:
    """1 where w·x ≥ θ (the unit fires), else 0; x is (D,) or (N, D)."""
    x, w = as_tensor(x), as_tensor(w)
    return (x @ w >= theta).to(x.dtype)


def gate(name: str, x: ArrayLike) -> torch.Tensor:
    """One threshold unit wired as the gate ``name`` (``"and"``, ``"or"``, ``"and_not"``)."""
    w, theta = GATES[name]
    return threshold_unit(w, theta, x)


def and_gate(x: ArrayLike) -> torch.Tensor:
    """x1 AND x2 with one threshold unit."""
    return gate("and", x)


def or_gate(x: ArrayLike) -> torch.Tensor:
    """x1 OR x2 with one threshold unit."""
    return gate("or", x)


def and_not_gate(x: ArrayLike) -> torch.Tensor:
    """x1 AND NOT x2 with one threshold unit: 1 only for (1, 0)."""
    return gate("and_not", x)


def xor_gate(x: ArrayLike) -> torch.Tensor:
    """(x1 AND NOT x2) OR (x2 AND NOT x1): two layers of threshold units, since one cannot."""
    x = as_tensor(x)
    hidden = torch.stack([and_not_gate(x), and_not_gate(x.flip(-1))], dim=-1)
    return or_gate(hidden)


def perceptron_output(w: ArrayLike, b: ArrayLike, x: ArrayLike) -> torch.Tensor:
    """+1 where w·x + b > 0, else −1 (so exactly 0 gives −1); x is (D,) or (N, D)."""
    x = as_tensor(x)
    return torch.where(x @ as_tensor(w) + as_tensor(b) > 0, 1.0, -1.0).to(x.dtype)


def perceptron_update(
    w: ArrayLike, b: ArrayLike, x: ArrayLike, y: ArrayLike, lr: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """The classic rule for one sample (x, y), y ∈ {−1, +1}: new (w, b).

    o = perceptron_output(w, b, x); w ← w + lr·(y − o)·x; b ← b + lr·(y − o). A correctly
    classified sample leaves both unchanged.
    """
    w, b, x, y = as_tensor(w), as_tensor(b), as_tensor(x), as_tensor(y)
    error = y - perceptron_output(w, b, x)
    return w + lr * error * x, b + lr * error


def squared_error_update(
    w: ArrayLike, x: ArrayLike, y: ArrayLike, lr: float, activation_name: str = "sigmoid"
) -> torch.Tensor:
    """One gradient step on J = ½e² for a single unit o = f(wᵀx), bias folded in as w[0].

    ``w`` has D + 1 entries and ``x`` has D: the fixed input x0 = 1 is prepended here. With
    a = wᵀx, e = y − f(a), ∂J/∂w_i = −e·f′(a)·x_i, so w_i ← w_i + lr·e·f′(a)·x_i.
    """
    w, x = as_tensor(w), as_tensor(x)
    f, f_prime = activation(activation_name)
    x = torch.cat([torch.ones(1, dtype=x.dtype, device=x.device), x])
    a = w @ x
    e = as_tensor(y) - f(a)
    return w + lr * e * f_prime(a) * x


@dataclass(frozen=True)
class PerceptronFit:
    """What :func:`train_perceptron` found.

    ``converged`` is True when an epoch passed with no mistake (then ``w``, ``b`` separate the
    data); ``epochs`` is how many epochs ran; ``mistakes`` counts mistakes per epoch.
    """

    w: torch.Tensor
    b: torch.Tensor
    converged: bool
    epochs: int
    mistakes: tuple[int, ...]


def train_perceptron(X: ArrayLike, y: ArrayLike, lr: float = 1.0, epochs: int = 100) -> PerceptronFit:
    """The perceptron learning rule, sample by sample in the given order, from w = 0, b = 0.

    ``y`` holds labels in {−1, +1}. Training stops after the first epoch without a mistake
    (converged) or after ``epochs`` epochs. On linearly separable data the rule converges; on
    XOR it never does, and the result says so with ``converged=False``.
    """
    X, y = as_tensor(X), as_tensor(y)
    if not bool(((y == 1) | (y == -1)).all()):
        raise ValueError("train_perceptron: labels must be -1 or +1")
    w = torch.zeros(X.shape[1], dtype=X.dtype, device=X.device)
    b = torch.zeros((), dtype=X.dtype, device=X.device)
    mistakes: list[int] = []
    for _ in range(epochs):
        count = 0
        for x_n, y_n in zip(X, y, strict=True):
            if perceptron_output(w, b, x_n) != y_n:
                count += 1
                w, b = perceptron_update(w, b, x_n, y_n, lr)
        mistakes.append(count)
        if count == 0:
            break
    converged = bool(mistakes) and mistakes[-1] == 0
    return PerceptronFit(w, b, converged, epochs=len(mistakes), mistakes=tuple(mistakes))
