"""The sum of squares without the factor lam."""
EXPECT = {"fails": ["l2_penalty:several_arrays", "l2_penalty:small_example"], "misconception": "no_lam"}


def l2_penalty(weights, lam):
    return sum(np.sum(w ** 2) for w in weights)
