"""A generator seeded inside the function: every call drops the same units."""
EXPECT = {"fails": ["dropout:mean_and_fresh_masks"], "misconception": "same_mask"}


def dropout(x, keep_prob, rng, training):
    if not training:
        return x
    mask = np.random.default_rng(42).random(x.shape) < keep_prob
    return x * mask / keep_prob
