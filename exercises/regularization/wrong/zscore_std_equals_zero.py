"""Constancy tested with std == 0: the 0.1 column keeps a tiny std and becomes −1."""
EXPECT = {"fails": ["zscore:constant_rounding"]}


def zscore(X):
    std = X.std(axis=0)
    return np.where(std == 0, 0.0, (X - X.mean(axis=0)) / np.where(std == 0, 1.0, std))
