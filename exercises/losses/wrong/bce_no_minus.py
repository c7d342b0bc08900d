"""The minus sign in front of the logs forgotten: a negative loss."""
EXPECT = {"fails": ["binary_cross_entropy:values"], "misconception": "no_minus"}


def binary_cross_entropy(y_pred, y_true):
    p = np.clip(y_pred, 1e-12, 1 - 1e-12)
    return np.mean(y_true * np.log(p) + (1 - y_true) * np.log(1 - p))
