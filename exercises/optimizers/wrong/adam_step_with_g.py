"""The step uses the raw gradient g instead of the running average s."""
EXPECT = {"fails": ["adam:one_step", "adam:bowl"], "misconception": "step_with_g"}


def adam_step(w, g, s, r, lr, rho1, rho2, delta):
    s = rho1 * s + (1 - rho1) * g
    r = rho2 * r + (1 - rho2) * g**2
    return w - lr / (delta + np.sqrt(r)) * g, s, r
