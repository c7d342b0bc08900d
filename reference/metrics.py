"""Evaluation metrics for binary classification (CURRICULUM §8).

Labels are 1-D in {0, 1}, 1 being the positive class. The confusion matrix is laid out as
[[TP, FN], [FP, TN]]: the first row holds the real positives P = TP + FN, the second the real
negatives N = FP + TN.

Every rate is a ratio of counts; when its denominator is 0 (no real positives, say) the rate is
0.0. This holds for FNR and FPR too, which are computed as FN/P and FP/N rather than as 1 − TPR
and 1 − TNR (those would give 1.0 on an empty class). Rates are ``float64`` 0-d tensors and the
matrix an ``int64`` tensor, on :func:`reference.device.device`.
"""

from __future__ import annotations

import torch

from reference.device import ArrayLike, as_tensor


def _labels(y: ArrayLike, name: str) -> torch.Tensor:
    y = as_tensor(y)
    if y.dim() != 1:
        raise ValueError(f"{name} must be 1-D, got shape {tuple(y.shape)}")
    if not bool(((y == 0) | (y == 1)).all()):
        raise ValueError(f"{name} must contain only 0 and 1")
    return y == 1


def confusion_matrix(y_true: ArrayLike, y_pred: ArrayLike) -> torch.Tensor:
    """[[TP, FN], [FP, TN]] as an int64 (2, 2) tensor."""
    real, predicted = _labels(y_true, "y_true"), _labels(y_pred, "y_pred")
    if real.shape != predicted.shape:
        raise ValueError(f"y_true has {len(real)} labels but y_pred has {len(predicted)}")
    tp = (real & predicted).sum()
    fn = (real & ~predicted).sum()
    fp = (~real & predicted).sum()
    tn = (~real & ~predicted).sum()
    return torch.stack([torch.stack([tp, fn]), torch.stack([fp, tn])]).to(torch.int64)


def _ratio(numerator: torch.Tensor, denominator: torch.Tensor) -> torch.Tensor:
    numerator, denominator = as_tensor(numerator), as_tensor(denominator)
    return torch.where(denominator == 0, 0.0, numerator / torch.where(denominator == 0, 1.0, denominator))


def _counts(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[torch.Tensor, ...]:
    (tp, fn), (fp, tn) = confusion_matrix(y_true, y_pred)
    return tp, fn, fp, tn


def accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> torch.Tensor:
    """(TP + TN)/(P + N)."""
    tp, fn, fp, tn = _counts(y_true, y_pred)
    return _ratio(tp + tn, tp + fn + fp + tn)


def recall(y_true: ArrayLike, y_pred: ArrayLike) -> torch.Tensor:
    """Recall = sensitivity = TPR = TP/P."""
    tp, fn, _, _ = _counts(y_true, y_pred)
    return _ratio(tp, tp + fn)


def false_negative_rate(y_true: ArrayLike, y_pred: ArrayLike) -> torch.Tensor:
    """FNR = FN/P (= 1 − TPR when P > 0)."""
    tp, fn, _, _ = _counts(y_true, y_pred)
    return _ratio(fn, tp + fn)


def specificity(y_true: ArrayLike, y_pred: ArrayLike) -> torch.Tensor:
    """Specificity = TNR = TN/N."""
    _, _, fp, tn = _counts(y_true, y_pred)
    return _ratio(tn, fp + tn)


def false_positive_rate(y_true: ArrayLike, y_pred: ArrayLike) -> torch.Tensor:
    """FPR = FP/N (= 1 − TNR when N > 0)."""
    _, _, fp, tn = _counts(y_true, y_pred)
    return _ratio(fp, fp + tn)


def precision(y_true: ArrayLike, y_pred: ArrayLike) -> torch.Tensor:
    """Precision = PPV = TP/(TP + FP)."""
    tp, _, fp, _ = _counts(y_true, y_pred)
    return _ratio(tp, tp + fp)


def npv(y_true: ArrayLike, y_pred: ArrayLike) -> torch.Tensor:
    """Negative predictive value TN/(TN + FN)."""
    _, fn, _, tn = _counts(y_true, y_pred)
    return _ratio(tn, tn + fn)


sensitivity = tpr = recall
tnr = specificity
ppv = precision
fnr = false_negative_rate
fpr = false_positive_rate


def all_metrics(y_true: ArrayLike, y_pred: ArrayLike) -> dict[str, torch.Tensor]:
    """Every rate above by its short name, from one pair of label vectors."""
    functions = {
        "accuracy": accuracy,
        "recall": recall,
        "fnr": false_negative_rate,
        "specificity": specificity,
        "fpr": false_positive_rate,
        "precision": precision,
        "npv": npv,
    }
    return {name: f(y_true, y_pred) for name, f in functions.items()}
