"""No maximum subtracted: exp(1000) overflows and the result is nan."""
EXPECT = {"fails": ["softmax:large_inputs"]}


def softmax(x):
    e = np.exp(x)
    return e / e.sum(axis=-1, keepdims=True)
