"""Summed over the elements instead of averaged."""
EXPECT = {"fails": ["binary_cross_entropy:values", "binary_cross_entropy:matrix"], "misconception": "sum_not_mean"}


def binary_cross_entropy(y_pred, y_true):
    p = np.clip(y_pred, 1e-12, 1 - 1e-12)
    return -np.sum(y_true * np.log(p) + (1 - y_true) * np.log(1 - p))
