"""One pass over the data whatever `epochs` says."""
EXPECT = {"fails": ["train_perceptron:separable_2d", "train_perceptron:separable_3d", "train_perceptron:needs_bias"]}


def train_perceptron(X, y, lr, epochs):
    w, b = np.zeros(X.shape[1]), 0.0
    for x_n, y_n in zip(X, y):
        w, b = perceptron_update(w, b, x_n, y_n, lr)
    return w, b
