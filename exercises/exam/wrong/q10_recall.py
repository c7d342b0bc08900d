"""Gives the formula of recall for precision."""
EXPECT = {"fails": ["q10:answer"], "misconception": "q10:recall"}

q10 = "b"
