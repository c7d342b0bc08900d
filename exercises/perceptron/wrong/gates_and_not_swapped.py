"""The inhibitory weight on x1: the unit computes x2 AND NOT x1."""
EXPECT = {"fails": ["gates:and_not"], "misconception": "swapped"}

GATES = {
    "and": ((1.0, 1.0), 2.0),
    "or": ((1.0, 1.0), 1.0),
    "and_not": ((-1.0, 1.0), 1.0),
}
