"""The periodic boundary term left out."""
EXPECT = {"fails": ["advection_loss:value"], "misconception": "missing_term"}


def advection_loss(model, X_r, X_b, X_0, u):
    X = X_r.detach().clone().requires_grad_(True)
    (d,) = torch.autograd.grad(model(X).sum(), X, create_graph=True)
    t, x = X_b.reshape(-1, 1), X_0.reshape(-1, 1)
    zeros, ones = torch.zeros_like(t), torch.ones_like(t)
    residual = d[:, 0] + u * d[:, 1]
    initial = model(torch.cat([torch.zeros_like(x), x], dim=1)) - torch.sin(2 * math.pi * x)
    return (residual**2).mean() + (initial**2).mean()
