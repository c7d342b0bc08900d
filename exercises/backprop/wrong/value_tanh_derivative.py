"""tanh's local derivative written as 1 - tanh(x) instead of 1 - tanh(x)**2."""
EXPECT = {"fails": ["value:unary", "value:deep_graph", "value:neuron"]}


def _tanh(self):
    t = math.tanh(self.data)
    out = Value(t, (self,))

    def _backward():
        self.grad += (1 - t) * out.grad

    out._backward = _backward
    return out


Value.tanh = _tanh
