"""axis=1 without keepdims: crashes unless the batch is square, and is wrong when it is."""
EXPECT = {"fails": ["batchnorm:values", "batchnorm:square_batch"], "misconception": "wrong_axis"}


def batchnorm_forward(H, gamma, beta, eps):
    return gamma * (H - H.mean(axis=1)) / np.sqrt(H.var(axis=1) + eps) + beta
