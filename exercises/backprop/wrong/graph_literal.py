"""Returns the known numbers instead of computing them with the Value engine."""
EXPECT = {"fails": ["graph_example:at_6_2"], "misconception": "not_computed"}


def graph_example():
    return (70.0, 9.0, -24.0)
