"""+24 instead of −24."""
EXPECT = {"fails": ["dfdy:answer"], "misconception": "sign_error"}

dfdy = "24"
