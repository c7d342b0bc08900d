"""1/0 outputs (the threshold unit's) instead of +1/−1."""
EXPECT = {"fails": ["perceptron_output:one_sample", "perceptron_output:batch"], "misconception": "zero_one"}


def perceptron_output(w, b, x):
    return np.where(x @ w + b > 0, 1.0, 0.0)
