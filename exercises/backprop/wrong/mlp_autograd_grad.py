"""torch.autograd.grad imported under another name: still forbidden."""
EXPECT = {"fails": ["mlp_backward:values"], "misconception": "forbidden_api"}

import torch  # noqa: E402
from torch.autograd import grad as differentiate  # noqa: E402


def mlp_backward(X, y, params):
    names = ["W1", "b1", "W2", "b2"]
    p = [torch.tensor(params[k], dtype=torch.float64, requires_grad=True) for k in names]
    X, y = torch.as_tensor(X), torch.as_tensor(y)
    out = torch.relu(X @ p[0] + p[1]) @ p[2] + p[3]
    grads = differentiate(((out - y) ** 2).mean(), p)
    return {k: g.numpy() for k, g in zip(names, grads)}
