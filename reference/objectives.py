"""Functions to optimise (CURRICULUM §6): the landscapes optimiser trajectories are compared on.

Each comes with its gradient written out, so a trajectory needs no autograd. Inputs are tensors,
arrays or lists; results are ``float64`` tensors on :func:`reference.device.device`.
"""

from __future__ import annotations

import torch

from reference.device import ArrayLike, as_tensor


def bowl(w: ArrayLike, scales: ArrayLike = (1.0, 10.0)) -> torch.Tensor:
    """½ Σ scales_i · w_i²: a quadratic bowl, elongated when the scales differ (ill-conditioned)."""
    w = as_tensor(w)
    return 0.5 * (as_tensor(scales) * w**2).sum(dim=-1)


def bowl_grad(w: ArrayLike, scales: ArrayLike = (1.0, 10.0)) -> torch.Tensor:
    """∇ bowl = scales ⊙ w."""
    return as_tensor(scales) * as_tensor(w)


def rosenbrock(w: ArrayLike, a: float = 1.0, b: float = 100.0) -> torch.Tensor:
    """(a − x)² + b(y − x²)² at w = (x, y): a curved valley with its minimum at (a, a²)."""
    w = as_tensor(w)
    x, y = w[..., 0], w[..., 1]
    return (a - x) ** 2 + b * (y - x**2) ** 2


def rosenbrock_grad(w: ArrayLike, a: float = 1.0, b: float = 100.0) -> torch.Tensor:
    """∇ rosenbrock = (−2(a − x) − 4b·x(y − x²), 2b(y − x²))."""
    w = as_tensor(w)
    x, y = w[..., 0], w[..., 1]
    return torch.stack([-2 * (a - x) - 4 * b * x * (y - x**2), 2 * b * (y - x**2)], dim=-1)
