"""φ_t taken from column 1 and φ_x from column 0 (the same residual when u = 1); the points are right."""
EXPECT = {"fails": ["advection_loss:other_speeds", "advection_loss:value"], "misconception": "column_order"}


def advection_loss(model, X_r, X_b, X_0, u):
    X = X_r.detach().clone().requires_grad_(True)
    (d,) = torch.autograd.grad(model(X).sum(), X, create_graph=True)
    t, x = X_b.reshape(-1, 1), X_0.reshape(-1, 1)
    zeros, ones = torch.zeros_like(t), torch.ones_like(t)
    phi_x, phi_t = d[:, 0], d[:, 1]
    residual = phi_t + u * phi_x
    boundary = model(torch.cat([t, zeros], dim=1)) - model(torch.cat([t, ones], dim=1))
    initial = model(torch.cat([torch.zeros_like(x), x], dim=1)) - torch.sin(2 * math.pi * x)
    return (residual**2).mean() + (boundary**2).mean() + (initial**2).mean()
