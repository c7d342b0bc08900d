"""Losses against torch.nn.functional and the worked numbers of the course."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.testing import assert_close

from reference import losses

RTOL, ATOL = 1e-12, 1e-12


def data(dev: torch.device, seed: int = 0) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    logits = 4 * torch.randn(6, 4, generator=g, dtype=torch.float64)
    return {
        name: t.to(dev)
        for name, t in {
            "y_pred": torch.randn(6, 4, generator=g, dtype=torch.float64),
            "y_true": torch.randn(6, 4, generator=g, dtype=torch.float64),
            "logits": logits,
            "probs": torch.rand(6, 4, generator=g, dtype=torch.float64) * 0.98 + 0.01,
            "bits": torch.randint(0, 2, (6, 4), generator=g).to(torch.float64),
            "labels": torch.randint(0, 4, (6,), generator=g),
        }.items()
    }


def test_worked_example_mse_and_mae() -> None:
    y_pred = np.array([[250, 300], [300, 400]])
    y_true = np.array([[100, 150], [400, 200]])
    assert losses.mse(y_pred, y_true).item() == 23750.0
    assert losses.mae(y_pred, y_true).item() == 150.0
    assert losses.sse(y_pred, y_true).item() == 95000.0
    assert losses.half_squared_error([3.0], [1.0]).item() == 2.0


def test_worked_example_categorical_cross_entropy() -> None:
    value = losses.categorical_cross_entropy([0.12, 0.48, 0.40], [0, 1, 0]).item()
    assert round(value, 4) == 0.7340, value
    assert losses.categorical_cross_entropy_indices([[0.12, 0.48, 0.40]], [1]).item() == pytest.approx(value, rel=1e-15)


def test_regression_losses_match_torch(dev: torch.device) -> None:
    d = data(dev)
    assert_close(losses.mse(d["y_pred"], d["y_true"]), F.mse_loss(d["y_pred"], d["y_true"]), rtol=RTOL, atol=ATOL)
    assert_close(losses.mae(d["y_pred"], d["y_true"]), F.l1_loss(d["y_pred"], d["y_true"]), rtol=RTOL, atol=ATOL)
    expected_sse = F.mse_loss(d["y_pred"], d["y_true"], reduction="sum")
    assert_close(losses.sse(d["y_pred"], d["y_true"]), expected_sse, rtol=RTOL, atol=ATOL)
    assert_close(losses.half_mse(d["y_pred"], d["y_true"]), expected_sse / (2 * 24), rtol=RTOL, atol=ATOL)


def test_binary_cross_entropy_matches_torch(dev: torch.device) -> None:
    d = data(dev)
    got = losses.binary_cross_entropy(d["probs"], d["bits"])
    assert_close(got, F.binary_cross_entropy(d["probs"], d["bits"]), rtol=RTOL, atol=ATOL)
    got = losses.binary_cross_entropy_with_logits(d["logits"], d["bits"])
    assert_close(got, F.binary_cross_entropy_with_logits(d["logits"], d["bits"]), rtol=RTOL, atol=ATOL)
    # Logits and probabilities are the same loss where σ(z) is not clamped.
    from_probs = losses.binary_cross_entropy(torch.sigmoid(d["logits"] / 4), d["bits"])
    assert_close(losses.binary_cross_entropy_with_logits(d["logits"] / 4, d["bits"]), from_probs, rtol=1e-10, atol=0)


def test_categorical_cross_entropy_matches_torch(dev: torch.device) -> None:
    d = data(dev)
    probs = torch.softmax(d["logits"], dim=-1)
    one_hot = F.one_hot(d["labels"], 4).to(torch.float64)
    expected = F.cross_entropy(d["logits"], d["labels"])
    assert_close(losses.categorical_cross_entropy(probs, one_hot), expected, rtol=1e-10, atol=0)
    assert_close(losses.categorical_cross_entropy_indices(probs, d["labels"]), expected, rtol=1e-10, atol=0)
    assert_close(losses.cross_entropy_from_logits(d["logits"], d["labels"]), expected, rtol=RTOL, atol=ATOL)
    soft = torch.softmax(d["y_true"], dim=-1)  # soft targets: torch accepts probabilities too
    assert_close(losses.categorical_cross_entropy(probs, soft), F.cross_entropy(d["logits"], soft), rtol=1e-10, atol=0)


def test_one_sample_is_a_batch_of_one() -> None:
    p, y = [0.2, 0.7, 0.1], [0.0, 0.0, 1.0]
    assert losses.categorical_cross_entropy(p, y).item() == losses.categorical_cross_entropy([p], [y]).item()


def test_cross_entropies_are_finite_at_certainty(dev: torch.device) -> None:
    wrong = {
        "bce": losses.binary_cross_entropy([0.0, 1.0], [1.0, 0.0]),
        "cce": losses.categorical_cross_entropy([[1.0, 0.0]], [[0.0, 1.0]]),
        "cce indices": losses.categorical_cross_entropy_indices([[1.0, 0.0]], [1]),
        "bce logits": losses.binary_cross_entropy_with_logits([1000.0, -1000.0], [0.0, 1.0]),
        "ce logits": losses.cross_entropy_from_logits([[1000.0, -1000.0]], [1]),
    }
    for name, value in wrong.items():
        assert torch.isfinite(value) and value.item() > 20, f"{name}: {value}"
    assert losses.binary_cross_entropy([0.0, 1.0], [0.0, 1.0]).item() < 1e-9
    assert losses.binary_cross_entropy_with_logits([1000.0, -1000.0], [1.0, 0.0]).item() == 0.0
    assert losses.cross_entropy_from_logits([[1000.0, -1000.0]], [1]).item() == 2000.0


def test_penalties_and_regularised_loss(dev: torch.device) -> None:
    weights = [np.array([[1.0, -2.0], [3.0, 0.5]]), torch.tensor([-1.0, 4.0])]
    assert losses.l2_penalty(weights, 0.1).item() == pytest.approx(0.1 * (1 + 4 + 9 + 0.25 + 1 + 16), rel=1e-15)
    assert losses.l1_penalty(weights, 0.5).item() == pytest.approx(0.5 * (1 + 2 + 3 + 0.5 + 1 + 4), rel=1e-15)
    assert losses.l2_penalty(np.array([[3.0, 4.0]]), 1.0).item() == 25.0  # one array, not its rows
    assert losses.l2_penalty([], 1.0).item() == 0.0
    assert losses.regularized_loss(2.0, weights, 0.1).item() == pytest.approx(2.0 + 3.125, rel=1e-15)
    assert losses.regularized_loss(2.0, weights, 0.5, penalty="l1").item() == pytest.approx(7.75, rel=1e-15)
    with pytest.raises(ValueError, match="penalty"):
        losses.regularized_loss(2.0, weights, 0.5, penalty="l3")


def test_penalty_gradient_matches_weight_decay(dev: torch.device) -> None:
    # d/dw of lam·Σw² is 2·lam·w, which is what SGD's weight_decay=2·lam adds to a gradient.
    w = torch.randn(5, dtype=torch.float64, device=dev, requires_grad=True)
    (grad,) = torch.autograd.grad(losses.l2_penalty([w], 0.3), w)
    decayed = w.detach().clone().requires_grad_(True)
    decayed.grad = torch.zeros_like(decayed)
    torch.optim.SGD([decayed], lr=1.0, weight_decay=0.6).step()
    assert_close(w.detach() - grad, decayed.detach(), rtol=RTOL, atol=ATOL)


def test_shape_mismatch_is_refused() -> None:
    with pytest.raises(ValueError, match="shapes differ"):
        losses.mse([1.0, 2.0], [[1.0, 2.0]])
