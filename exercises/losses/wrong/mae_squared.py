"""The MSE formula returned as the MAE."""
EXPECT = {"fails": ["mae:worked_example", "mae:random"], "misconception": "squared"}


def mae(y_pred, y_true):
    return np.mean((y_true - y_pred) ** 2)
