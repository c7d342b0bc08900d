"""The hidden biases c = [0, −1] left out."""
EXPECT = {"fails": ["xor_forward:table", "xor_forward:real_inputs"], "misconception": "no_c"}


def xor_forward(X):
    hidden = np.maximum(0.0, X @ np.array([[1.0, 1.0], [1.0, 1.0]]))
    return hidden, hidden @ np.array([1.0, -2.0])
