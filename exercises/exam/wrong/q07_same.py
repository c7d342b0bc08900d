"""Believes both forms of Adam give the same trajectory."""
EXPECT = {"fails": ["q07:answer"], "misconception": "q07:same"}

q07 = "d"
