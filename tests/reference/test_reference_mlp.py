"""Hand-written MLP backprop against torch.autograd and finite differences (gradcheck)."""

from __future__ import annotations

import pytest
import torch
from torch.testing import assert_close

from reference import mlp

KEYS = ("W1", "b1", "W2", "b2")


def problem(dev: torch.device, n: int = 8, d: int = 3, h: int = 5, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    shapes = {"W1": (d, h), "b1": (h,), "W2": (h, 1), "b2": (1,)}
    params = {k: torch.randn(*s, generator=g, dtype=torch.float64).to(dev) for k, s in shapes.items()}
    X = torch.randn(n, d, generator=g, dtype=torch.float64).to(dev)
    y = torch.randn(n, 1, generator=g, dtype=torch.float64).to(dev)
    return X, y, params


def torch_loss(X, y, W1, b1, W2, b2):
    return ((torch.relu(X @ W1 + b1) @ W2 + b2 - y) ** 2).mean()


@pytest.mark.parametrize("seed", range(3))
def test_mlp_backward_matches_autograd(dev: torch.device, seed: int) -> None:
    X, y, params = problem(dev, seed=seed)
    leaves = [params[k].clone().requires_grad_(True) for k in KEYS]
    expected = dict(zip(KEYS, torch.autograd.grad(torch_loss(X, y, *leaves), leaves), strict=True))
    got = mlp.mlp_backward(X, y, params)
    assert set(got) == set(KEYS)
    for k in KEYS:
        assert got[k].shape == params[k].shape, f"{k}: {tuple(got[k].shape)} vs {tuple(params[k].shape)}"
        assert_close(got[k], expected[k], rtol=1e-12, atol=1e-13, msg=lambda m, k=k: f"{k}: {m}")


class ManualMLP(torch.autograd.Function):
    """The exercise's network with the reference's hand-written gradients as its backward."""

    @staticmethod
    def forward(ctx, X, y, W1, b1, W2, b2):
        ctx.save_for_backward(X, y, W1, b1, W2, b2)
        return torch_loss(X, y, W1, b1, W2, b2)

    @staticmethod
    def backward(ctx, grad_output):
        X, y, *weights = ctx.saved_tensors
        grads = mlp.mlp_backward(X, y, dict(zip(KEYS, weights, strict=True)))
        return (None, None, *(grad_output * grads[k] for k in KEYS))


def test_mlp_backward_passes_gradcheck(dev: torch.device) -> None:
    # gradcheck compares the hand-written backward with central finite differences.
    X, y, params = problem(dev, n=5, d=2, h=3, seed=7)
    weights = [params[k].clone().requires_grad_(True) for k in KEYS]
    assert torch.autograd.gradcheck(ManualMLP.apply, (X, y, *weights), eps=1e-6, atol=1e-8, rtol=1e-6)


@pytest.mark.parametrize(
    ("hidden", "output", "torch_hidden", "torch_output"),
    [
        ("relu", "linear", torch.relu, lambda z: z),
        ("tanh", "sigmoid", torch.tanh, torch.sigmoid),
        ("sigmoid", "linear", torch.sigmoid, lambda z: z),
    ],
)
def test_deep_mlp_matches_autograd(dev: torch.device, hidden, output, torch_hidden, torch_output) -> None:
    layers = mlp.init_mlp([4, 6, 5, 3, 2], seed=1)
    g = torch.Generator().manual_seed(2)
    X = torch.randn(10, 4, generator=g, dtype=torch.float64).to(dev)
    y = torch.randn(10, 2, generator=g, dtype=torch.float64).to(dev)
    loss, grads = mlp.mlp_loss_and_grads(X, y, layers, hidden, output)

    leaves = [t.clone().requires_grad_(True) for layer in layers for t in layer]
    A = X
    for i in range(0, len(leaves), 2):
        Z = A @ leaves[i] + leaves[i + 1]
        A = torch_output(Z) if i == len(leaves) - 2 else torch_hidden(Z)
    expected_loss = ((A - y) ** 2).mean()
    expected = torch.autograd.grad(expected_loss, leaves)
    assert_close(loss, expected_loss.detach(), rtol=1e-12, atol=0)
    got = [t for layer in grads for t in layer]
    for index, (a, b) in enumerate(zip(got, expected, strict=True)):
        assert_close(a, b, rtol=1e-11, atol=1e-13, msg=lambda m, i=index: f"tensor {i}: {m}")


def test_gradient_steps_reduce_the_loss(dev: torch.device) -> None:
    layers = mlp.init_mlp([2, 8, 1], seed=0)
    X = torch.linspace(-1, 1, 20, dtype=torch.float64).reshape(10, 2)
    y = (X[:, :1] * X[:, 1:]).to(dev)
    first, _ = mlp.mlp_loss_and_grads(X, y, layers, "tanh")
    for _ in range(200):
        loss, grads = mlp.mlp_loss_and_grads(X, y, layers, "tanh")
        layers = mlp.gradient_step(layers, grads, lr=0.1)
    assert loss < 0.5 * first, (first.item(), loss.item())


def test_init_scales_by_fan_in() -> None:
    ((W, b),) = mlp.init_mlp([400, 300], seed=0)
    assert W.shape == (400, 300) and b.abs().sum() == 0
    assert abs(W.std().item() - 400**-0.5) < 0.002, W.std().item()
    assert abs(W.mean().item()) < 0.001
