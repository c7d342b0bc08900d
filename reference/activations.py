"""Activation functions and their derivatives (CURRICULUM §2).

Each function accepts a tensor, a numpy array or a Python scalar/list and returns a ``float64``
tensor on :func:`reference.device.device`. Derivatives are written from the course's table
(f′ in terms of f where the table does so), not obtained by autograd.

Conventions at exactly 0, where the course's notes differ:

- ``step(0) = 1`` and ``sign(0) = +1`` (the "≥ 0" of the table);
- ``step`` and ``sign`` have derivative 0 everywhere (undefined at 0; 0 is returned there);
- ``relu_prime(0)`` is 0 by default (PyTorch's choice); ``at_zero=1`` gives the other notes' 1.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from reference.device import ArrayLike, as_tensor

Activation = Callable[[ArrayLike], torch.Tensor]


def linear(x: ArrayLike) -> torch.Tensor:
    """f(x) = x."""
    return as_tensor(x)


def linear_prime(x: ArrayLike) -> torch.Tensor:
    """f′(x) = 1."""
    return torch.ones_like(as_tensor(x))


def step(x: ArrayLike) -> torch.Tensor:
    """1 where x ≥ 0, else 0 (so step(0) = 1)."""
    x = as_tensor(x)
    return (x >= 0).to(x.dtype)


def step_prime(x: ArrayLike) -> torch.Tensor:
    """0 everywhere (the derivative is undefined at 0; 0 is returned there too)."""
    return torch.zeros_like(as_tensor(x))


def sign(x: ArrayLike) -> torch.Tensor:
    """+1 where x ≥ 0, else −1 (so sign(0) = +1, unlike ``torch.sign``)."""
    x = as_tensor(x)
    return torch.where(x >= 0, 1.0, -1.0).to(x.dtype)


def sign_prime(x: ArrayLike) -> torch.Tensor:
    """0 everywhere (undefined at 0; 0 is returned there too)."""
    return torch.zeros_like(as_tensor(x))


def sigmoid(x: ArrayLike) -> torch.Tensor:
    """Logistic function 1 / (1 + e^(−x)), exact and finite for any float64 input (±1000 too)."""
    x = as_tensor(x)
    # e^(−|x|) lies in (0, 1], so neither branch can overflow; the naive 1 / (1 + e^(−x)) does
    # overflow for x = −1000, and e^x / (1 + e^x) gives inf / inf = nan for x = +1000.
    z = torch.exp(-x.abs())
    return torch.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def sigmoid_prime(x: ArrayLike) -> torch.Tensor:
    """f′(x) = f(x)(1 − f(x))."""
    s = sigmoid(x)
    return s * (1.0 - s)


def tanh(x: ArrayLike) -> torch.Tensor:
    """(1 − e^(−2x)) / (1 + e^(−2x)), evaluated on |x| so that it cannot overflow."""
    x = as_tensor(x)
    z = -2.0 * x.abs()
    # expm1 keeps full precision for tiny x, where 1 − e^(−2|x|) would cancel.
    return torch.sign(x) * (-torch.expm1(z)) / (1.0 + torch.exp(z))


def tanh_prime(x: ArrayLike) -> torch.Tensor:
    """f′(x) = 1 − f(x)²."""
    return 1.0 - tanh(x) ** 2


def relu(x: ArrayLike) -> torch.Tensor:
    """max(0, x)."""
    return torch.clamp(as_tensor(x), min=0.0)


def relu_prime(x: ArrayLike, at_zero: float = 0.0) -> torch.Tensor:
    """1 for x > 0, 0 for x < 0, and ``at_zero`` (0 or 1, the two conventions) at exactly 0."""
    if at_zero not in (0, 1):
        raise ValueError(f"relu_prime: at_zero must be 0 or 1, got {at_zero!r}")
    x = as_tensor(x)
    return torch.where(x > 0, 1.0, torch.where(x < 0, 0.0, float(at_zero))).to(x.dtype)


def softmax(x: ArrayLike) -> torch.Tensor:
    """e^(x_k) / Σ_j e^(x_j) along the last axis; entries in [0, 1] that sum to 1.

    The row maximum is subtracted first: it cancels in the ratio and keeps every exponent ≤ 0,
    so inputs like ±1000 neither overflow nor give nan.
    """
    x = as_tensor(x)
    e = torch.exp(x - x.amax(dim=-1, keepdim=True))
    return e / e.sum(dim=-1, keepdim=True)


def softmax_jacobian(x: ArrayLike) -> torch.Tensor:
    """∂s_i/∂x_j = diag(s) − s sᵀ: shape (C, C) for x of shape (C,), (N, C, C) for (N, C)."""
    s = softmax(x)
    return torch.diag_embed(s) - s.unsqueeze(-1) * s.unsqueeze(-2)


ACTIVATIONS: dict[str, tuple[Activation, Activation]] = {
    "linear": (linear, linear_prime),
    "step": (step, step_prime),
    "sign": (sign, sign_prime),
    "sigmoid": (sigmoid, sigmoid_prime),
    "tanh": (tanh, tanh_prime),
    "relu": (relu, relu_prime),
}
"""Each element-wise activation by its course name, as (f, f′)."""


def activation(name: str) -> tuple[Activation, Activation]:
    """(f, f′) for a course name such as ``"sigmoid"``; a clear error for an unknown name."""
    try:
        return ACTIVATIONS[name]
    except KeyError:
        known = ", ".join(sorted(ACTIVATIONS))
        raise ValueError(f"unknown activation {name!r}; known: {known}") from None
