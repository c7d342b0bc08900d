"""The binary cross-entropy applied class by class and summed."""
EXPECT = {"fails": ["categorical_cross_entropy:batch", "categorical_cross_entropy:worked_example"],
          "misconception": "binary_form"}


def categorical_cross_entropy(y_pred, y_true):
    p = np.clip(y_pred, 1e-12, 1 - 1e-12)
    return -np.mean(np.sum(y_true * np.log(p) + (1 - y_true) * np.log(1 - p), axis=-1))
