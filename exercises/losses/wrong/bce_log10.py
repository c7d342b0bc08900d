"""Base-10 logarithms instead of natural ones."""
EXPECT = {"fails": ["binary_cross_entropy:values"], "misconception": "log10"}


def binary_cross_entropy(y_pred, y_true):
    p = np.clip(y_pred, 1e-12, 1 - 1e-12)
    return -np.mean(y_true * np.log10(p) + (1 - y_true) * np.log10(1 - p))
