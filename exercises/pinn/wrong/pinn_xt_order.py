"""Columns read as (x, t) everywhere: derivatives swapped and points built as (x, t)."""
EXPECT = {"fails": ["advection_loss:value", "advection_loss:exact_solution"], "misconception": "column_order"}


def advection_loss(model, X_r, X_b, X_0, u):
    X = X_r.detach().clone().requires_grad_(True)
    (d,) = torch.autograd.grad(model(X).sum(), X, create_graph=True)
    t, x = X_b.reshape(-1, 1), X_0.reshape(-1, 1)
    zeros, ones = torch.zeros_like(t), torch.ones_like(t)
    residual = d[:, 1] + u * d[:, 0]
    boundary = model(torch.cat([zeros, t], dim=1)) - model(torch.cat([ones, t], dim=1))
    initial = model(torch.cat([x, torch.zeros_like(x)], dim=1)) - torch.sin(2 * math.pi * x)
    return (residual**2).mean() + (boundary**2).mean() + (initial**2).mean()
