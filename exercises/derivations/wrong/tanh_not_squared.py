"""1 − tanh(x), the square forgotten (overrides the LaTeX answer: a code variable takes precedence)."""
EXPECT = {"fails": ["d_tanh:answer"], "misconception": "one_minus_tanh"}

d_tanh = "1 - tanh(x)"
