"""Thresholds chosen for a unit that fires on w·x > θ: with ≥ each gate fires too often."""
EXPECT = {"fails": ["gates:and", "gates:or", "gates:and_not"], "misconception": "strict_threshold"}

GATES = {
    "and": ((1.0, 1.0), 1.0),
    "or": ((1.0, 1.0), 0.0),
    "and_not": ((1.0, -1.0), 0.0),
}
