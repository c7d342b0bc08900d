"""Reference implementations of the course, in PyTorch: the ground truth grades rest on.

Contents, in the order of the course:

=====================  ===================================================================
module                 what it holds
=====================  ===================================================================
``neurons``            §1 threshold unit, AND / OR / AND NOT / XOR gates, perceptron rule
``activations``        §2 linear, step, sign, sigmoid, tanh, ReLU, softmax, derivatives
``losses``             §3 SSE, MSE, MAE, cross-entropies, L1 / L2 penalties
``autograd``           §4 scalar autograd engine ``Value``, the f(x, y) table
``mlp``                §4 manual forward / backward of an MLP, ``mlp_backward``
``xor``                §5 the hand-built XOR network, a trainable 2-2-1 network
``optimizers``         §6 SGD, momentum, AdaGrad, RMSProp, Adam, learning-rate decay
``objectives``         §6 functions to optimise: quadratic bowl, Rosenbrock
``regularization``     §7 dropout, early stopping
``normalization``      §7 z-score, min–max, batch norm
``metrics``            §8 confusion matrix, accuracy, recall, precision, …
``pinn``               §9 physics-informed loss for advection
``device``             where and in what precision everything computes
=====================  ===================================================================

Functions accept tensors, numpy arrays or Python scalars/lists and return ``float64`` tensors on
CUDA when available, else on the CPU (see :mod:`reference.device`). The main names are
re-exported here (``from reference import adam_step``); they are loaded on first use, so
``import reference`` alone does not import torch.
"""

# ruff: noqa: F401  (the imports under TYPE_CHECKING exist only to be re-exported)

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    # `device()` itself is not re-exported: the name `reference.device` is its module.
    "device": "DTYPE as_tensor to_numpy using_device",
    "neurons": (
        "threshold_unit GATES gate and_gate or_gate and_not_gate xor_gate"
        " perceptron_output perceptron_update squared_error_update train_perceptron"
    ),
    "activations": (
        "linear linear_prime step step_prime sign sign_prime sigmoid sigmoid_prime tanh tanh_prime"
        " relu relu_prime softmax softmax_jacobian"
    ),
    "losses": (
        "sse half_squared_error mse half_mse mae binary_cross_entropy binary_cross_entropy_with_logits"
        " categorical_cross_entropy categorical_cross_entropy_indices cross_entropy_from_logits"
        " l1_penalty l2_penalty regularized_loss"
    ),
    "autograd": "Value graph_table graph_example",
    "mlp": "init_mlp mlp_forward mlp_backward_layers mlp_loss_and_grads mlp_backward",
    "xor": "xor_steps xor_forward train_xor",
    "optimizers": (
        "sgd_step momentum_step momentum_step_pytorch adagrad_step rmsprop_step adam_step"
        " run run_minibatch plateau_step"
    ),
    "objectives": "bowl bowl_grad rosenbrock rosenbrock_grad",
    "regularization": "dropout early_stopping_epoch",
    "normalization": "zscore minmax batchnorm_forward batchnorm_backward batchnorm_train batchnorm_eval",
    "metrics": ("confusion_matrix accuracy recall false_negative_rate specificity false_positive_rate precision npv"),
    "pinn": "advection_loss",
}

_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names.split()}

__all__ = sorted(_MODULE_OF)


def __getattr__(name: str) -> Any:
    # Loaded on first use so that tools importing `reference` for one name (or a CLI's --help)
    # do not pay for torch.
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'reference' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"reference.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # static analysers see the lazily loaded names
    from reference.activations import (
        linear,
        linear_prime,
        relu,
        relu_prime,
        sigmoid,
        sigmoid_prime,
        sign,
        sign_prime,
        softmax,
        softmax_jacobian,
        step,
        step_prime,
        tanh,
        tanh_prime,
    )
    from reference.autograd import Value, graph_example, graph_table
    from reference.device import DTYPE, as_tensor, to_numpy, using_device
    from reference.losses import (
        binary_cross_entropy,
        binary_cross_entropy_with_logits,
        categorical_cross_entropy,
        categorical_cross_entropy_indices,
        cross_entropy_from_logits,
        half_mse,
        half_squared_error,
        l1_penalty,
        l2_penalty,
        mae,
        mse,
        regularized_loss,
        sse,
    )
    from reference.metrics import (
        accuracy,
        confusion_matrix,
        false_negative_rate,
        false_positive_rate,
        npv,
        precision,
        recall,
        specificity,
    )
    from reference.mlp import init_mlp, mlp_backward, mlp_backward_layers, mlp_forward, mlp_loss_and_grads
    from reference.neurons import (
        GATES,
        and_gate,
        and_not_gate,
        gate,
        or_gate,
        perceptron_output,
        perceptron_update,
        squared_error_update,
        threshold_unit,
        train_perceptron,
        xor_gate,
    )
    from reference.normalization import (
        batchnorm_backward,
        batchnorm_eval,
        batchnorm_forward,
        batchnorm_train,
        minmax,
        zscore,
    )
    from reference.objectives import bowl, bowl_grad, rosenbrock, rosenbrock_grad
    from reference.optimizers import (
        adagrad_step,
        adam_step,
        momentum_step,
        momentum_step_pytorch,
        plateau_step,
        rmsprop_step,
        run,
        run_minibatch,
        sgd_step,
    )
    from reference.pinn import advection_loss
    from reference.regularization import dropout, early_stopping_epoch
    from reference.xor import train_xor, xor_forward, xor_steps
