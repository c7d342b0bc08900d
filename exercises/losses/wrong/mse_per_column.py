"""Averaging along axis 0 only: one value per column instead of one number."""
EXPECT = {"fails": ["mse:worked_example", "mse:matrix_is_one_number"], "misconception": "per_column"}


def mse(y_pred, y_true):
    return np.mean((y_true - y_pred) ** 2, axis=0)
