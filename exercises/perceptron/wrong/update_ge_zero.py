"""Its own output with ≥ 0: a sample exactly on the boundary counts as +1 and is not corrected."""
EXPECT = {"fails": ["perceptron_update:boundary"], "misconception": "ge_zero"}


def perceptron_update(w, b, x, y, lr):
    o = 1.0 if x @ w + b >= 0 else -1.0
    return w + lr * (y - o) * x, b + lr * (y - o)
