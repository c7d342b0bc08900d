"""Only the first array of the list counted."""
EXPECT = {"fails": ["l2_penalty:several_arrays", "l2_penalty:small_example"], "misconception": "first_array_only"}


def l2_penalty(weights, lam):
    return lam * np.sum(weights[0] ** 2)
