"""∂loss/∂out = (out − y)/N: the 2 of the square's derivative forgotten."""
EXPECT = {"fails": ["mlp_backward:values"], "misconception": "missing_two"}


def mlp_backward(X, y, params):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    a = X @ W1 + b1
    h = np.maximum(a, 0.0)
    d_out = (h @ W2 + b2 - y) / len(X)
    d_a = (d_out @ W2.T) * (a > 0)
    return {"W1": X.T @ d_a, "b1": d_a.sum(axis=0), "W2": h.T @ d_out, "b2": d_out.sum(axis=0)}
