"""The forward pass with Value, the reverse pass written out by hand from the nodes' data."""


def graph_example():
    x, y = Value(6.0), Value(2.0)
    w2 = x / y + 5
    w3 = w2**2
    f = w3 + x
    d_w2 = 2 * w2.data
    return f.data, d_w2 / y.data + 1, -d_w2 * x.data / y.data**2
