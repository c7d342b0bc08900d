"""δ under the square root."""
EXPECT = {"fails": ["adam:bowl", "adam:rosenbrock"], "misconception": "delta_inside_sqrt"}


def adam_step(w, g, s, r, lr, rho1, rho2, delta):
    s = rho1 * s + (1 - rho1) * g
    r = rho2 * r + (1 - rho2) * g**2
    return w - lr / np.sqrt(delta + r) * s, s, r
