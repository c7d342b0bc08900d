"""Computes f with Value but types the two derivatives in."""
EXPECT = {"fails": ["graph_example:at_6_2"], "misconception": "not_computed"}


def graph_example():
    x, y = Value(6.0), Value(2.0)
    f = (x / y + 5) ** 2 + x
    return f.data, 9.0, -24.0
