"""Output weights as a (2, 1) column: the output comes out with shape (N, 1)."""
EXPECT = {"fails": ["xor_forward:table", "xor_forward:real_inputs"], "misconception": "output_column"}


def xor_forward(X):
    hidden = np.maximum(0.0, X @ np.array([[1.0, 1.0], [1.0, 1.0]]) + np.array([0.0, -1.0]))
    return hidden, hidden @ np.array([[1.0], [-2.0]])
