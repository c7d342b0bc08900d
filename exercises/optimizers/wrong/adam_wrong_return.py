"""Returns only w: the state is lost, and the trajectory script says what must be returned."""
EXPECT = {"fails": ["adam:one_step", "adam:bowl", "adam:rosenbrock"]}


def adam_step(w, g, s, r, lr, rho1, rho2, delta):
    s = rho1 * s + (1 - rho1) * g
    r = rho2 * r + (1 - rho2) * g**2
    return w - lr / (delta + np.sqrt(r)) * s
