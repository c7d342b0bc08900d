"""Summed over the samples as well as the classes."""
EXPECT = {"fails": ["categorical_cross_entropy:batch"], "misconception": "sum_samples"}


def categorical_cross_entropy(y_pred, y_true):
    return -np.sum(y_true * np.log(np.clip(y_pred, 1e-12, None)))
