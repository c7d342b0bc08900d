"""Sum of squared errors returned as the MSE (no division by n)."""
EXPECT = {"fails": ["mse:worked_example", "mse:random"], "misconception": "sum_not_mean"}


def mse(y_pred, y_true):
    return np.sum((y_true - y_pred) ** 2)
