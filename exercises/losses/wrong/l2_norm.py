"""Sum of the norms ‖w‖ instead of the sum of squares."""
EXPECT = {"fails": ["l2_penalty:several_arrays", "l2_penalty:small_example"], "misconception": "norm_not_squared"}


def l2_penalty(weights, lam):
    return lam * sum(np.linalg.norm(w) for w in weights)
