"""PyTorch's Adam with a step counter kept in a global, reset by nothing the grader does: recognised on the first call, where t = 1."""
EXPECT = {"fails": ["adam:one_step", "adam:bowl", "adam:rosenbrock"], "misconception": "bias_corrected"}

adam_t = 0


def adam_step(w, g, s, r, lr, rho1, rho2, delta):
    global adam_t
    adam_t += 1
    s = rho1 * s + (1 - rho1) * g
    r = rho2 * r + (1 - rho2) * g**2
    s_hat = s / (1 - rho1**adam_t)
    r_hat = r / (1 - rho2**adam_t)
    return w - lr * s_hat / (np.sqrt(r_hat) + delta), s, r
