"""Differentiates with respect to X_r as given, which only works if the caller made it require grad."""
EXPECT = {"fails": ["advection_loss:value", "advection_loss:exact_solution", "advection_loss:differentiable"]}


def advection_loss(model, X_r, X_b, X_0, u):
    phi = model(X_r)
    (d,) = torch.autograd.grad(phi, X_r, grad_outputs=torch.ones_like(phi), create_graph=True)
    t, x = X_b.reshape(-1, 1), X_0.reshape(-1, 1)
    residual = d[:, 0] + u * d[:, 1]
    boundary = model(torch.cat([t, torch.zeros_like(t)], dim=1)) - model(torch.cat([t, torch.ones_like(t)], dim=1))
    initial = model(torch.cat([torch.zeros_like(x), x], dim=1)) - torch.sin(2 * math.pi * x)
    return (residual**2).mean() + (boundary**2).mean() + (initial**2).mean()
