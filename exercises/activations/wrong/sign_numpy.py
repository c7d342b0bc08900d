"""np.sign gives 0 at 0; the course's sign gives +1."""
EXPECT = {"fails": ["sign:zero_is_plus_one"], "misconception": "np_sign"}


def sign(x):
    return np.sign(x)
