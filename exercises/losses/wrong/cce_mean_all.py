"""np.mean over all N·C entries instead of a sum over classes and a mean over samples."""
EXPECT = {"fails": ["categorical_cross_entropy:batch", "categorical_cross_entropy:worked_example"],
          "misconception": "mean_all_elements"}


def categorical_cross_entropy(y_pred, y_true):
    return -np.mean(y_true * np.log(np.clip(y_pred, 1e-12, None)))
