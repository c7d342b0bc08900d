"""Mean of the signed errors: positive and negative errors cancel."""
EXPECT = {"fails": ["mae:worked_example", "mae:random"], "misconception": "signed"}


def mae(y_pred, y_true):
    return np.mean(y_true - y_pred)
