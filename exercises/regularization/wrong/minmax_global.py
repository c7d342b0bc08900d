"""Minimum and maximum of the whole array."""
EXPECT = {"fails": ["minmax:values"], "misconception": "global_stats"}


def minmax(X):
    return (X - X.min()) / (X.max() - X.min())
