"""w + lr·y·x on every sample, right or wrong."""
EXPECT = {"fails": ["perceptron_update:right"], "misconception": "always_update"}


def perceptron_update(w, b, x, y, lr):
    return w + lr * y * x, b + lr * y
