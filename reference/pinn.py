"""A physics-informed network's loss for 1-D advection (CURRICULUM §9).

The problem: φ_t + u·φ_x = 0 on (0, 1) × (0, 1), periodic in x (φ(t, 0) = φ(t, 1)), with
φ(0, x) = sin(2πx). Its exact solution is φ(t, x) = sin(2π(x − u·t)). The network maps rows
(t, x) to φ; its derivatives come from ``torch.autograd``, kept in the graph so that the loss
can itself be differentiated for training.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

from reference.device import DTYPE, ArrayLike, as_tensor, cpu_generator

Model = Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class AdvectionLoss:
    """The three mean squared terms; ``total`` is their sum."""

    residual: torch.Tensor
    boundary: torch.Tensor
    initial: torch.Tensor

    @property
    def total(self) -> torch.Tensor:
        return self.residual + self.boundary + self.initial


def _placement(model: Model) -> tuple[torch.dtype | None, torch.device | None]:
    # A float32 network cannot take float64 inputs, so inputs follow the model's parameters;
    # a plain function (no parameters) gets the reference's float64 on device().
    parameters = getattr(model, "parameters", None)
    if callable(parameters):
        first = next(iter(parameters()), None)
        if first is not None:
            return first.dtype, first.device
    return None, None


def advection_loss_terms(model: Model, X_r: ArrayLike, X_b: ArrayLike, X_0: ArrayLike, u: float = 1.0) -> AdvectionLoss:
    """The residual, boundary and initial terms of :func:`advection_loss`, separately."""
    dtype, dev = _placement(model)
    dtype = dtype or DTYPE

    def points(x: ArrayLike) -> torch.Tensor:
        t = as_tensor(x, dtype)
        return t.to(dev) if dev is not None else t

    X_r = points(X_r).detach().requires_grad_(True)
    t_b, x_0 = points(X_b).reshape(-1, 1), points(X_0).reshape(-1, 1)

    phi = model(X_r)
    # The sum's gradient row by row is each point's (φ_t, φ_x), since φ at one point does not
    # depend on the others; create_graph keeps it differentiable w.r.t. the weights.
    (d_phi,) = torch.autograd.grad(phi.sum(), X_r, create_graph=True)
    residual = d_phi[:, 0] + u * d_phi[:, 1]

    zeros, ones = torch.zeros_like(t_b), torch.ones_like(t_b)
    boundary = model(torch.cat([t_b, zeros], dim=1)) - model(torch.cat([t_b, ones], dim=1))
    initial = model(torch.cat([torch.zeros_like(x_0), x_0], dim=1)) - torch.sin(2 * math.pi * x_0)
    return AdvectionLoss((residual**2).mean(), (boundary**2).mean(), (initial**2).mean())


def advection_loss(model: Model, X_r: ArrayLike, X_b: ArrayLike, X_0: ArrayLike, u: float = 1.0) -> torch.Tensor:
    """mean((φ_t + u·φ_x)²) + mean((φ(t, 0) − φ(t, 1))²) + mean((φ(0, x) − sin(2πx))²).

    X_r (N, 2): collocation points as columns (t, x); X_b (M, 1): boundary times; X_0 (K, 1):
    initial positions; ``model`` maps (·, 2) tensors to (·, 1). Points are cast to the model's
    parameter dtype and device when it has parameters (an ``nn.Module``), else to float64 on
    :func:`reference.device.device`. Returns a 0-d tensor that can be back-propagated.
    """
    return advection_loss_terms(model, X_r, X_b, X_0, u).total


def advection_exact(X: ArrayLike, u: float = 1.0) -> torch.Tensor:
    """The exact solution sin(2π(x − u·t)) at rows (t, x), shape (N, 1): its loss is 0."""
    X = as_tensor(X)
    return torch.sin(2 * math.pi * (X[:, 1:2] - u * X[:, 0:1]))


def sample_advection_points(
    n_residual: int, n_boundary: int, n_initial: int, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Uniform random (X_r (N, 2), X_b (M, 1), X_0 (K, 1)) on the unit square, seeded."""
    generator = cpu_generator(seed)

    def draw(*shape: int) -> torch.Tensor:
        return as_tensor(torch.rand(shape, generator=generator, dtype=DTYPE))

    return draw(n_residual, 2), draw(n_boundary, 1), draw(n_initial, 1)
