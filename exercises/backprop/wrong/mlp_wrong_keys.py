"""Gradients returned as a tuple instead of a dict keyed like params."""
EXPECT = {"fails": ["mlp_backward:values"]}


def mlp_backward(X, y, params):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    a = X @ W1 + b1
    h = np.maximum(a, 0.0)
    d_out = 2 * (h @ W2 + b2 - y) / len(X)
    d_a = (d_out @ W2.T) * (a > 0)
    return X.T @ d_a, d_a.sum(axis=0), h.T @ d_out, d_out.sum(axis=0)
