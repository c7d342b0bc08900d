"""½ · mean: the perceptron's ½e² carried over into the MSE."""
EXPECT = {"fails": ["mse:worked_example", "mse:random"], "misconception": "half"}


def mse(y_pred, y_true):
    return 0.5 * np.mean((y_true - y_pred) ** 2)
