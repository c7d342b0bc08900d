"""Only −y log ŷ: samples with y = 0 cost nothing."""
EXPECT = {"fails": ["binary_cross_entropy:values"], "misconception": "positive_term_only"}


def binary_cross_entropy(y_pred, y_true):
    p = np.clip(y_pred, 1e-12, 1 - 1e-12)
    return -np.mean(y_true * np.log(p))
