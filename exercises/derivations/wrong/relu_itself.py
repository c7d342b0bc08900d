"""ReLU itself given as its derivative."""
EXPECT = {"fails": ["d_relu:answer"], "misconception": "relu_itself"}

d_relu = "Max(0, x)"
