"""Gradients from loss.backward(): autograd, which the task forbids."""
EXPECT = {"fails": ["mlp_backward:values", "mlp_backward:dead_units"], "misconception": "forbidden_api"}

import torch  # noqa: E402


def mlp_backward(X, y, params):
    p = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
    X, y = torch.as_tensor(X), torch.as_tensor(y)
    out = torch.relu(X @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]
    loss = ((out - y) ** 2).mean()
    loss.backward()
    return {k: v.grad.numpy() for k, v in p.items()}
