"""A factor ½ in front (the form of some derivations, not the course's penalty)."""
EXPECT = {"fails": ["l2_penalty:several_arrays", "l2_penalty:small_example"], "misconception": "half"}


def l2_penalty(weights, lam):
    return 0.5 * lam * sum(np.sum(w ** 2) for w in weights)
