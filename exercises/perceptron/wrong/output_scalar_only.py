"""Written for one sample only: np.dot(w, x) fails on a batch of shape (N, D)."""
EXPECT = {"fails": ["perceptron_output:batch"]}


def perceptron_output(w, b, x):
    return 1.0 if np.dot(w, x) + b > 0 else -1.0
