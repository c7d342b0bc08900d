"""The scalar autograd engine against torch.autograd, and the course's graph table."""

from __future__ import annotations

import math

import pytest
import torch

from reference.autograd import Value, graph_example, graph_table


def test_course_table_node_by_node() -> None:
    rows = {row.name: (row.value, row.adjoint) for row in graph_table(6.0, 2.0)}
    assert rows == {"w0": (6.0, 9.0), "w1": (2.0, -24.0), "w2": (8.0, 16.0), "w3": (64.0, 1.0), "w4": (70.0, 1.0)}
    assert graph_example() == (70.0, 9.0, -24.0)


@pytest.mark.parametrize(("x", "y"), [(6.0, 2.0), (-1.5, 0.7), (3.0, -4.0)])
def test_graph_example_matches_torch(x: float, y: float) -> None:
    tx = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    ty = torch.tensor(y, dtype=torch.float64, requires_grad=True)
    f = (tx / ty + 5) ** 2 + tx
    f.backward()
    got = graph_example(x, y)
    expected = (f.item(), tx.grad.item(), ty.grad.item())
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-12), f"got {got}, torch {expected}"


def build(a, b, c):
    """One expression using every operation of the engine (a > 0 for the log)."""
    d = a * b + c**3 - b / a
    e = (d * 0.1).tanh() + (2.0 - c).relu() + (b * 0.5).sigmoid() - 1.0 / (a + 3.0)
    f = e * d + (a * 0.3).exp() + (a + 1.0).log() - (-c) + 3.0 * a
    return f * f + b**2  # b is used again: its adjoints must add up


@pytest.mark.parametrize("seed", range(5))
def test_engine_matches_torch(seed: int) -> None:
    g = torch.Generator().manual_seed(seed)
    a0, b0, c0 = (torch.rand(3, generator=g, dtype=torch.float64) * 2 + torch.tensor([0.1, -1.0, -1.0])).tolist()
    a, b, c = Value(a0), Value(b0), Value(c0)
    out = build(a, b, c)
    out.backward()
    ta, tb, tc = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (a0, b0, c0))
    tout = build(ta, tb, tc)
    tout.backward()
    got = [out.data, a.grad, b.grad, c.grad]
    expected = [tout.item(), ta.grad.item(), tb.grad.item(), tc.grad.item()]
    worst = max(abs(p - q) / max(1.0, abs(q)) for p, q in zip(got, expected, strict=True))
    assert worst < 1e-10, f"largest relative difference {worst:.3g}: got {got}, torch {expected}"


def test_operations_one_by_one() -> None:
    x = Value(0.5)
    cases = {
        "exp": (x.exp(), math.exp(0.5), math.exp(0.5)),
        "log": (x.log(), math.log(0.5), 2.0),
        "tanh": (x.tanh(), math.tanh(0.5), 1 - math.tanh(0.5) ** 2),
        "relu": (x.relu(), 0.5, 1.0),
        "sigmoid": (x.sigmoid(), 1 / (1 + math.exp(-0.5)), math.exp(-0.5) / (1 + math.exp(-0.5)) ** 2),
        "pow": (x**3, 0.125, 0.75),
        "rtruediv": (2.0 / x, 4.0, -8.0),
        "rsub": (1.0 - x, 0.5, -1.0),
        "neg": (-x, -0.5, -1.0),
    }
    for name, (node, value, derivative) in cases.items():
        node.backward()
        assert node.data == pytest.approx(value, rel=1e-15), name
        assert x.grad == pytest.approx(derivative, rel=1e-14), name


def test_relu_at_zero_and_extremes() -> None:
    zero = Value(0.0)
    zero.relu().backward()
    assert zero.grad == 0.0
    assert Value(-1000.0).sigmoid().data == 0.0 and Value(1000.0).sigmoid().data == 1.0


def test_backward_twice_gives_the_same_adjoints() -> None:
    x = Value(3.0)
    y = x * x + x
    y.backward()
    y.backward()
    assert x.grad == 7.0


def test_deep_chain_needs_no_recursion() -> None:
    x = Value(1.0)
    y = x
    for _ in range(5000):
        y = y + 1.0
    y.backward()
    assert y.data == 5001.0 and x.grad == 1.0


def test_value_exponent_is_refused() -> None:
    with pytest.raises(TypeError, match="exponent"):
        Value(2.0) ** Value(3.0)
