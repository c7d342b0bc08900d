"""Summing over axis=1: right for a batch, an error for a single sample of shape (C,)."""
EXPECT = {"fails": ["categorical_cross_entropy:single_sample", "categorical_cross_entropy:worked_example"]}


def categorical_cross_entropy(y_pred, y_true):
    return np.mean(-np.sum(y_true * np.log(np.clip(y_pred, 1e-12, None)), axis=1))
