"""r ← ρ₂r + g²: (1 − ρ₂) forgotten in the second moment only."""
EXPECT = {"fails": ["adam:one_step", "adam:bowl", "adam:rosenbrock"], "misconception": "missing_one_minus_rho"}


def adam_step(w, g, s, r, lr, rho1, rho2, delta):
    s = rho1 * s + (1 - rho1) * g
    r = rho2 * r + g**2
    return w - lr / (delta + np.sqrt(r)) * s, s, r
