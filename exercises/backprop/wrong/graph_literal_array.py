"""The known numbers typed in, wrapped in an array under a name."""
EXPECT = {"fails": ["graph_example:at_6_2"], "misconception": "not_computed"}

import numpy as np

ANSWER = np.array([70.0, 9.0, -24.0])


def graph_example():
    return tuple(ANSWER)
