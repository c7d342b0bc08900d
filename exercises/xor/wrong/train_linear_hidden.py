"""A linear hidden layer (no activation): the whole network is a logistic regression."""
EXPECT = {"fails": ["train_xor:learns_xor", "train_xor:any_row_order"], "misconception": "stuck_at_half"}


def train_xor(seed):
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([[0.0], [1.0], [1.0], [0.0]])
    rng = np.random.default_rng(seed)
    W1, b1 = rng.normal(size=(2, 2)), np.zeros(2)
    W2, b2 = rng.normal(size=(2, 1)), np.zeros(1)
    for epoch in range(3000):
        h = X @ W1 + b1
        out = sigmoid(h @ W2 + b2)
        d_out = 2.0 * (out - y) / len(X) * out * (1.0 - out)
        d_h = d_out @ W2.T
        W2, b2 = W2 - 4.0 * h.T @ d_out, b2 - 4.0 * d_out.sum(0)
        W1, b1 = W1 - 4.0 * X.T @ d_h, b1 - 4.0 * d_h.sum(0)
    return lambda Z: sigmoid((Z @ W1 + b1) @ W2 + b2)
