"""The formula as written, no clipping: log(0) gives inf and 0 · log(0) gives nan."""
EXPECT = {"fails": ["binary_cross_entropy:exact_zero_one"]}


def binary_cross_entropy(y_pred, y_true):
    return -np.mean(y_true * np.log(y_pred) + (1 - y_true) * np.log(1 - y_pred))
