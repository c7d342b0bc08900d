"""Returns ReLU(x) itself instead of its derivative."""
EXPECT = {"fails": ["relu_prime:values"], "misconception": "relu_itself"}


def relu_prime(x):
    return np.maximum(0.0, x)
