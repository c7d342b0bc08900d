"""o taken as the weighted sum w·x + b (the delta rule) instead of the ±1 output."""
EXPECT = {"fails": ["perceptron_update:mistake", "perceptron_update:right"], "misconception": "activation_not_output"}


def perceptron_update(w, b, x, y, lr):
    error = y - (x @ w + b)
    return w + lr * error * x, b + lr * error
