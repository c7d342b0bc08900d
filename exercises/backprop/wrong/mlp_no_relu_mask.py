"""The gradient passed through the ReLU as if it were the identity."""
EXPECT = {"fails": ["mlp_backward:dead_units"], "misconception": "no_relu_mask"}


def mlp_backward(X, y, params):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    h = np.maximum(X @ W1 + b1, 0.0)
    d_out = 2 * (h @ W2 + b2 - y) / len(X)
    d_a = d_out @ W2.T
    return {"W1": X.T @ d_a, "b1": d_a.sum(axis=0), "W2": h.T @ d_out, "b2": d_out.sum(axis=0)}
