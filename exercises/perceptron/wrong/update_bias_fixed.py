"""Only w is updated; the bias is returned unchanged."""
EXPECT = {"fails": ["perceptron_update:mistake"], "misconception": "bias_fixed"}


def perceptron_update(w, b, x, y, lr):
    error = y - perceptron_output(w, b, x)
    return w + lr * error * x, b
