"""0/0 for a constant column."""
EXPECT = {"fails": ["minmax:constant_column"]}


def minmax(X):
    return (X - X.min(axis=0)) / (X.max(axis=0) - X.min(axis=0))
