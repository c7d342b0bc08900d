"""The derivative of lam·w² written as lam·w."""
EXPECT = {"fails": ["grad_mse_l2:answer"], "misconception": "lambda_without_two"}

grad_mse_l2 = "-2*x*(y - w*x) + lam*w"
