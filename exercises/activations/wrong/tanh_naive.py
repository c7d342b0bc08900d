"""(e^x − e^−x)/(e^x + e^−x) evaluated naively: inf/inf = nan at ±1000."""
EXPECT = {"fails": ["tanh:large_inputs"]}


def tanh(x):
    return (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))
