"""y − σ(a) instead of σ(a) − y."""
EXPECT = {"fails": ["grad_bce_sigmoid:answer"], "misconception": "sign_flipped"}

grad_bce_sigmoid = "y - sigma(a)"
