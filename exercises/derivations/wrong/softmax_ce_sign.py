"""y_k − s_k instead of s_k − y_k."""
EXPECT = {"fails": ["grad_softmax_ce:answer"], "misconception": "sign_flipped"}

grad_softmax_ce = "y_k - s_k"
