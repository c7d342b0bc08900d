"""δ under the square root."""
EXPECT = {"fails": ["rmsprop:bowl", "rmsprop:rosenbrock"], "misconception": "delta_inside_sqrt"}


def rmsprop_step(w, g, r, lr, rho, delta):
    r = rho * r + (1 - rho) * g**2
    return w - lr / np.sqrt(r + delta) * g, r
