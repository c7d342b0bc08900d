"""No ReLU in the hidden layer: the network collapses to a linear map."""
EXPECT = {"fails": ["xor_forward:table", "xor_forward:real_inputs"], "misconception": "no_relu"}


def xor_forward(X):
    W = np.array([[1.0, 1.0], [1.0, 1.0]])
    hidden = X @ W + np.array([0.0, -1.0])
    return hidden, hidden @ np.array([1.0, -2.0])
