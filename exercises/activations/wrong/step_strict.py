"""x > 0 instead of x ≥ 0, so step(0) = 0."""
EXPECT = {"fails": ["step:zero_is_one"], "misconception": "strict_inequality"}


def step(x):
    return np.where(x > 0, 1.0, 0.0)
