"""The number of right predictions, not divided by the number of samples."""
EXPECT = {"fails": ["accuracy:example", "accuracy:random"], "misconception": "count_correct"}


def accuracy(y_true, y_pred):
    return np.sum(y_true == y_pred)
