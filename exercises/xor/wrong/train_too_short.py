"""A small learning rate and few epochs: the outputs barely leave 0.5."""
EXPECT = {"fails": ["train_xor:learns_xor", "train_xor:any_row_order"], "misconception": "stuck_at_half"}


def train_xor(seed):
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([[0.0], [1.0], [1.0], [0.0]])
    rng = np.random.default_rng(seed)
    p = {"W1": rng.normal(size=(2, 2)), "b1": np.zeros(2), "W2": rng.normal(size=(2, 1)), "b2": np.zeros(1)}
    for epoch in range(100):
        h = sigmoid(X @ p["W1"] + p["b1"])
        out = sigmoid(h @ p["W2"] + p["b2"])
        d_out = 2.0 * (out - y) / len(X) * out * (1.0 - out)
        d_h = (d_out @ p["W2"].T) * h * (1.0 - h)
        grads = {"W2": h.T @ d_out, "b2": d_out.sum(0), "W1": X.T @ d_h, "b1": d_h.sum(0)}
        for name in p:
            p[name] = p[name] - 0.1 * grads[name]
    return p
