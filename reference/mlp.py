"""A multilayer perceptron with its backward pass written by hand (CURRICULUM §4–§5).

Layer l computes A_l = f_l(A_{l−1} W_l + b_l), with W_l of shape (fan_in, fan_out) and samples as
rows. The backward pass is the chain rule, layer by layer, with no autograd; tests check it
against ``torch.autograd`` and finite differences. Everything returns ``float64`` tensors on
:func:`reference.device.device`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

import torch

from reference.activations import activation, relu, relu_prime
from reference.device import DTYPE, ArrayLike, as_tensor, cpu_generator, device

Layer = tuple[torch.Tensor, torch.Tensor]
"""(W, b) of one layer: W of shape (fan_in, fan_out), b of shape (fan_out,)."""


def init_mlp(sizes: Sequence[int], seed: int) -> list[Layer]:
    """Layers for widths ``sizes`` (input first): W ~ N(0, 1/fan_in), b = 0.

    Zero-mean random weights break the symmetry between units; dividing the variance by fan_in
    keeps each pre-activation's scale independent of the layer's width.
    """
    generator = cpu_generator(seed)
    layers = []
    for fan_in, fan_out in pairwise(sizes):
        W = torch.randn(fan_in, fan_out, generator=generator, dtype=DTYPE) / fan_in**0.5
        layers.append((W.to(device()), torch.zeros(fan_out, dtype=DTYPE, device=device())))
    return layers


@dataclass(frozen=True)
class ForwardCache:
    """What the backward pass needs: each layer's input A_{l−1} and pre-activation Z_l."""

    inputs: tuple[torch.Tensor, ...]
    pre_activations: tuple[torch.Tensor, ...]
    hidden_activation: str
    output_activation: str


def mlp_forward(
    X: ArrayLike,
    layers: Sequence[tuple[ArrayLike, ArrayLike]],
    hidden_activation: str = "relu",
    output_activation: str = "linear",
) -> tuple[torch.Tensor, ForwardCache]:
    """Network output for X (N, D) and the cache for :func:`mlp_backward_layers`."""
    A = as_tensor(X)
    inputs, pre_activations = [], []
    for index, (W, b) in enumerate(layers):
        last = index == len(layers) - 1
        f, _ = activation(output_activation if last else hidden_activation)
        Z = A @ as_tensor(W) + as_tensor(b)
        inputs.append(A)
        pre_activations.append(Z)
        A = f(Z)
    return A, ForwardCache(tuple(inputs), tuple(pre_activations), hidden_activation, output_activation)


def mlp_backward_layers(
    d_output: ArrayLike, cache: ForwardCache, layers: Sequence[tuple[ArrayLike, ArrayLike]]
) -> list[Layer]:
    """(∂L/∂W_l, ∂L/∂b_l) for every layer, given ∂L/∂output (N, fan_out of the last layer)."""
    d_A = as_tensor(d_output)
    grads: list[Layer] = []
    for index in reversed(range(len(layers))):
        last = index == len(layers) - 1
        _, f_prime = activation(cache.output_activation if last else cache.hidden_activation)
        d_Z = d_A * f_prime(cache.pre_activations[index])
        # Z = A W + b: W's gradient pairs each input with each output's adjoint; b's sums over
        # samples because b was added to every row.
        grads.append((cache.inputs[index].T @ d_Z, d_Z.sum(dim=0)))
        d_A = d_Z @ as_tensor(layers[index][0]).T
    return grads[::-1]


def mse_and_gradient(output: ArrayLike, y: ArrayLike) -> tuple[torch.Tensor, torch.Tensor]:
    """(mean((output − y)²) over all elements, its gradient 2(output − y)/n w.r.t. output)."""
    output, y = as_tensor(output), as_tensor(y)
    error = output - y
    return (error**2).mean(), 2.0 * error / error.numel()


def mlp_loss_and_grads(
    X: ArrayLike,
    y: ArrayLike,
    layers: Sequence[tuple[ArrayLike, ArrayLike]],
    hidden_activation: str = "relu",
    output_activation: str = "linear",
) -> tuple[torch.Tensor, list[Layer]]:
    """Forward pass, MSE loss and the hand-written backward pass, in one call."""
    output, cache = mlp_forward(X, layers, hidden_activation, output_activation)
    loss, d_output = mse_and_gradient(output, y)
    return loss, mlp_backward_layers(d_output, cache, layers)


def gradient_step(layers: Sequence[Layer], grads: Sequence[Layer], lr: float) -> list[Layer]:
    """New layers after one step of gradient descent, θ ← θ − lr·∇θ."""
    return [(W - lr * dW, b - lr * db) for (W, b), (dW, db) in zip(layers, grads, strict=True)]


def mlp_backward(X: ArrayLike, y: ArrayLike, params: Mapping[str, ArrayLike]) -> dict[str, torch.Tensor]:
    """Gradients of loss = mean((out − y)²) for the two-layer network of the exercises.

    params holds W1 (D, H), b1 (H,), W2 (H, 1), b2 (1,); h = relu(X·W1 + b1), out = h·W2 + b2,
    y has shape (N, 1). Returns a dict with the same keys and shapes. ReLU′(0) is taken as 0,
    as torch.autograd does.
    """
    X, y = as_tensor(X), as_tensor(y)
    W1, b1, W2, b2 = (as_tensor(params[name]) for name in ("W1", "b1", "W2", "b2"))
    a = X @ W1 + b1
    h = relu(a)
    out = h @ W2 + b2
    # Reverse pass, one line per node: out, then h, then a.
    d_out = 2.0 * (out - y) / out.numel()
    d_h = d_out @ W2.T
    d_a = d_h * relu_prime(a)
    return {"W1": X.T @ d_a, "b1": d_a.sum(dim=0), "W2": h.T @ d_out, "b2": d_out.sum(dim=0)}
