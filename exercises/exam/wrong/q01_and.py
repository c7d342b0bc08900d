"""Thinks AND is the function a threshold unit cannot compute."""
EXPECT = {"fails": ["q01:answer"], "misconception": "q01:and"}

q01 = "a"
