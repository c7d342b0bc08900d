"""The textbook formula: 0/0 = nan for a constant column."""
EXPECT = {"fails": ["zscore:constant_column", "zscore:constant_rounding"]}


def zscore(X):
    return (X - X.mean(axis=0)) / X.std(axis=0)
