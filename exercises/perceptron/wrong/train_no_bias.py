"""The bias is never learnt (it stays 0): only lines through the origin."""
EXPECT = {"fails": ["train_perceptron:and_gate", "train_perceptron:needs_bias"]}


def train_perceptron(X, y, lr, epochs):
    w = np.zeros(X.shape[1])
    for _ in range(epochs):
        for x_n, y_n in zip(X, y):
            w, _ = perceptron_update(w, 0.0, x_n, y_n, lr)
    return w, 0.0
