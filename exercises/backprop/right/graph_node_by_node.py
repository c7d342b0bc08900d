"""The worked graph node by node with plain numbers, as the statement allows: no Value at all."""


def graph_example():
    x, y = 6.0, 2.0
    # forward
    w2 = x / y + 5
    w3 = w2**2
    f = w3 + x
    # reverse, from df/df = 1
    d_w3 = 1.0
    d_w2 = 2 * w2 * d_w3
    d_x = d_w2 / y + 1.0  # x reaches f through w2 and directly
    d_y = d_w2 * (-x / y**2)
    return f, d_x, d_y
