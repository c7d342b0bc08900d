"""np.sign of the activation: 0 on the boundary instead of −1."""
EXPECT = {"fails": ["perceptron_output:at_zero"], "misconception": "np_sign"}


def perceptron_output(w, b, x):
    return np.sign(x @ w + b)
