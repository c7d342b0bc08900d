"""|x| instead of max(0, x)."""
EXPECT = {"fails": ["relu:values", "relu:zeros_and_shape"], "misconception": "abs"}


def relu(x):
    return np.abs(x)
