"""The loss returned as a Python float (.item()): right value, nothing to back-propagate."""
EXPECT = {"fails": ["advection_loss:differentiable"]}


def advection_loss(model, X_r, X_b, X_0, u):
    X = X_r.detach().clone().requires_grad_(True)
    (d,) = torch.autograd.grad(model(X).sum(), X, create_graph=True)
    t, x = X_b.reshape(-1, 1), X_0.reshape(-1, 1)
    residual = d[:, 0] + u * d[:, 1]
    boundary = model(torch.cat([t, 0 * t], dim=1)) - model(torch.cat([t, 0 * t + 1], dim=1))
    initial = model(torch.cat([0 * x, x], dim=1)) - torch.sin(2 * math.pi * x)
    return ((residual**2).mean() + (boundary**2).mean() + (initial**2).mean()).item()
