"""Statistics of each sample (axis 1) instead of each feature."""
EXPECT = {"fails": ["batchnorm:values", "batchnorm:square_batch"], "misconception": "wrong_axis"}


def batchnorm_forward(H, gamma, beta, eps):
    mu = H.mean(axis=1, keepdims=True)
    var = H.var(axis=1, keepdims=True)
    return gamma * (H - mu) / np.sqrt(var + eps) + beta
