"""w + step instead of w − step."""
EXPECT = {"fails": ["rmsprop:one_step", "rmsprop:bowl"], "misconception": "ascent"}


def rmsprop_step(w, g, r, lr, rho, delta):
    r = rho * r + (1 - rho) * g * g
    return w + lr * g / (delta + np.sqrt(r)), r
