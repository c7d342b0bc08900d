"""The advection PINN loss: exact solution, hand-computed terms, finite differences."""

from __future__ import annotations

import math

import pytest
import torch
from torch.testing import assert_close

from reference.pinn import advection_exact, advection_loss, advection_loss_terms, sample_advection_points


def small_net(dtype: torch.dtype = torch.float64) -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1)).to(dtype)


def test_exact_solution_has_zero_loss(dev: torch.device) -> None:
    X_r, X_b, X_0 = sample_advection_points(64, 16, 16, seed=0)
    loss = advection_loss(advection_exact, X_r, X_b, X_0, u=1.0)
    assert loss.device.type == dev.type and loss.dtype == torch.float64
    assert loss.item() < 1e-24, loss.item()
    wrong_speed = advection_loss(lambda X: advection_exact(X, u=0.5), X_r, X_b, X_0, u=1.0)
    assert wrong_speed.item() > 1.0, "a solution for another speed must leave a residual"


def test_terms_match_a_hand_computation(dev: torch.device) -> None:
    # φ(t, x) = t·x² + 3t − x: φ_t = x² + 3, φ_x = 2tx − 1; all known in closed form.
    def phi(X: torch.Tensor) -> torch.Tensor:
        t, x = X[:, 0:1], X[:, 1:2]
        return t * x**2 + 3 * t - x

    X_r = torch.tensor([[0.5, 0.2], [0.1, 0.9], [0.7, 0.4]], dtype=torch.float64)
    X_b = torch.tensor([[0.3], [0.8]], dtype=torch.float64)
    X_0 = torch.tensor([[0.25], [0.6]], dtype=torch.float64)
    u = 2.0
    t, x = X_r[:, 0], X_r[:, 1]
    residual = ((x**2 + 3) + u * (2 * t * x - 1)) ** 2
    boundary = ((phi(torch.cat([X_b, 0 * X_b], 1)) - phi(torch.cat([X_b, 0 * X_b + 1], 1))) ** 2).mean()
    initial = ((-X_0 - torch.sin(2 * math.pi * X_0)) ** 2).mean()
    terms = advection_loss_terms(phi, X_r.numpy(), X_b, X_0, u)
    assert_close(terms.residual.cpu(), residual.mean(), rtol=1e-13, atol=0)
    assert_close(terms.boundary.cpu(), boundary, rtol=1e-13, atol=0)
    assert_close(terms.initial.cpu(), initial, rtol=1e-13, atol=0)
    assert_close(advection_loss(phi, X_r, X_b, X_0, u).cpu(), residual.mean() + boundary + initial, rtol=1e-13, atol=0)


def test_network_derivatives_match_finite_differences(dev: torch.device) -> None:
    net = small_net().to(dev)
    X_r, X_b, X_0 = sample_advection_points(20, 5, 5, seed=1)
    h = 1e-6
    with torch.no_grad():
        shift_t = torch.tensor([h, 0.0], dtype=torch.float64, device=dev)
        shift_x = torch.tensor([0.0, h], dtype=torch.float64, device=dev)
        phi_t = (net(X_r + shift_t) - net(X_r - shift_t)) / (2 * h)
        phi_x = (net(X_r + shift_x) - net(X_r - shift_x)) / (2 * h)
    expected = ((phi_t + 1.5 * phi_x) ** 2).mean()
    got = advection_loss_terms(net, X_r, X_b, X_0, u=1.5).residual
    assert_close(got, expected, rtol=1e-7, atol=1e-10)


def test_loss_trains_the_network(dev: torch.device) -> None:
    net = small_net().to(dev)
    X_r, X_b, X_0 = sample_advection_points(64, 16, 16, seed=2)
    loss = advection_loss(net, X_r, X_b, X_0)
    grads = torch.autograd.grad(loss, list(net.parameters()))
    assert all(torch.isfinite(g).all() for g in grads) and any(g.abs().sum() > 0 for g in grads)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-2)
    first = loss.item()
    for _ in range(60):
        optimizer.zero_grad()
        loss = advection_loss(net, X_r, X_b, X_0)
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.5 * first, (first, loss.item())


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_inputs_follow_the_models_dtype(dtype: torch.dtype) -> None:
    net = small_net(dtype)
    X_r, X_b, X_0 = sample_advection_points(8, 4, 4, seed=3)
    loss = advection_loss(net, X_r.cpu(), X_b.cpu(), X_0.cpu())
    assert loss.dtype == dtype and torch.isfinite(loss)
