"""Sum of absolute errors instead of their mean."""
EXPECT = {"fails": ["mae:worked_example", "mae:random"], "misconception": "sum_not_mean"}


def mae(y_pred, y_true):
    return np.sum(np.abs(y_true - y_pred))
