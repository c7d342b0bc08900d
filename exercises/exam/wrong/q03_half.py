"""Confuses σ(0) = 0.5 with σ′(0) = 0.25."""
EXPECT = {"fails": ["q03:answer"], "misconception": "q03:half"}

q03 = "c"
