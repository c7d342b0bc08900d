"""Dropped entries set to a small number instead of exactly 0."""
EXPECT = {"fails": ["dropout:fraction_kept", "dropout:scaling"]}


def dropout(x, keep_prob, rng, training):
    if not training:
        return x
    mask = rng.random(x.shape) < keep_prob
    return np.where(mask, x / keep_prob, 1e-6)
