"""Loss (cost) functions and weight penalties (CURRICULUM §3).

Arguments come as ``(y_pred, y_true)``, the order of the course's exercises (PyTorch's
``F.mse_loss(input, target)`` has the same order). Inputs may be tensors, numpy arrays or Python
lists; results are ``float64`` 0-d tensors on :func:`reference.device.device`.

Means run over all elements unless a docstring says otherwise. The probability forms of the
cross-entropies clamp probabilities to ``[eps, 1 − eps]`` before taking logs, so that a
prediction of exactly 0 or 1 gives a large but finite loss instead of inf or nan. Within that
interval the clamp changes nothing; the constant itself is not part of the course and no test
should depend on it (PyTorch instead clamps each log at −100).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from reference.device import ArrayLike, as_tensor

EPS = 1e-12
"""Default probability clamp of the cross-entropies (finite at exactly 0 and 1)."""


def _pair(y_pred: ArrayLike, y_true: ArrayLike) -> tuple[torch.Tensor, torch.Tensor]:
    y_pred, y_true = as_tensor(y_pred), as_tensor(y_true)
    if y_pred.shape != y_true.shape:
        raise ValueError(f"shapes differ: y_pred {tuple(y_pred.shape)}, y_true {tuple(y_true.shape)}")
    return y_pred, y_true


def sse(y_pred: ArrayLike, y_true: ArrayLike) -> torch.Tensor:
    """Sum of squared errors Σ (y − ŷ)²."""
    y_pred, y_true = _pair(y_pred, y_true)
    return ((y_true - y_pred) ** 2).sum()


def half_squared_error(y_pred: ArrayLike, y_true: ArrayLike) -> torch.Tensor:
    """½ e² with e = y − ŷ (the perceptron's J), summed when given several errors."""
    return 0.5 * sse(y_pred, y_true)


def mse(y_pred: ArrayLike, y_true: ArrayLike) -> torch.Tensor:
    """Mean squared error (1/n) Σ (y − ŷ)² over all n elements."""
    y_pred, y_true = _pair(y_pred, y_true)
    return ((y_true - y_pred) ** 2).mean()


def half_mse(y_pred: ArrayLike, y_true: ArrayLike) -> torch.Tensor:
    """(1/2N) Σ (y − ŷ)², the form one set of notes pairs with λ‖w‖²."""
    return 0.5 * mse(y_pred, y_true)


def mae(y_pred: ArrayLike, y_true: ArrayLike) -> torch.Tensor:
    """Mean absolute error (1/n) Σ |y − ŷ| over all n elements."""
    y_pred, y_true = _pair(y_pred, y_true)
    return (y_true - y_pred).abs().mean()


def binary_cross_entropy(y_pred: ArrayLike, y_true: ArrayLike, eps: float = EPS) -> torch.Tensor:
    """Mean of −y log ŷ − (1 − y) log(1 − ŷ), from probabilities ŷ (clamped to [eps, 1 − eps])."""
    y_pred, y_true = _pair(y_pred, y_true)
    p = y_pred.clamp(eps, 1.0 - eps)
    return -(y_true * torch.log(p) + (1.0 - y_true) * torch.log1p(-p)).mean()


def binary_cross_entropy_with_logits(logits: ArrayLike, y_true: ArrayLike) -> torch.Tensor:
    """Mean BCE of σ(z) against y, from logits z, with no clamp needed.

    −y log σ(z) − (1 − y) log(1 − σ(z)) = max(z, 0) − y z + log(1 + e^(−|z|)), which never
    exponentiates a positive number.
    """
    z, y_true = _pair(logits, y_true)
    return (z.clamp(min=0.0) - y_true * z + torch.log1p(torch.exp(-z.abs()))).mean()


def categorical_cross_entropy(y_pred: ArrayLike, y_true: ArrayLike, eps: float = EPS) -> torch.Tensor:
    """Mean over samples of −Σ_k y_k log ŷ_k, with one-hot (or soft) targets.

    ``y_pred`` and ``y_true`` have shape (N, C), or (C,) for one sample. Probabilities are
    clamped below at ``eps`` (a zero probability on the true class gives a finite loss).
    """
    y_pred, y_true = _pair(y_pred, y_true)
    per_sample = -(y_true * torch.log(y_pred.clamp(min=eps))).sum(dim=-1)
    return per_sample.mean()


def categorical_cross_entropy_indices(y_pred: ArrayLike, labels: ArrayLike, eps: float = EPS) -> torch.Tensor:
    """Mean of −log ŷ[label] from probabilities (N, C) and class indices (N,) in {0, …, C−1}."""
    y_pred = as_tensor(y_pred)
    labels = as_tensor(labels, dtype=torch.long)
    picked = y_pred.gather(-1, labels.unsqueeze(-1)).squeeze(-1)
    return -torch.log(picked.clamp(min=eps)).mean()


def cross_entropy_from_logits(logits: ArrayLike, labels: ArrayLike) -> torch.Tensor:
    """Softmax followed by categorical CE, from logits (N, C) and class indices (N,).

    This is ``torch.nn.functional.cross_entropy``: log softmax is z − logsumexp(z), computed
    after subtracting the row maximum, so no probability is ever rounded to 0.
    """
    z = as_tensor(logits)
    labels = as_tensor(labels, dtype=torch.long)
    shifted = z - z.amax(dim=-1, keepdim=True)
    log_probs = shifted - torch.log(torch.exp(shifted).sum(dim=-1, keepdim=True))
    return -log_probs.gather(-1, labels.unsqueeze(-1)).squeeze(-1).mean()


def _as_list(weights: ArrayLike | Sequence[ArrayLike]) -> list[torch.Tensor]:
    # One array is one weight tensor, not a list of its rows.
    if isinstance(weights, torch.Tensor) or hasattr(weights, "__array__"):
        return [as_tensor(weights)]
    return [as_tensor(w) for w in weights]  # type: ignore[union-attr]


def l1_penalty(weights: ArrayLike | Sequence[ArrayLike], lam: float) -> torch.Tensor:
    """lam · Σ over arrays of Σ |w| (``weights``: one array or a list of arrays)."""
    return lam * sum((w.abs().sum() for w in _as_list(weights)), as_tensor(0.0))


def l2_penalty(weights: ArrayLike | Sequence[ArrayLike], lam: float) -> torch.Tensor:
    """lam · Σ over arrays of Σ w² (``weights``: one array or a list of arrays)."""
    return lam * sum(((w**2).sum() for w in _as_list(weights)), as_tensor(0.0))


def regularized_loss(
    data_loss: ArrayLike,
    weights: ArrayLike | Sequence[ArrayLike],
    lam: float,
    penalty: str = "l2",
) -> torch.Tensor:
    """J_reg = J + lam · Σ θ² (``penalty="l2"``) or J + lam · Σ |θ| (``penalty="l1"``)."""
    if penalty == "l2":
        return as_tensor(data_loss) + l2_penalty(weights, lam)
    if penalty == "l1":
        return as_tensor(data_loss) + l1_penalty(weights, lam)
    raise ValueError(f"penalty must be 'l1' or 'l2', got {penalty!r}")
