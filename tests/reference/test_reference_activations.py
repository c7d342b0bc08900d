"""Activations and derivatives against torch and finite differences."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from torch.testing import assert_close

from reference import activations as act

RTOL, ATOL = 1e-12, 1e-12


def randn(dev: torch.device, *shape: int, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return (3 * torch.randn(*shape, generator=generator, dtype=torch.float64)).to(dev)


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (act.sigmoid, torch.sigmoid),
        (act.tanh, torch.tanh),
        (act.relu, torch.relu),
        (act.linear, lambda x: x),
        (act.softmax, lambda x: torch.softmax(x, dim=-1)),
    ],
    ids=["sigmoid", "tanh", "relu", "linear", "softmax"],
)
def test_values_match_torch(dev: torch.device, ours, theirs) -> None:
    x = randn(dev, 7, 5)
    got = ours(x)
    assert got.dtype == torch.float64 and got.device.type == dev.type
    assert_close(got, theirs(x), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "linear"])
def test_derivatives_match_autograd(dev: torch.device, name: str) -> None:
    f, f_prime = act.ACTIVATIONS[name]
    x = randn(dev, 50, seed=1).requires_grad_(True)
    (expected,) = torch.autograd.grad(f(x).sum(), x)
    assert_close(f_prime(x.detach()), expected, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "linear"])
def test_derivatives_match_finite_differences(dev: torch.device, name: str) -> None:
    f, f_prime = act.ACTIVATIONS[name]
    x = randn(dev, 50, seed=2)
    x = x[x.abs() > 1e-3]  # away from ReLU's kink
    h = 1e-6
    central = (f(x + h) - f(x - h)) / (2 * h)
    assert_close(f_prime(x), central, rtol=1e-6, atol=1e-8)


def test_step_and_sign_conventions_at_zero() -> None:
    x = [-2.0, -0.0, 0.0, 1e-300, 3.0]
    assert act.step(x).tolist() == [0.0, 1.0, 1.0, 1.0, 1.0]
    assert act.sign(x).tolist() == [-1.0, 1.0, 1.0, 1.0, 1.0]
    assert act.step_prime(x).tolist() == [0.0] * 5
    assert act.sign_prime(x).tolist() == [0.0] * 5
    assert act.sign(0.0).item() == 1.0 and torch.sign(torch.tensor(0.0)).item() == 0.0  # the trap


def test_relu_prime_conventions() -> None:
    x = [-1.0, 0.0, 2.0]
    assert act.relu_prime(x).tolist() == [0.0, 0.0, 1.0]
    assert act.relu_prime(x, at_zero=1).tolist() == [0.0, 1.0, 1.0]
    with pytest.raises(ValueError, match="at_zero"):
        act.relu_prime(x, at_zero=0.5)


def test_tanh_keeps_precision_near_zero() -> None:
    x = torch.tensor([1e-300, -1e-20, 1e-9], dtype=torch.float64)
    assert_close(act.tanh(x), torch.tanh(x), rtol=1e-15, atol=0.0)


@pytest.mark.parametrize("source", [np.array, list, torch.tensor])
def test_extremes_are_exact_and_silent(dev: torch.device, source) -> None:
    x = source([-1000.0, -745.0, 0.0, 745.0, 1000.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s, t, p = act.sigmoid(x), act.tanh(x), act.sigmoid_prime(x)
    for name, value in {"sigmoid": s, "tanh": t, "sigmoid'": p}.items():
        assert torch.isfinite(value).all(), f"{name} not finite at ±1000: {value}"
    assert s[0].item() == 0.0 and s[-1].item() == 1.0 and s[2].item() == 0.5
    assert t[0].item() == -1.0 and t[-1].item() == 1.0
    reference = torch.sigmoid(torch.tensor([-1000.0, -745.0, 0.0, 745.0, 1000.0], dtype=torch.float64))
    assert_close(s.cpu(), reference, rtol=1e-12, atol=1e-300)  # torch flushes e^-745 to 0


def test_softmax_is_stable_and_normalised(dev: torch.device) -> None:
    x = torch.tensor([[1000.0, 0.0, -1000.0], [1000.0, 1000.0, 1000.0], [-1000.0, -1000.0, -999.0]])
    s = act.softmax(x)
    assert torch.isfinite(s).all(), s
    assert_close(s.sum(dim=-1), torch.ones(3, dtype=torch.float64, device=dev), rtol=0.0, atol=1e-15)
    assert_close(s, torch.softmax(x.to(dev, torch.float64), dim=-1), rtol=1e-12, atol=1e-300)
    assert s[0].tolist() == [1.0, 0.0, 0.0]


@pytest.mark.parametrize("shape", [(4,), (3, 5)])
def test_softmax_jacobian_matches_autograd(dev: torch.device, shape: tuple[int, ...]) -> None:
    x = randn(dev, *shape, seed=3)
    jacobian = act.softmax_jacobian(x)
    rows = x.reshape(-1, shape[-1])
    expected = torch.stack([torch.autograd.functional.jacobian(lambda r: torch.softmax(r, -1), r) for r in rows])
    assert jacobian.shape == (*shape, shape[-1])
    assert_close(jacobian.reshape(expected.shape), expected, rtol=1e-12, atol=1e-14)


def test_unknown_activation_is_named() -> None:
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        act.activation("swish")
