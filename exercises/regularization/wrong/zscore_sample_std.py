"""ddof=1 in the standard deviation."""
EXPECT = {"fails": ["zscore:values"], "misconception": "sample_std"}


def zscore(X):
    std = X.std(axis=0, ddof=1)
    return np.where(X.max(axis=0) > X.min(axis=0), (X - X.mean(axis=0)) / np.where(std > 0, std, 1), 0.0)
