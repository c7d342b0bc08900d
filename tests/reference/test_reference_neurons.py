"""Threshold units, gates and the perceptron."""

from __future__ import annotations

import pytest
import torch
from torch.testing import assert_close

from reference import neurons
from reference.neurons import BINARY_INPUTS

TRUTH = {"and": [0, 0, 0, 1], "or": [0, 1, 1, 1], "and_not": [0, 0, 1, 0], "xor": [0, 1, 1, 0]}
GATE_FUNCTIONS = {
    "and": neurons.and_gate,
    "or": neurons.or_gate,
    "and_not": neurons.and_not_gate,
    "xor": neurons.xor_gate,
}


@pytest.mark.parametrize("name", sorted(TRUTH))
def test_gates_reproduce_truth_tables(dev: torch.device, name: str) -> None:
    table = GATE_FUNCTIONS[name](BINARY_INPUTS)
    assert table.device.type == dev.type
    assert table.tolist() == TRUTH[name]
    one_by_one = [GATE_FUNCTIONS[name](row).item() for row in BINARY_INPUTS]
    assert one_by_one == TRUTH[name]


def test_threshold_unit_fires_at_the_threshold() -> None:
    assert neurons.threshold_unit([1.0, 1.0], 2.0, [1.0, 1.0]).item() == 1.0
    assert neurons.threshold_unit([1.0, 1.0], 2.0 + 1e-12, [1.0, 1.0]).item() == 0.0
    assert neurons.threshold_unit([2.0, -1.0], 0.0, [[0.0, 0.0], [0.0, 1.0]]).tolist() == [1.0, 0.0]


def test_perceptron_output_uses_strictly_positive(dev: torch.device) -> None:
    w, b = [1.0, -1.0], 0.0
    X = [[1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]  # w·x + b = 1, 0, −1
    assert neurons.perceptron_output(w, b, X).tolist() == [1.0, -1.0, -1.0]
    assert neurons.perceptron_output(w, b, X[0]).item() == 1.0
    assert neurons.perceptron_output(w, b, X[1]).dim() == 0


def test_perceptron_update_follows_the_rule(dev: torch.device) -> None:
    w, b = torch.tensor([0.5, -1.0]), torch.tensor(0.25)
    x = [1.0, 2.0]  # w·x + b = −1.25 → o = −1
    new_w, new_b = neurons.perceptron_update(w, b, x, 1.0, 0.1)
    assert_close(new_w.cpu(), torch.tensor([0.7, -0.6], dtype=torch.float64), rtol=0, atol=1e-15)
    assert new_b.item() == pytest.approx(0.45, abs=1e-15)
    same_w, same_b = neurons.perceptron_update(w, b, x, -1.0, 0.1)  # already right: unchanged
    assert same_w.tolist() == [0.5, -1.0] and same_b.item() == 0.25


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "linear"])
def test_squared_error_update_is_a_gradient_step(dev: torch.device, name: str) -> None:
    f = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "linear": lambda a: a}[name]
    g = torch.Generator().manual_seed(4)
    w = torch.randn(4, generator=g, dtype=torch.float64).to(dev)
    x = torch.randn(3, generator=g, dtype=torch.float64).to(dev)
    y, lr = 0.3, 0.05
    w_leaf = w.clone().requires_grad_(True)
    a = w_leaf[0] + w_leaf[1:] @ x  # bias folded in as x0 = 1
    (grad,) = torch.autograd.grad(0.5 * (y - f(a)) ** 2, w_leaf)
    got = neurons.squared_error_update(w, x, y, lr, name)
    assert_close(got, w - lr * grad, rtol=1e-12, atol=1e-14)


def test_trainer_converges_on_separable_data(dev: torch.device) -> None:
    for name in ("and", "or", "and_not"):
        y = [2.0 * t - 1.0 for t in TRUTH[name]]
        fit = neurons.train_perceptron(BINARY_INPUTS, y, lr=0.5, epochs=50)
        assert fit.converged, f"{name}: mistakes per epoch {fit.mistakes}"
        assert neurons.perceptron_output(fit.w, fit.b, BINARY_INPUTS).tolist() == y
        assert fit.mistakes[-1] == 0 and fit.epochs == len(fit.mistakes)

    g = torch.Generator().manual_seed(0)
    X = torch.randn(200, 3, generator=g, dtype=torch.float64)
    direction = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    X = X[(X @ direction).abs() > 0.3]  # a margin keeps the number of updates small
    y = torch.where(X @ direction > 0, 1.0, -1.0)
    fit = neurons.train_perceptron(X, y, lr=1.0, epochs=100)
    assert fit.converged, f"mistakes per epoch {fit.mistakes}"
    assert bool((neurons.perceptron_output(fit.w, fit.b, X) == y.to(dev)).all())


def test_trainer_reports_non_convergence_on_xor() -> None:
    fit = neurons.train_perceptron(BINARY_INPUTS, [-1.0, 1.0, 1.0, -1.0], lr=1.0, epochs=30)
    assert not fit.converged
    assert fit.epochs == 30 and min(fit.mistakes) > 0


def test_trainer_refuses_zero_one_labels() -> None:
    with pytest.raises(ValueError, match="-1 or \\+1"):
        neurons.train_perceptron(BINARY_INPUTS, TRUTH["and"])
