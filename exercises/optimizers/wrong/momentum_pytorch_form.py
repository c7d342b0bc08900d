"""PyTorch's momentum: v ← βv + g, w ← w − lr·v. The path of w is the course's, v is not."""
EXPECT = {"fails": ["momentum:one_step", "momentum:bowl", "momentum:rosenbrock"], "misconception": "pytorch_momentum"}


def momentum_step(w, g, v, lr, beta):
    v = beta * v + g
    return w - lr * v, v
