"""σ(x)(1 − x): the derivative written with the input instead of the output."""
EXPECT = {"fails": ["d_sigmoid:answer"], "misconception": "sigma_times_one_minus_x"}

d_sigmoid = "sigma(x)*(1 - x)"
