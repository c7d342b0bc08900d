"""Averaging the squares of each array instead of adding them."""
EXPECT = {"fails": ["l2_penalty:several_arrays", "l2_penalty:small_example"], "misconception": "mean"}


def l2_penalty(weights, lam):
    return lam * sum(np.mean(w ** 2) for w in weights)
