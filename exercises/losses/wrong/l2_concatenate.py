"""Concatenating the flattened arrays: fine on a non-empty list, an error on an empty one."""
EXPECT = {"fails": ["l2_penalty:edge_cases"]}


def l2_penalty(weights, lam):
    return lam * np.sum(np.concatenate([np.ravel(w) for w in weights]) ** 2)
