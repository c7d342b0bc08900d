"""Normalising columns (axis 0) instead of the last axis."""
EXPECT = {"fails": ["softmax:batch_rows"], "misconception": "wrong_axis"}


def softmax(x):
    e = np.exp(x - x.max())
    return e / e.sum(axis=0, keepdims=True)
