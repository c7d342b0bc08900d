"""np.var with ddof=1: the sample variance."""
EXPECT = {"fails": ["batchnorm:values", "batchnorm:small_batch"], "misconception": "sample_variance"}


def batchnorm_forward(H, gamma, beta, eps):
    return gamma * (H - H.mean(axis=0)) / np.sqrt(H.var(axis=0, ddof=1) + eps) + beta
