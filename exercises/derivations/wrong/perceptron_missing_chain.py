"""The f′(a) factor of the chain rule is missing."""
EXPECT = {"fails": ["grad_perceptron:answer"], "misconception": "missing_chain_factor"}

grad_perceptron = "-(y - f(a))*x_i"
