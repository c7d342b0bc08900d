"""w + lr·y·x on a mistake: Rosenblatt's variant, half the course's step lr·(y − o)·x."""
EXPECT = {"fails": ["perceptron_update:mistake"], "misconception": "y_not_y_minus_o"}


def perceptron_update(w, b, x, y, lr):
    if perceptron_output(w, b, x) != y:
        return w + lr * y * x, b + lr * y
    return w, b
