"""+1 where w·x + b ≥ 0: the sign function's convention, so the boundary gives +1."""
EXPECT = {"fails": ["perceptron_output:at_zero"], "misconception": "ge_zero"}


def perceptron_output(w, b, x):
    return np.where(x @ w + b >= 0, 1.0, -1.0)
