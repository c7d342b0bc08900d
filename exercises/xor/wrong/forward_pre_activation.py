"""The output is right, but the hidden values returned are taken before the ReLU."""
EXPECT = {"fails": ["xor_forward:table"], "misconception": "pre_activation_returned"}


def xor_forward(X):
    a = X @ np.array([[1.0, 1.0], [1.0, 1.0]]) + np.array([0.0, -1.0])
    return a, np.maximum(0.0, a) @ np.array([1.0, -2.0])
