"""Kept values multiplied by keep_prob instead of divided."""
EXPECT = {"fails": ["dropout:scaling"], "misconception": "times_keep_prob"}


def dropout(x, keep_prob, rng, training):
    if not training:
        return x
    return x * (rng.random(x.shape) < keep_prob) * keep_prob
