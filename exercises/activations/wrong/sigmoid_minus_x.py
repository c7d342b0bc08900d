"""σ(−x) instead of σ(x): the sign of the exponent flipped."""
EXPECT = {"fails": ["sigmoid:values"], "misconception": "minus_sign"}


def sigmoid(x):
    return 1 / (1 + np.exp(x))
