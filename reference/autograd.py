"""Backpropagation as reverse-mode automatic differentiation on scalars (CURRICULUM §4).

:class:`Value` is the whole engine: a number, its adjoint ``grad`` (∂output/∂self after
``backward()``), the nodes it was computed from, and a closure that passes its adjoint on to them
by the chain rule. Unlike the rest of ``reference`` it works on Python floats, not tensors: the
point is to see every number of the graph.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass


class Value:
    """A scalar node of a computational graph."""

    __slots__ = ("_backward", "_children", "data", "grad", "op")

    def __init__(self, data: float, children: tuple[Value, ...] = (), op: str = "") -> None:
        self.data = float(data)
        self.grad = 0.0
        self._children = children
        self._backward: Callable[[], None] = lambda: None
        self.op = op

    def __repr__(self) -> str:
        return f"Value(data={self.data!r}, grad={self.grad!r})"

    def _unary(self, data: float, local: float, op: str) -> Value:
        # `local` is ∂out/∂self; the chain rule multiplies it by the adjoint arriving at out.
        out = Value(data, (self,), op)

        def backward() -> None:
            self.grad += local * out.grad

        out._backward = backward
        return out

    def __add__(self, other: Value | float) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def backward() -> None:
            # += rather than =: a node feeding several others collects every contribution.
            self.grad += out.grad
            other.grad += out.grad

        out._backward = backward
        return out

    def __mul__(self, other: Value | float) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def backward() -> None:
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = backward
        return out

    def __pow__(self, exponent: float) -> Value:
        if isinstance(exponent, Value):
            raise TypeError("Value ** Value is not supported; the exponent must be a number")
        return self._unary(self.data**exponent, exponent * self.data ** (exponent - 1), f"**{exponent:g}")

    def exp(self) -> Value:
        e = math.exp(self.data)
        return self._unary(e, e, "exp")

    def log(self) -> Value:
        return self._unary(math.log(self.data), 1.0 / self.data, "log")

    def tanh(self) -> Value:
        t = math.tanh(self.data)
        return self._unary(t, 1.0 - t * t, "tanh")

    def relu(self) -> Value:
        return self._unary(max(self.data, 0.0), 1.0 if self.data > 0 else 0.0, "relu")

    def sigmoid(self) -> Value:
        # Exponentiate −|x| only, so that ±1000 cannot overflow.
        z = math.exp(-abs(self.data))
        s = 1.0 / (1.0 + z) if self.data >= 0 else z / (1.0 + z)
        return self._unary(s, s * (1.0 - s), "sigmoid")

    def __neg__(self) -> Value:
        return self * -1.0

    def __sub__(self, other: Value | float) -> Value:
        return self + (-other)

    def __truediv__(self, other: Value | float) -> Value:
        return self * (other**-1.0 if isinstance(other, Value) else 1.0 / other)

    def __radd__(self, other: float) -> Value:
        return self + other

    def __rmul__(self, other: float) -> Value:
        return self * other

    def __rsub__(self, other: float) -> Value:
        return Value(other) - self

    def __rtruediv__(self, other: float) -> Value:
        return Value(other) / self

    def backward(self) -> None:
        """Fill ``grad`` of every node this one depends on with ∂self/∂node (seed ∂self/∂self = 1).

        Nodes are visited in reverse topological order of the children, so a node passes its
        adjoint on only once every node that uses it has added its share. Earlier adjoints are
        reset first, so calling ``backward`` twice gives the same numbers.
        """
        order: list[Value] = []
        seen: set[int] = set()
        stack: list[tuple[Value, bool]] = [(self, False)]
        while stack:  # depth-first, without recursion, so long chains do not hit the limit
            node, children_done = stack.pop()
            if children_done:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((child, False) for child in node._children)
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            node._backward()


@dataclass(frozen=True)
class GraphNode:
    """One row of the course's table: node name, how it is computed, value, adjoint ∂f/∂node."""

    name: str
    expression: str
    value: float
    adjoint: float


def graph_table(x: float = 6.0, y: float = 2.0) -> tuple[GraphNode, ...]:
    """The forward values and adjoints of f(x, y) = (x/y + 5)² + x, node by node.

    Nodes as in class: w0 = x, w1 = y, w2 = w0/w1 + 5, w3 = w2², w4 = w3 + w0 = f. At (6, 2)
    the table reads values 6, 2, 8, 64, 70 and adjoints 9, −24, 16, 1, 1.
    """
    w0, w1 = Value(x), Value(y)
    w2 = w0 / w1 + 5.0
    w3 = w2**2
    w4 = w3 + w0
    w4.backward()
    rows = [("w0", "x", w0), ("w1", "y", w1), ("w2", "w0 / w1 + 5", w2), ("w3", "w2 ** 2", w3), ("w4", "w3 + w0", w4)]
    return tuple(GraphNode(name, expression, node.data, node.grad) for name, expression, node in rows)


def graph_example(x: float = 6.0, y: float = 2.0) -> tuple[float, float, float]:
    """(f, ∂f/∂x, ∂f/∂y) of f(x, y) = (x/y + 5)² + x: (70.0, 9.0, −24.0) at (6, 2)."""
    table = graph_table(x, y)
    return table[4].value, table[0].adjoint, table[1].adjoint
