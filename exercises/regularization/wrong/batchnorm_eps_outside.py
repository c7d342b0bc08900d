"""eps added after the square root."""
EXPECT = {"fails": ["batchnorm:values", "batchnorm:large_eps"], "misconception": "eps_outside_sqrt"}


def batchnorm_forward(H, gamma, beta, eps):
    return gamma * (H - H.mean(axis=0)) / (H.std(axis=0) + eps) + beta
