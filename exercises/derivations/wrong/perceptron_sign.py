"""The sign of e = y − o lost: the gradient points uphill."""
EXPECT = {"fails": ["grad_perceptron:answer"], "misconception": "sign_error"}

grad_perceptron = "(y - f(a))*Derivative(f(a), a)*x_i"
