"""backward() walks the graph depth first from the output without a topological order: a shared
node passes its gradient on before all its users have added theirs, and again each time it is reached."""
EXPECT = {"fails": ["value:deep_graph"], "misconception": "no_topological_order"}


def _naive_backward(self):
    self.grad = 1.0
    stack = [self]
    while stack:
        node = stack.pop()
        node._backward()
        stack.extend(node._children)


Value.backward = _naive_backward
