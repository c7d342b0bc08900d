"""A ReLU after the output unit too: invisible on the four binary inputs, wrong for negative outputs."""
EXPECT = {"fails": ["xor_forward:real_inputs"], "misconception": "relu_on_output"}


def xor_forward(X):
    hidden = np.maximum(0.0, X @ np.array([[1.0, 1.0], [1.0, 1.0]]) + np.array([0.0, -1.0]))
    return hidden, np.maximum(0.0, hidden @ np.array([1.0, -2.0]))
