"""The bias left out of the comparison."""
EXPECT = {"fails": ["perceptron_output:one_sample", "perceptron_output:batch"], "misconception": "no_bias"}


def perceptron_output(w, b, x):
    return np.where(x @ w > 0, 1.0, -1.0)
