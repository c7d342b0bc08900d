"""Dropout and early stopping."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.testing import assert_close

from reference.regularization import dropout, dropout_mask, early_stopping_epoch, keep_prob_from_drop_prob


@pytest.mark.parametrize("keep_prob", [0.3, 0.8, 1.0])
def test_dropout_statistics(dev: torch.device, keep_prob: float) -> None:
    x = torch.full((200, 500), 2.0, dtype=torch.float64)
    out = dropout(x, keep_prob, seed=0)
    kept = out != 0
    assert out.device.type == dev.type
    assert abs(kept.double().mean().item() - keep_prob) < 0.01, kept.double().mean().item()
    assert torch.all(out[kept] == 2.0 / keep_prob), "kept units must be scaled by 1/keep_prob"
    assert abs(out.mean().item() - 2.0) < 0.03, f"expectation not preserved: {out.mean().item()}"


def test_dropout_agrees_with_torch_in_distribution(dev: torch.device) -> None:
    # Random streams differ; what must agree is the law: same fraction kept, same scaling.
    x = torch.rand(300, 300, dtype=torch.float64, generator=torch.Generator().manual_seed(1)).add(0.5).to(dev)
    keep = keep_prob_from_drop_prob(0.4)
    ours, theirs = dropout(x, keep, seed=1), F.dropout(x, p=0.4, training=True)
    for name, out in {"reference": ours, "torch": theirs}.items():
        kept = out != 0
        assert_close(out[kept], x[kept] / keep, rtol=1e-15, atol=0, msg=lambda m, n=name: f"{n}: {m}")
    assert abs((ours != 0).double().mean().item() - (theirs != 0).double().mean().item()) < 0.01


def test_dropout_is_identity_when_not_training(dev: torch.device) -> None:
    x = np.arange(12.0).reshape(3, 4)
    assert torch.equal(dropout(x, 0.5, seed=0, training=False).cpu(), torch.from_numpy(x))
    assert torch.equal(dropout(x, 1.0, seed=0).cpu(), torch.from_numpy(x))


def test_dropout_is_seeded_and_device_independent(dev: torch.device) -> None:
    a, b, c = dropout_mask((50,), 0.5, 7), dropout_mask((50,), 0.5, 7), dropout_mask((50,), 0.5, 8)
    assert torch.equal(a, b) and not torch.equal(a, c)
    generator = torch.Generator().manual_seed(7)
    expected = (torch.rand(50, generator=generator, dtype=torch.float64) < 0.5).double()
    assert torch.equal(a.cpu(), expected)
    from_numpy = dropout_mask((50,), 0.5, np.random.default_rng(7))
    assert torch.equal(from_numpy.cpu(), torch.from_numpy(np.random.default_rng(7).random(50) < 0.5).double())


@pytest.mark.parametrize("keep_prob", [0.0, -0.1, 1.5])
def test_dropout_refuses_impossible_keep_probabilities(keep_prob: float) -> None:
    with pytest.raises(ValueError, match="keep_prob"):
        dropout([1.0, 2.0], keep_prob, seed=0)


@pytest.mark.parametrize(
    ("losses", "patience", "expected"),
    [
        ([1.0, 0.9, 0.8, 0.85, 0.86, 0.87, 0.7], 3, 5),  # best at 2; 5 − 2 = 3
        ([1.0, 0.9, 0.8, 0.85, 0.86, 0.7, 0.75], 3, 6),  # improved at 5 in time: run ends
        ([1.0, 1.0, 1.0], 2, 2),  # a tie is no improvement
        ([1.0, 1.0, 1.0], 5, 2),  # never triggered: last epoch
        ([3.0, 2.0, 1.0], 1, 2),
        ([3.0, 4.0, 5.0], 1, 1),
        ([0.5], 1, 0),
        (np.array([2.0, 1.0, 1.5, 1.2, 0.9, 1.0, 1.0]), 2, 3),  # best at 1; 3 − 1 = 2
        (np.array([2.0, 1.0, 1.5, 0.9, 1.2, 0.8, 1.0]), 2, 6),
        ([2.0, 1.0], 0, 0),  # patience 0 stops at once, by the definition
    ],
)
def test_early_stopping_epoch(losses, patience: int, expected: int) -> None:
    assert early_stopping_epoch(losses, patience) == expected


def test_early_stopping_matches_a_plain_loop() -> None:
    rng = np.random.default_rng(0)
    for _ in range(200):
        losses = rng.integers(0, 5, size=rng.integers(1, 12)).astype(float)
        patience = int(rng.integers(1, 4))
        best, stop = np.inf, len(losses) - 1
        since = 0
        for epoch, loss in enumerate(losses):
            since = 0 if loss < best else since + 1
            best = min(best, loss)
            if since >= patience:
                stop = epoch
                break
        assert early_stopping_epoch(losses, patience) == stop, (losses.tolist(), patience)


def test_early_stopping_needs_losses() -> None:
    with pytest.raises(ValueError, match="no validation losses"):
        early_stopping_epoch([], 2)
