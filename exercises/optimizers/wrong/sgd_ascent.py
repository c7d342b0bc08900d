"""w + lr·g: a step uphill."""
EXPECT = {"fails": ["sgd:one_step", "sgd:bowl", "sgd:rosenbrock"], "misconception": "ascent"}


def sgd_step(w, g, lr):
    return w + lr * g
