"""The error taken as o − y: every correction points the wrong way."""
EXPECT = {"fails": ["perceptron_update:mistake"], "misconception": "o_minus_y"}


def perceptron_update(w, b, x, y, lr):
    error = perceptron_output(w, b, x) - y
    return w + lr * error * x, b + lr * error
