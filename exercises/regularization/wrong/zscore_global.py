"""One mean and one deviation for the whole array."""
EXPECT = {"fails": ["zscore:values"], "misconception": "global_stats"}


def zscore(X):
    return (X - X.mean()) / X.std()
