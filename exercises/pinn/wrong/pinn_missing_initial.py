"""The initial-condition term left out."""
EXPECT = {"fails": ["advection_loss:value"], "misconception": "missing_term"}


def advection_loss(model, X_r, X_b, X_0, u):
    X = X_r.detach().clone().requires_grad_(True)
    (d,) = torch.autograd.grad(model(X).sum(), X, create_graph=True)
    t, x = X_b.reshape(-1, 1), X_0.reshape(-1, 1)
    zeros, ones = torch.zeros_like(t), torch.ones_like(t)
    residual = d[:, 0] + u * d[:, 1]
    boundary = model(torch.cat([t, zeros], dim=1)) - model(torch.cat([t, ones], dim=1))
    return (residual**2).mean() + (boundary**2).mean()
