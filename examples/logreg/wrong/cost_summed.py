"""The cost summed over the examples instead of averaged (the gradients are right)."""
EXPECT = {"fails": ["propagate:example", "propagate:random"], "misconception": "cost_summed"}


def propagate(w, b, X, Y):
    m = X.shape[1]
    A = sigmoid(w.T @ X + b)
    cost = float(-np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)))
    return {"dw": X @ (A - Y).T / m, "db": float(np.sum(A - Y) / m)}, cost
