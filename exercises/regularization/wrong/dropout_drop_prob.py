"""keep_prob read as the probability of dropping (PyTorch's and Keras's meaning of their argument)."""
EXPECT = {"fails": ["dropout:fraction_kept", "dropout:scaling", "dropout:keep_everything"],
          "misconception": "drop_prob_as_keep"}


def dropout(x, keep_prob, rng, training):
    if not training:
        return x
    mask = rng.random(x.shape) >= keep_prob
    return x * mask / (1 - keep_prob)
