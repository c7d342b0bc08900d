"""Heaviside with 0.5 at 0: neither convention the course accepts."""
EXPECT = {"fails": ["relu_prime:at_zero"]}


def relu_prime(x):
    return np.heaviside(x, 0.5)
