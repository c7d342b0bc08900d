"""v ← βv + lr·g, w ← w − v: the same path of w, with v of the opposite sign."""
EXPECT = {"fails": ["momentum:bowl", "momentum:rosenbrock"], "misconception": "v_negated"}


def momentum_step(w, g, v, lr, beta):
    v = beta * v + lr * g
    return w - v, v
