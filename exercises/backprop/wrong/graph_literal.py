"""Returns the known numbers typed in instead of working them out."""
EXPECT = {"fails": ["graph_example:at_6_2"], "misconception": "not_computed"}


def graph_example():
    return (70.0, 9.0, -24.0)
