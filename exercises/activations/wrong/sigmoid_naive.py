"""The textbook formula with e^x / (1 + e^x): inf / inf = nan for large positive x."""
EXPECT = {"fails": ["sigmoid:large_inputs"]}


def sigmoid(x):
    return np.exp(x) / (1 + np.exp(x))
