"""Only the path through the square counted for ∂f/∂x."""
EXPECT = {"fails": ["dfdx:answer"], "misconception": "direct_path_missing"}

dfdx = 8
