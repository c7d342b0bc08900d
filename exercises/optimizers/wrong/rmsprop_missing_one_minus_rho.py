"""r ← ρr + g²: the new term is not weighted by (1 − ρ)."""
EXPECT = {"fails": ["rmsprop:one_step", "rmsprop:bowl", "rmsprop:rosenbrock"], "misconception": "missing_one_minus_rho"}


def rmsprop_step(w, g, r, lr, rho, delta):
    r = rho * r + g**2
    return w - lr / (delta + np.sqrt(r)) * g, r
