"""Backpropagation (course §4): a scalar autograd engine, the worked graph, and an MLP's gradients by hand.

`Value` is graded by scripts that build small expressions with the student's class in the
student's process, call `backward()` and return the value and the gradients as plain numbers.
The parent runs the very same scripts with the reference `Value` for the expected numbers, and
with deliberately broken engines (gradients overwritten instead of accumulated, nodes visited
without a topological order) to recognise those mistakes.

Conventions graded: gradients accumulate (a node used twice receives both contributions);
`backward()` seeds ∂f/∂f = 1 and visits nodes in reverse topological order; `graph_example` works
its numbers out (with `Value` or node by node; numbers typed in fail); `mlp_backward` is the
gradient of mean((out − y)²) over the N samples, written without autograd.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from grader.checks import Close
from grader.exercise import UNSET, Case, Exercise, FunctionTask, Misconception, Test
from grader.i18n import Text
from grader.sandbox.limits import Limits
from reference import autograd, mlp

EXACT = Close(rtol=1e-7, atol=1e-10)
# Library autograd. A `torch.Tensor.backward` entry matches `.backward(` calls except on classes the
# notebook defines itself, so the student's own Value.backward() stays allowed.
AUTOGRAD = ("torch.autograd.grad", "torch.autograd.backward", "torch.func.grad", "torch.func.vjp",
            "torch.func.grad_and_value", "torch.autograd.functional.vjp", "torch.autograd.functional.jacobian")
AUTOGRAD_AND_METHOD = (*AUTOGRAD, "torch.Tensor.backward")

# Each script builds one graph with the student's Value (ns["Value"]) and returns plain floats.
HEADER = '''
def grads(f, **leaves):
    f.backward()
    out = {"f": float(f.data)}
    out.update({"df/d" + name: float(node.grad) for name, node in leaves.items()})
    return out

'''
SCRIPTS = {
    "add_mul": '''
def probe(ns, x, y, z):
    V = ns["Value"]
    a, b, c = V(x), V(y), V(z)
    return grads(a * b + c, a=a, b=b, c=c)
''',
    "sub_div": '''
def probe(ns, x, y, z):
    V = ns["Value"]
    a, b, c = V(x), V(y), V(z)
    return grads(a - b / c, a=a, b=b, c=c)
''',
    "power": '''
def probe(ns, x, y, z):
    V = ns["Value"]
    a, b, c = V(x), V(y), V(abs(z) + 0.5)
    return grads(a**3 + b**2 * c**-0.5, a=a, b=b, c=c)
''',
    "reverse_operands": '''
def probe(ns, x, y, z):
    V = ns["Value"]
    a, b, c = V(x), V(y), V(abs(z) + 0.5)
    return grads((2 * a) * (1 - b) + 1 / c + 3, a=a, b=b, c=c)
''',
    "unary": '''
def probe(ns, x, y, z):
    V = ns["Value"]
    a, b, c, d = V(x / 2), V(y), V(abs(z) + 0.5), V(-abs(z) - 0.5)
    return grads(a.exp() * b.tanh() + c.relu() * 3 + d.relu(), a=a, b=b, c=c, d=d)
''',
    "reused_variable": '''
def probe(ns, x, y, z):
    V = ns["Value"]
    a, b = V(x), V(y)
    return grads(a * a + a * b + a + (b + b), a=a, b=b)
''',
    "deep_graph": '''
def probe(ns, x, y, z):
    V = ns["Value"]
    a, b = V(x / 4), V(y / 4)
    h = a
    for _ in range(6):
        # every layer uses the previous one twice and the leaves again: many paths to a and b
        h = (h * b + a).tanh() + h * 0.5
    return grads(h * h + a, a=a, b=b)
''',
    "neuron": '''
def probe(ns, x, y, z):
    V = ns["Value"]
    x1, x2, w1, w2, bias = V(x / 2), V(y / 2), V(-0.7), V(z / 3), V(0.2)
    out = (x1 * w1 + x2 * w2 + bias).tanh()
    loss = (out - 0.5) ** 2
    return grads(loss, x1=x1, x2=x2, w1=w1, w2=w2, bias=bias)
''',
}


def script(name: str) -> str:
    return HEADER + SCRIPTS[name]


def run_with(source: str, make_value: Callable[[], type]) -> Callable[..., Any]:
    """The script run here, against a Value class of ours (the reference, or a broken engine)."""

    def run(*args: Any) -> Any:
        scope: dict[str, Any] = {"__builtins__": builtins, "np": np}
        exec(compile(source, "<value-script>", "exec"), scope)  # noqa: S102 (our own script, not student code)
        return scope["probe"]({"Value": make_value()}, *args)

    return run


def broken_engine(accumulate: bool = True, ordered: bool = True) -> type:
    """A scalar engine with one classic mistake: `=` for `+=`, or a backward pass with no topological order."""

    class Node:
        def __init__(self, data: float, parents: tuple[tuple[Node, float], ...] = ()) -> None:
            self.data, self.grad, self._parents = float(data), 0.0, parents
            self._backward: Callable[[], None] = self._pass_on

        def _pass_on(self) -> None:
            for node, local in self._parents:
                node.grad = node.grad + local * self.grad if accumulate else local * self.grad

        @staticmethod
        def _of(other: Any) -> Node:
            return other if isinstance(other, Node) else Node(other)

        def __add__(self, other: Any) -> Node:
            other = self._of(other)
            return Node(self.data + other.data, ((self, 1.0), (other, 1.0)))

        def __mul__(self, other: Any) -> Node:
            other = self._of(other)
            return Node(self.data * other.data, ((self, other.data), (other, self.data)))

        def __pow__(self, k: float) -> Node:
            return Node(self.data**k, ((self, k * self.data ** (k - 1)),))

        def exp(self) -> Node:
            return Node(math.exp(self.data), ((self, math.exp(self.data)),))

        def tanh(self) -> Node:
            t = math.tanh(self.data)
            return Node(t, ((self, 1 - t * t),))

        def relu(self) -> Node:
            return Node(max(self.data, 0.0), ((self, 1.0 if self.data > 0 else 0.0),))

        def __neg__(self) -> Node:
            return self * -1.0

        def __sub__(self, other: Any) -> Node:
            return self + (-self._of(other))

        def __truediv__(self, other: Any) -> Node:
            return self * self._of(other) ** -1.0

        __radd__, __rmul__ = __add__, __mul__

        def __rsub__(self, other: Any) -> Node:
            return self._of(other) - self

        def __rtruediv__(self, other: Any) -> Node:
            return self._of(other) / self

        def backward(self) -> None:
            self.grad = 1.0
            if not ordered:  # depth first from the output, each node passed on every time it is reached
                stack = [self]
                while stack:
                    node = stack.pop()
                    node._backward()
                    stack.extend(parent for parent, _ in node._parents)
                return
            order: list[Node] = []
            seen: set[int] = set()

            def visit(node: Node) -> None:
                if id(node) not in seen:
                    seen.add(id(node))
                    for parent, _ in node._parents:
                        visit(parent)
                    order.append(node)

            visit(self)
            for node in reversed(order):
                node._backward()

    return Node


NO_ACCUMULATE = Text(
    "A node used more than once must receive the sum of all its contributions: in every backward closure write "
    "`self.grad += ...`, not `self.grad = ...`.",
    "Un nodo que se usa más de una vez debe recibir la suma de todas sus contribuciones: en cada cierre backward "
    "escribe `self.grad += ...`, no `self.grad = ...`.")
NO_ORDER = Text(
    "backward() passed a node's gradient on before every node that uses it had added its share. Sort the graph "
    "topologically (a depth-first search that appends a node after its children) and call each node's _backward "
    "once, in reverse order.",
    "backward() propagó el gradiente de un nodo antes de que todos los nodos que lo usan hubieran sumado su parte. "
    "Ordena el grafo topológicamente (un recorrido en profundidad que añade cada nodo después de sus hijos) y llama "
    "una vez al _backward de cada nodo, en orden inverso.")


def value_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for _ in range(2):
        x, y, z = (float(np.round(v, 3)) for v in rng.uniform(-2, 2, size=3))
        z = z if abs(z) > 0.3 else z + 0.5  # divided by z in sub_div
        cases.append(Case((x, y, z), label=Text(f"leaves built from x = {x}, y = {y}, z = {z}",
                                                f"hojas construidas a partir de x = {x}, y = {y}, z = {z}")))
    return cases


def value_test(name: str, points: float, public: bool, title: Text, hint: Text, shared: bool = False) -> Test:
    """`shared`: the graph reuses nodes, so the broken engines give other numbers and can be recognised."""
    source = script(name)
    wrong = (Misconception("no_accumulate", run_with(source, lambda: broken_engine(accumulate=False)), NO_ACCUMULATE),
             Misconception("no_topological_order", run_with(source, lambda: broken_engine(ordered=False)), NO_ORDER))
    wrong = wrong if shared else ()
    return Test(name, points, value_cases, (EXACT,), public=public, probe="script", script=source,
                expected=run_with(source, lambda: autograd.Value), misconceptions=wrong, title=title, hint=hint)


value_task = FunctionTask(
    "value", Text("A scalar autograd engine: Value", "Un motor de autograd escalar: Value"), "Value",
    signature="Value(data)", forbid=AUTOGRAD_AND_METHOD, tests=[
        value_test("add_mul", 1, True, Text("a·b + c", "a·b + c"),
                   Text("For out = a + b, a and b receive out.grad; for out = a·b, a receives b.data·out.grad and b "
                        "receives a.data·out.grad.",
                        "Para out = a + b, a y b reciben out.grad; para out = a·b, a recibe b.data·out.grad y b "
                        "recibe a.data·out.grad.")),
        value_test("sub_div", 1, True, Text("a − b / c", "a − b / c"),
                   Text("Write a − b as a + (−b) and a / b as a · b**−1, so that their gradients follow from + , · "
                        "and **.", "Escribe a − b como a + (−b) y a / b como a · b**−1, para que sus gradientes "
                        "salgan de +, · y **.")),
        value_test("power", 1, True, Text("powers with a number exponent", "potencias con exponente numérico"),
                   Text("d(aᵏ)/da = k·aᵏ⁻¹ for a number k (negative and fractional ones too).",
                        "d(aᵏ)/da = k·aᵏ⁻¹ para un número k (también negativo o fraccionario).")),
        value_test("reverse_operands", 1, True, Text("a number on the left: 2·a, 1 − b, 1 / c, + 3",
                                                     "un número a la izquierda: 2·a, 1 − b, 1 / c, + 3"),
                   Text("2 * v, 1 - v, 1 / v and 3 + v call v.__rmul__, v.__rsub__, v.__rtruediv__ and v.__radd__; "
                        "define them (1 − v is not v − 1).",
                        "2 * v, 1 - v, 1 / v y 3 + v llaman a v.__rmul__, v.__rsub__, v.__rtruediv__ y v.__radd__; "
                        "defínelos (1 − v no es v − 1).")),
        value_test("unary", 1, True, Text("exp, tanh and relu", "exp, tanh y relu"),
                   Text("exp′(a) = exp(a), tanh′(a) = 1 − tanh²(a), relu′(a) = 1 for a > 0 and 0 for a < 0.",
                        "exp′(a) = exp(a), tanh′(a) = 1 − tanh²(a), relu′(a) = 1 si a > 0 y 0 si a < 0.")),
        value_test("reused_variable", 2, True, Text("a variable used several times", "una variable usada varias veces"),
                   NO_ACCUMULATE, shared=True),
        value_test("deep_graph", 2, False, Text("a deep graph with shared nodes", "un grafo profundo con nodos compartidos"),
                   NO_ORDER, shared=True),
        value_test("neuron", 1, False, Text("a tanh neuron and its squared error",
                                            "una neurona tanh y su error cuadrático"),
                   Text("Every leaf of the graph (inputs, weights and bias) must end with ∂loss/∂leaf in .grad.",
                        "Cada hoja del grafo (entradas, pesos y sesgo) debe acabar con ∂loss/∂hoja en .grad.")),
    ])

graph_task = FunctionTask(
    "graph_example", Text("The worked graph f(x, y) = (x/y + 5)² + x", "El grafo resuelto f(x, y) = (x/y + 5)² + x"),
    "graph_example", signature="graph_example()", reference=autograd.graph_example, forbid=AUTOGRAD_AND_METHOD,
    # With the student's Value or node by node, as the statement allows; typed-in numbers fail.
    computed=True, tests=[
        Test("at_6_2", 2, [Case((), label=Text("no arguments: the point (6, 2)", "sin argumentos: el punto (6, 2)"))],
             (Close(rtol=1e-9, atol=1e-9),), public=True,
             title=Text("(f, ∂f/∂x, ∂f/∂y) at (6, 2)", "(f, ∂f/∂x, ∂f/∂y) en (6, 2)"),
             hint=Text("Forward: w2 = x/y + 5 = 8, w3 = w2² = 64, f = w3 + x = 70. Reverse from ∂f/∂f = 1: "
                       "∂f/∂w2 = 2·w2 = 16, then x collects 16/y + 1 and y collects −16·x/y².",
                       "Hacia delante: w2 = x/y + 5 = 8, w3 = w2² = 64, f = w3 + x = 70. Hacia atrás desde "
                       "∂f/∂f = 1: ∂f/∂w2 = 2·w2 = 16, luego x acumula 16/y + 1 e y acumula −16·x/y²."),
             misconceptions=(Misconception("no_accumulate", lambda: (70.0, 8.0, -24.0), NO_ACCUMULATE),
                             Misconception("no_accumulate", lambda: (70.0, 1.0, -24.0), NO_ACCUMULATE))),
    ])


def mlp_cases(sizes: Sequence[tuple[int, int, int]], dead: bool = False) -> Callable[[np.random.Generator], list[Case]]:
    def make(rng: np.random.Generator) -> list[Case]:
        cases = []
        for n, d, h in sizes:
            params = {"W1": rng.normal(0, 1, size=(d, h)), "b1": rng.normal(0, 0.5, size=h),
                      "W2": rng.normal(0, 1, size=(h, 1)), "b2": rng.normal(0, 0.5, size=1)}
            if dead:  # some hidden units below zero for every sample, the others mostly active
                params["b1"] = np.where(np.arange(h) % 2 == 0, -50.0, 3.0)
            X, y = rng.normal(0, 1, size=(n, d)), rng.normal(0, 1, size=(n, 1))
            what = ", half of the hidden units never active" if dead else ""
            que = ", con la mitad de las unidades ocultas siempre inactivas" if dead else ""
            cases.append(Case((X, y, params), label=Text(f"N = {n}, D = {d}, H = {h}{what}",
                                                         f"N = {n}, D = {d}, H = {h}{que}")))
        return cases

    return make


def mlp_variant(factor: Callable[[int], float] | None = None, mask: bool = True, transpose: str = "",
                bias_mean: bool = False) -> Callable[..., dict[str, np.ndarray]]:
    """The gradients with one classic mistake: another loss factor, no ReLU mask, a missing transpose, mean for b."""

    def grads(X: np.ndarray, y: np.ndarray, params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        W1, b1, W2, b2 = (params[k] for k in ("W1", "b1", "W2", "b2"))
        a = X @ W1 + b1
        h = np.maximum(a, 0)
        out = h @ W2 + b2
        n = len(X)
        d_out = (factor(n) if factor else 2.0 / n) * (out - y)
        d_a = d_out @ W2.T * ((a > 0) if mask else 1.0)
        reduce = np.mean if bias_mean else np.sum
        if ("W1" in transpose and X.shape[0] != X.shape[1]) or ("W2" in transpose and h.shape[0] != h.shape[1]):
            return UNSET  # this mistake raises a shape error on such inputs: nothing to recognise
        return {"W1": X @ d_a if "W1" in transpose else X.T @ d_a, "b1": reduce(d_a, axis=0),
                "W2": h @ d_out if "W2" in transpose else h.T @ d_out, "b2": reduce(d_out, axis=0)}

    return grads


SUM_NOT_MEAN = Text(
    "Your gradients are N times too large: the loss is the MEAN of the squared errors, so ∂loss/∂out = 2(out − y)/N.",
    "Tus gradientes son N veces demasiado grandes: la pérdida es la MEDIA de los errores al cuadrado, así que "
    "∂pérdida/∂out = 2(out − y)/N.")
WRONG_TRANSPOSE = Text(
    "A transpose is missing: ∂loss/∂W1 = Xᵀ·∂loss/∂a and ∂loss/∂W2 = hᵀ·∂loss/∂out (the shapes only agree by chance "
    "when N equals D or H).",
    "Falta una transpuesta: ∂pérdida/∂W1 = Xᵀ·∂pérdida/∂a y ∂pérdida/∂W2 = hᵀ·∂pérdida/∂out (las formas solo "
    "coinciden por casualidad cuando N es igual a D o a H).")
MLP_WRONG = (
    Misconception("missing_two", mlp_variant(factor=lambda n: 1.0 / n), Text(
        "Your gradients are half the right ones: d/d out of (out − y)² is 2(out − y), so ∂loss/∂out = 2(out − y)/N.",
        "Tus gradientes son la mitad de los correctos: la derivada de (out − y)² es 2(out − y), así que "
        "∂pérdida/∂out = 2(out − y)/N.")),
    Misconception("sum_not_mean", mlp_variant(factor=lambda n: 2.0), SUM_NOT_MEAN),
    Misconception("sum_not_mean", mlp_variant(factor=lambda n: 1.0), SUM_NOT_MEAN),
    Misconception("no_relu_mask", mlp_variant(mask=False), Text(
        "The gradient through the ReLU is zero where the pre-activation a = X·W1 + b1 is negative: multiply "
        "∂loss/∂h by (a > 0) before going on to W1 and b1.",
        "El gradiente a través de la ReLU es cero donde la preactivación a = X·W1 + b1 es negativa: multiplica "
        "∂pérdida/∂h por (a > 0) antes de seguir hacia W1 y b1.")),
    Misconception("wrong_transpose", mlp_variant(transpose="W1 W2"), WRONG_TRANSPOSE),
    Misconception("wrong_transpose", mlp_variant(transpose="W1"), WRONG_TRANSPOSE),
    Misconception("wrong_transpose", mlp_variant(transpose="W2"), WRONG_TRANSPOSE),
    Misconception("bias_mean", mlp_variant(bias_mean=True), Text(
        "A bias is added to every sample, so its gradient is the SUM over samples of the gradients that reach it "
        "(the 1/N is already in ∂loss/∂out).",
        "Un sesgo se suma a cada muestra, así que su gradiente es la SUMA sobre las muestras de los gradientes que le "
        "llegan (el 1/N ya está en ∂pérdida/∂out).")),
)

mlp_task = FunctionTask(
    "mlp_backward", Text("Backpropagation in a two-layer MLP", "Retropropagación en un MLP de dos capas"),
    "mlp_backward", signature="mlp_backward(X, y, params)", reference=mlp.mlp_backward, forbid=AUTOGRAD_AND_METHOD, tests=[
        Test("values", 3, mlp_cases([(5, 3, 4), (8, 2, 6)]), (EXACT,), public=True, misconceptions=MLP_WRONG,
             title=Text("gradients of all four parameters", "gradientes de los cuatro parámetros"),
             hint=Text("Return a dict with keys W1, b1, W2, b2, each of the shape of its parameter.",
                       "Devuelve un dict con claves W1, b1, W2, b2, cada una con la forma de su parámetro.")),
        Test("dead_units", 2, mlp_cases([(6, 3, 4)], dead=True), (EXACT,), misconceptions=MLP_WRONG,
             title=Text("hidden units that never activate", "unidades ocultas que nunca se activan")),
        Test("square_shapes", 1, mlp_cases([(4, 4, 4)]), (EXACT,), misconceptions=MLP_WRONG,
             title=Text("N = D = H: transposes matter", "N = D = H: las transpuestas importan")),
        Test("single_sample", 1, mlp_cases([(1, 3, 5)]), (EXACT,), misconceptions=MLP_WRONG,
             title=Text("a batch of one sample", "un lote de una sola muestra")),
        Test("larger_batch", 1, mlp_cases([(64, 10, 16)]), (EXACT,), misconceptions=MLP_WRONG,
             title=Text("a batch of 64 samples", "un lote de 64 muestras")),
    ])


EXERCISE = Exercise(
    id="backprop",
    version="1",
    title=Text("Backpropagation: a scalar autograd engine and an MLP by hand",
               "Retropropagación: un motor de autograd escalar y un MLP a mano"),
    tasks=(value_task, graph_task, mlp_task),
    limits=Limits(cell_seconds=10, notebook_seconds=60, probe_seconds=5),
    requires=("numpy",),
)
