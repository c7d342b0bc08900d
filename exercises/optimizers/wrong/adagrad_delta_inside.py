"""δ under the square root: lr/√(δ + r)."""
EXPECT = {"fails": ["adagrad:bowl", "adagrad:rosenbrock", "adagrad:one_step"], "misconception": "delta_inside_sqrt"}


def adagrad_step(w, g, r, lr, delta):
    r = r + g**2
    return w - lr / np.sqrt(delta + r) * g, r
