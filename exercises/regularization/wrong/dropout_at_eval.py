"""The training flag ignored: units are dropped at evaluation too."""
EXPECT = {"fails": ["dropout:eval_identity"], "misconception": "drops_at_eval"}


def dropout(x, keep_prob, rng, training):
    mask = rng.binomial(1, keep_prob, size=x.shape)
    return x * mask / keep_prob
