"""Binary classification metrics from the confusion matrix."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from reference import metrics

Y_TRUE = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0]
Y_PRED = [1, 1, 1, 0, 1, 1, 0, 0, 0, 0]  # TP 3, FN 1, FP 2, TN 4


def test_confusion_matrix_layout(dev: torch.device) -> None:
    cm = metrics.confusion_matrix(Y_TRUE, Y_PRED)
    assert cm.tolist() == [[3, 1], [2, 4]]
    assert cm.dtype == torch.int64 and cm.device.type == dev.type


def test_rates_by_hand(dev: torch.device) -> None:
    expected = {
        "accuracy": 7 / 10,
        "recall": 3 / 4,
        "fnr": 1 / 4,
        "specificity": 4 / 6,
        "fpr": 2 / 6,
        "precision": 3 / 5,
        "npv": 4 / 5,
    }
    got = {name: value.item() for name, value in metrics.all_metrics(np.array(Y_TRUE), torch.tensor(Y_PRED)).items()}
    assert got == pytest.approx(expected, rel=1e-15)
    assert metrics.sensitivity is metrics.tpr is metrics.recall and metrics.ppv is metrics.precision


def test_against_counting_loops() -> None:
    rng = np.random.default_rng(0)
    for _ in range(50):
        n = int(rng.integers(1, 30))
        y_true, y_pred = rng.integers(0, 2, n), rng.integers(0, 2, n)
        tp = sum(int(t == 1 and p == 1) for t, p in zip(y_true, y_pred, strict=True))
        fn = sum(int(t == 1 and p == 0) for t, p in zip(y_true, y_pred, strict=True))
        fp = sum(int(t == 0 and p == 1) for t, p in zip(y_true, y_pred, strict=True))
        tn = n - tp - fn - fp
        assert metrics.confusion_matrix(y_true, y_pred).tolist() == [[tp, fn], [fp, tn]]
        ratio = lambda a, b: a / b if b else 0.0  # noqa: E731
        assert metrics.precision(y_true, y_pred).item() == pytest.approx(ratio(tp, tp + fp), rel=1e-15)
        assert metrics.npv(y_true, y_pred).item() == pytest.approx(ratio(tn, tn + fn), rel=1e-15)


def test_zero_denominators_give_zero() -> None:
    all_negative = metrics.all_metrics([0, 0, 0], [0, 0, 0])  # no real and no predicted positives
    assert all_negative["accuracy"].item() == 1.0 and all_negative["specificity"].item() == 1.0
    for name in ("recall", "fnr", "precision", "fpr"):
        assert all_negative[name].item() == 0.0, f"{name}: {all_negative[name]}"
    all_positive = metrics.all_metrics([1, 1], [1, 1])
    for name in ("specificity", "fpr", "npv"):
        assert all_positive[name].item() == 0.0, f"{name}: {all_positive[name]}"
    assert torch.isfinite(torch.stack(list(all_negative.values()))).all()


@pytest.mark.parametrize(
    ("y_true", "y_pred", "message"),
    [([0, 2], [0, 1], "only 0 and 1"), ([[0, 1]], [[0, 1]], "1-D"), ([0, 1, 1], [0, 1], "3 labels")],
)
def test_bad_labels_are_refused(y_true, y_pred, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        metrics.confusion_matrix(y_true, y_pred)
