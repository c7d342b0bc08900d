"""All weights start at 0: both hidden units stay identical and XOR is out of reach."""
EXPECT = {"fails": ["train_xor:learns_xor", "train_xor:any_row_order"], "misconception": "stuck_at_half"}


def train_xor(seed):
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([[0.0], [1.0], [1.0], [0.0]])
    p = {"W1": np.zeros((2, 2)), "b1": np.zeros(2), "W2": np.zeros((2, 1)), "b2": np.zeros(1)}
    for epoch in range(3000):
        h = sigmoid(X @ p["W1"] + p["b1"])
        out = sigmoid(h @ p["W2"] + p["b2"])
        d_out = 2.0 * (out - y) / len(X) * out * (1.0 - out)
        d_h = (d_out @ p["W2"].T) * h * (1.0 - h)
        grads = {"W2": h.T @ d_out, "b2": d_out.sum(0), "W1": X.T @ d_h, "b1": d_h.sum(0)}
        for name in p:
            p[name] = p[name] - 4.0 * grads[name]
    return p
