"""Minimum and maximum of each row."""
EXPECT = {"fails": ["minmax:values"], "misconception": "wrong_axis"}


def minmax(X):
    low, high = X.min(axis=1, keepdims=True), X.max(axis=1, keepdims=True)
    return (X - low) / (high - low)
