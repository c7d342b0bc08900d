"""r ← (1 − ρ)r + ρg²: the two weights exchanged."""
EXPECT = {"fails": ["rmsprop:one_step", "rmsprop:bowl"], "misconception": "rho_swapped"}


def rmsprop_step(w, g, r, lr, rho, delta):
    r = (1 - rho) * r + rho * g**2
    return w - lr / (delta + np.sqrt(r)) * g, r
