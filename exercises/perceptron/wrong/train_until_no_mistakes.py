"""Loops until an epoch has no mistakes, ignoring `epochs`: never ends on XOR."""
EXPECT = {"fails": ["train_perceptron:stops"]}


def train_perceptron(X, y, lr, epochs):
    w, b = np.zeros(X.shape[1]), 0.0
    mistakes = 1
    while mistakes:
        mistakes = 0
        for x_n, y_n in zip(X, y):
            if perceptron_output(w, b, x_n) != y_n:
                mistakes += 1
                w, b = perceptron_update(w, b, x_n, y_n, lr)
    return w, b
