"""d(a**k)/da written as k * a**k (the exponent not lowered)."""
EXPECT = {"fails": ["value:power"]}


def _pow(self, k):
    out = Value(self.data**k, (self,))

    def _backward():
        self.grad += k * self.data**k * out.grad

    out._backward = _backward
    return out


Value.__pow__ = _pow
