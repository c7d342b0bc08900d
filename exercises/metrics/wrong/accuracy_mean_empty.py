"""np.mean of the matches: right on any data, but nan (0/0) on empty arrays."""
EXPECT = {"fails": ["accuracy:no_samples"], "misconception": "nan_on_zero"}


def accuracy(y_true, y_pred):
    return np.mean(y_true == y_pred)
