"""PyTorch's Adam: s and r divided by 1 − ρ^t before the step (t defaults to 1)."""
EXPECT = {"fails": ["adam:one_step", "adam:bowl", "adam:rosenbrock"], "misconception": "bias_corrected"}


def adam_step(w, g, s, r, lr, rho1, rho2, delta, t=1):
    s = rho1 * s + (1 - rho1) * g
    r = rho2 * r + (1 - rho2) * g**2
    s_hat = s / (1 - rho1**t)
    r_hat = r / (1 - rho2**t)
    return w - lr * s_hat / (np.sqrt(r_hat) + delta), s, r
