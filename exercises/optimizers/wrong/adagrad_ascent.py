"""The scaled gradient added instead of subtracted (updated in place, which is allowed)."""
EXPECT = {"fails": ["adagrad:one_step", "adagrad:bowl", "adagrad:rosenbrock"], "misconception": "ascent"}


def adagrad_step(w, g, r, lr, delta):
    r += g**2
    w += lr / (delta + np.sqrt(r)) * g
    return w, r
