"""Regularisation (CURRICULUM §7): dropout and early stopping.

Weight penalties (L1, L2) live with the losses in :mod:`reference.losses`; normalisation
(z-score, min–max, batch norm) in :mod:`reference.normalization`.

Dropout conventions conflict across the course's sources, so this module names its argument
``keep_prob``: the probability that a unit is *kept*. PyTorch's and Keras's ``p``/``rate`` is the
probability of *dropping*; convert with :func:`keep_prob_from_drop_prob`.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from reference.device import ArrayLike, as_tensor, cpu_generator


def keep_prob_from_drop_prob(drop_prob: float) -> float:
    """keep = 1 − drop (PyTorch's ``nn.Dropout(p)`` keeps each unit with probability 1 − p)."""
    return 1.0 - drop_prob


Seed = int | torch.Generator | np.random.Generator | None
"""An int seed, a CPU ``torch.Generator``, a numpy ``Generator`` (as students pass), or None."""


def dropout_mask(shape: tuple[int, ...], keep_prob: float, seed: Seed = None) -> torch.Tensor:
    """A 0/1 ``float64`` mask, each entry 1 with probability ``keep_prob``, drawn on the CPU.

    Drawing on the CPU makes one seed give the same mask on every device.
    """
    if not 0.0 < keep_prob <= 1.0:
        raise ValueError(f"keep_prob must be in (0, 1], got {keep_prob!r}")
    if isinstance(seed, np.random.Generator):
        uniform = torch.from_numpy(seed.random(shape))
    else:
        uniform = torch.rand(shape, generator=cpu_generator(seed), dtype=torch.float64)
    return as_tensor(uniform < keep_prob)


def dropout(
    x: ArrayLike,
    keep_prob: float,
    seed: Seed = None,
    training: bool = True,
) -> torch.Tensor:
    """Inverted dropout: in training, keep each entry with probability ``keep_prob`` and divide
    the kept ones by ``keep_prob``; otherwise return x unchanged.

    The division makes E[dropout(x)] = x, so inference needs no rescaling and uses all units.
    ``seed``: see :data:`Seed`; the same seed gives the same mask on every device.
    """
    x = as_tensor(x)
    if not training:
        return x
    return x * dropout_mask(tuple(x.shape), keep_prob, seed) / keep_prob


def early_stopping_epoch(val_losses: ArrayLike, patience: int) -> int:
    """The 0-based epoch at which training stops, from the validation loss of each epoch.

    Training stops at the first epoch e with e − (epoch of the best loss so far) ≥ patience,
    "best" meaning strictly lower than every earlier loss (a tie does not count as an
    improvement). If that never happens, the last epoch. Returns a Python int.
    """
    losses = as_tensor(val_losses).reshape(-1).tolist()
    if not losses:
        raise ValueError("early_stopping_epoch: no validation losses")
    best, best_epoch = math.inf, 0
    for epoch, loss in enumerate(losses):
        if loss < best:
            best, best_epoch = loss, epoch
        if epoch - best_epoch >= patience:
            return epoch
    return len(losses) - 1
