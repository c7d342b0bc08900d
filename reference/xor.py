"""XOR with a multilayer network (CURRICULUM §5).

Two networks: the hand-built ReLU network whose every intermediate value the course tabulates,
and a 2-2-1 network trained by gradient descent on MSE. Results are ``float64`` tensors on
:func:`reference.device.device`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from reference.activations import activation, sigmoid, sigmoid_prime
from reference.device import ArrayLike, as_tensor, cpu_generator, device
from reference.neurons import BINARY_INPUTS

XOR_W = ((1.0, 1.0), (1.0, 1.0))
XOR_C = (0.0, -1.0)
XOR_OUT_W = (1.0, -2.0)
XOR_OUT_B = 0.0
"""The fixed weights of f(x) = wᵀ max(0, Wᵀx + c) + b."""

XOR_TARGETS = (0.0, 1.0, 1.0, 0.0)
"""XOR of :data:`reference.neurons.BINARY_INPUTS`, row by row."""


@dataclass(frozen=True)
class XorSteps:
    """Every intermediate value of the hand-built network, one row per input."""

    xw: torch.Tensor  # XW, (N, 2)
    pre_activation: torch.Tensor  # XW + c, (N, 2)
    hidden: torch.Tensor  # max(0, XW + c), (N, 2)
    output: torch.Tensor  # hidden · w + b, (N,)


def xor_steps(X: ArrayLike = BINARY_INPUTS) -> XorSteps:
    """The hand-built XOR network on X (N, 2), keeping each step of the forward pass."""
    X = as_tensor(X)
    xw = X @ as_tensor(XOR_W)
    pre_activation = xw + as_tensor(XOR_C)
    hidden = pre_activation.clamp(min=0.0)
    return XorSteps(xw, pre_activation, hidden, hidden @ as_tensor(XOR_OUT_W) + XOR_OUT_B)


def xor_forward(X: ArrayLike = BINARY_INPUTS) -> tuple[torch.Tensor, torch.Tensor]:
    """(hidden after ReLU (N, 2), output (N,)) of the hand-built XOR network."""
    steps = xor_steps(X)
    return steps.hidden, steps.output


def xor_predict(params: dict[str, torch.Tensor], X: ArrayLike, hidden_activation: str = "sigmoid") -> torch.Tensor:
    """Output (N,) of a 2-2-1 network: sigmoid(f(X·W1 + b1)·W2 + b2), with f the hidden activation."""
    f, _ = activation(hidden_activation)
    hidden = f(as_tensor(X) @ params["W1"] + params["b1"])
    return sigmoid(hidden @ params["W2"] + params["b2"]).squeeze(-1)


@dataclass(frozen=True)
class XorFit:
    """A trained 2-2-1 network and how training went.

    ``success`` is True when the rounded outputs on the four inputs equal XOR. It is False
    when training got stuck (a symmetric or saturated start can do that); the trainer reports it
    rather than retrying, so callers judge a seed by its outcome.
    """

    params: dict[str, torch.Tensor]
    hidden_activation: str
    losses: torch.Tensor  # MSE before each update, (epochs,)
    success: bool

    def predict(self, X: ArrayLike = BINARY_INPUTS) -> torch.Tensor:
        """Outputs in (0, 1), shape (N,); round them to read the truth table."""
        return xor_predict(self.params, X, self.hidden_activation)


def init_xor_params(seed: int, scale: float = 1.0) -> dict[str, torch.Tensor]:
    """Weights and biases drawn uniformly from [−scale, scale] with a seeded CPU generator."""
    generator = cpu_generator(seed)
    shapes = {"W1": (2, 2), "b1": (2,), "W2": (2, 1), "b2": (1,)}
    return {
        name: ((2 * torch.rand(shape, generator=generator, dtype=torch.float64) - 1) * scale).to(device())
        for name, shape in shapes.items()
    }


def train_xor(
    seed: int,
    hidden_activation: str = "sigmoid",
    lr: float = 4.0,
    epochs: int = 1000,
) -> XorFit:
    """Full-batch gradient descent on MSE for a 2-2-1 network on the four XOR rows.

    Hidden units use ``"sigmoid"`` or ``"tanh"``; the output unit is a sigmoid. Gradients are
    written out by hand (the chain rule of §4), so training needs no autograd.
    """
    f, f_prime = activation(hidden_activation)
    X, y = as_tensor(BINARY_INPUTS), as_tensor(XOR_TARGETS).unsqueeze(-1)
    p = init_xor_params(seed)
    losses = torch.empty(epochs, dtype=X.dtype, device=X.device)
    for epoch in range(epochs):
        a1 = X @ p["W1"] + p["b1"]
        h = f(a1)
        a2 = h @ p["W2"] + p["b2"]
        out = sigmoid(a2)
        losses[epoch] = ((out - y) ** 2).mean()
        # Reverse pass: each line is one step of the chain rule, from the loss back to W1.
        d_a2 = 2.0 * (out - y) / len(X) * sigmoid_prime(a2)
        d_a1 = (d_a2 @ p["W2"].T) * f_prime(a1)
        grads = {"W2": h.T @ d_a2, "b2": d_a2.sum(0), "W1": X.T @ d_a1, "b1": d_a1.sum(0)}
        p = {name: p[name] - lr * grads[name] for name in p}
    predicted = xor_predict(p, X, hidden_activation).round()
    success = bool((predicted == y.squeeze(-1)).all())
    return XorFit(p, hidden_activation, losses, success)
