"""σ(x)(1 − x): the derivative formula applied to x instead of σ(x)."""
EXPECT = {"fails": ["sigmoid_prime:values"], "misconception": "s_times_one_minus_x"}


def sigmoid_prime(x):
    return sigmoid(x) * (1 - x)
