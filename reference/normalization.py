"""Normalisation (CURRICULUM §7): z-score, min–max, and batch normalisation.

Statistics run over axis 0 (samples are rows, features are columns). Variances are population
variances (divide by N), as the course writes σ = √(δ + mean((H − μ)²)). Results are
``float64`` tensors on :func:`reference.device.device`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from reference.device import ArrayLike, as_tensor


def _constant_columns(X: torch.Tensor) -> torch.Tensor:
    # Compare extremes rather than testing std == 0: the mean of a constant column can round
    # away from its value (three copies of 0.1 average to 0.10000000000000002), leaving a tiny
    # non-zero std that would turn the column into ±1 instead of 0.
    return X.amax(dim=0) == X.amin(dim=0)


def zscore(X: ArrayLike) -> torch.Tensor:
    """(x − μ)/σ per column, σ the population standard deviation; a constant column gives 0."""
    X = as_tensor(X)
    constant = _constant_columns(X)
    mu = X.mean(dim=0)
    sigma = X.std(dim=0, correction=0)
    return torch.where(constant, 0.0, (X - mu) / torch.where(constant, 1.0, sigma))


def minmax(X: ArrayLike) -> torch.Tensor:
    """(x − min)/(max − min) per column, into [0, 1]; a constant column gives 0."""
    X = as_tensor(X)
    low, high = X.amin(dim=0), X.amax(dim=0)
    span = high - low
    return torch.where(span == 0, 0.0, (X - low) / torch.where(span == 0, 1.0, span))


def batchnorm_forward(H: ArrayLike, gamma: ArrayLike, beta: ArrayLike, eps: float = 1e-5) -> torch.Tensor:
    """Training-mode batch norm: γ·(H − μ)/√(var + eps) + β, μ and var over the batch (axis 0).

    ``eps`` is the course's δ. Matches ``torch.nn.BatchNorm1d`` in training mode.
    """
    H = as_tensor(H)
    mu = H.mean(dim=0)
    var = H.var(dim=0, correction=0)
    return as_tensor(gamma) * (H - mu) / torch.sqrt(var + eps) + as_tensor(beta)


def batchnorm_backward(
    d_out: ArrayLike, H: ArrayLike, gamma: ArrayLike, eps: float = 1e-5
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(∂L/∂H, ∂L/∂γ, ∂L/∂β) of training-mode batch norm, given ∂L/∂out.

    H reaches the output three ways (directly, through μ and through var); with x̂ = (H − μ)/σ
    those paths sum to ∂L/∂H = (γ/σ)·(g − mean(g) − x̂·mean(g·x̂)), g = ∂L/∂out, means over
    the batch.
    """
    d_out, H, gamma = as_tensor(d_out), as_tensor(H), as_tensor(gamma)
    mu = H.mean(dim=0)
    sigma = torch.sqrt(H.var(dim=0, correction=0) + eps)
    x_hat = (H - mu) / sigma
    d_H = gamma / sigma * (d_out - d_out.mean(dim=0) - x_hat * (d_out * x_hat).mean(dim=0))
    return d_H, (d_out * x_hat).sum(dim=0), d_out.sum(dim=0)


@dataclass(frozen=True)
class BatchNormStep:
    """A training step's output and the running statistics to use from now on."""

    output: torch.Tensor
    running_mean: torch.Tensor
    running_var: torch.Tensor


def batchnorm_train(
    H: ArrayLike,
    gamma: ArrayLike,
    beta: ArrayLike,
    running_mean: ArrayLike,
    running_var: ArrayLike,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> BatchNormStep:
    """Training mode with the running statistics that evaluation will use, as PyTorch keeps them.

    running ← (1 − momentum)·running + momentum·batch statistic. As in ``torch.nn.BatchNorm1d``
    the running variance takes the *unbiased* batch variance (divide by N − 1), while the
    output is normalised with the population variance. Start from mean 0 and variance 1.
    """
    H = as_tensor(H)
    output = batchnorm_forward(H, gamma, beta, eps)
    mean = (1.0 - momentum) * as_tensor(running_mean) + momentum * H.mean(dim=0)
    var = (1.0 - momentum) * as_tensor(running_var) + momentum * H.var(dim=0, correction=1)
    return BatchNormStep(output, mean, var)


def batchnorm_eval(
    H: ArrayLike,
    gamma: ArrayLike,
    beta: ArrayLike,
    running_mean: ArrayLike,
    running_var: ArrayLike,
    eps: float = 1e-5,
) -> torch.Tensor:
    """Evaluation mode: normalise with statistics learned in training, not the batch's own."""
    H = as_tensor(H)
    return as_tensor(gamma) * (H - as_tensor(running_mean)) / torch.sqrt(as_tensor(running_var) + eps) + as_tensor(beta)
