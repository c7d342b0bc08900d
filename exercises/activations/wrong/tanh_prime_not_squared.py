"""1 − tanh(x) instead of 1 − tanh²(x)."""
EXPECT = {"fails": ["tanh_prime:values"], "misconception": "not_squared"}


def tanh_prime(x):
    return 1 - tanh(x)
