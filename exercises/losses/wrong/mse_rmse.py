"""The root of the MSE (RMSE) instead of the MSE."""
EXPECT = {"fails": ["mse:worked_example", "mse:random"], "misconception": "root"}


def mse(y_pred, y_true):
    return np.sqrt(np.mean((y_true - y_pred) ** 2))
