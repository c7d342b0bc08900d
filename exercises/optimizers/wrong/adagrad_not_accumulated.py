"""r ← g² instead of r ← r + g²: only the last gradient is remembered."""
EXPECT = {"fails": ["adagrad:one_step", "adagrad:bowl"], "misconception": "not_accumulated"}


def adagrad_step(w, g, r, lr, delta):
    r = g**2
    return w - lr / (delta + np.sqrt(r)) * g, r
