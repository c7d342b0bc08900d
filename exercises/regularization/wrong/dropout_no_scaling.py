"""Units dropped but the kept ones not divided by keep_prob."""
EXPECT = {"fails": ["dropout:scaling", "dropout:mean_and_fresh_masks"], "misconception": "no_inverted_scaling"}


def dropout(x, keep_prob, rng, training):
    if not training:
        return x
    return x * (rng.random(x.shape) < keep_prob)
