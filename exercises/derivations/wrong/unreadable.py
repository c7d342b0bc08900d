"""An answer with a name the task does not declare is refused with a reading error, never guessed."""
EXPECT = {"fails": ["grad_mse_l2:answer"]}

grad_mse_l2 = "-2*x*(y - wx) + 2*lam*w"
