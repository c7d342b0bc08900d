"""Recording a test while the instructor's solution runs it: what runs where, and the values.

Every expression of a test statement that involves the student's names is taken apart as the
solution computes it. The student's own calls (`softmax(x)`, `model.fit(X, y)`, reading `loss`)
become steps the student's process replays; what the test does with their results (`np.allclose`,
`abs(a - b) < eps`, `.shape`, `==`) becomes an expression the grading process evaluates on
snapshots of them (`grader.importers.safe`). Values that involve no student name (the inputs,
the expected values, the tolerances) are recorded as the solution computed them: the inputs travel
to the student's process, the rest stays with the grading process.

A statement that cannot be split (the test applies its own helper or an unknown library function
to the student's values, or a value that cannot leave the student's process) raises
`Unconvertible`; the test then runs as it is in the student's process.
"""

from __future__ import annotations

import ast
import copy
import itertools
from dataclasses import dataclass
from typing import Any

from . import safe
from .probes import as_seen, plain, snapshot_function

MAX_STEPS = 4000  # steps or snapshots of one test: beyond this the test runs as it is
MAX_UNROLL = 1000  # elements of a comprehension over the student's values that are unrolled
_IMMUTABLE = (int, float, complex, str, bytes, bool, type(None), tuple, frozenset)
_snapshot = snapshot_function()

_CLOSE = {"numpy.allclose", "numpy.isclose", "math.isclose", "numpy.array_equal", "numpy.array_equiv",
          "numpy.testing.assert_allclose", "numpy.testing.assert_array_almost_equal",
          "numpy.testing.assert_almost_equal", "numpy.testing.assert_array_equal", "numpy.testing.assert_equal"}
_TOLERANCES = {"numpy.allclose": "rtol=1e-05, atol=1e-08", "numpy.isclose": "rtol=1e-05, atol=1e-08",
               "math.isclose": "rel_tol=1e-09, abs_tol=0.0", "numpy.testing.assert_allclose": "rtol=1e-07, atol=0",
               "numpy.testing.assert_array_almost_equal": "decimal=6",
               "numpy.testing.assert_almost_equal": "decimal=7"}
_ABS = {"abs", "numpy.abs", "numpy.absolute", "math.fabs"}
_WRAPPERS = {"numpy.all", "all", "numpy.max", "numpy.amax", "max"}


class Unconvertible(Exception):
    """This statement cannot be split; the message says why, for the instructor."""


class SolutionFails(Exception):
    """The instructor's solution fails this test where it stands."""


@dataclass
class Part:
    role: str  # "sf": no student name in it; "core": a step of the student's process; "parent": computed here
    real: Any  # its value, as the notebook computes it
    name: str = ""  # core: its name in the student's process
    tree: ast.expr | None = None  # sf: the source node; parent: the expression the grading process evaluates
    rendered: dict[str, Any] | None = None  # sf: how each side names it, once recorded


def _student_object(value: Any) -> bool:
    """An instance, function or method the notebook's own code defined: its behaviour is the student's."""
    if getattr(type(value), "__module__", None) == "__main__":
        return True
    return callable(value) and getattr(value, "__module__", None) == "__main__"


def _literal(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (int, float, complex, str, bool, type(None)))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return _literal(node.operand)
    if isinstance(node, (ast.Tuple, ast.List)):
        return len(node.elts) <= 8 and all(_literal(e) for e in node.elts)
    return False


def _expr(text: str) -> ast.expr:
    return ast.parse(text, mode="eval").body


class Recorder:
    """One test cell, recorded while the solution runs it in the notebook namespace `ns`."""

    def __init__(self, ns: dict[str, Any], student: set[str], exported: set[str]) -> None:
        self.ns = ns
        self.student = set(student)
        self.exported = exported  # names earlier tests bound from the student's values
        self.locals: dict[str, Part] = {}
        self.shadowed: set[str] = set()
        self.events: list[list[Any]] = []
        self.child_values: dict[str, tuple[Any, bool]] = {}  # name -> (value as recorded, public)
        self.given: dict[str, Any] = {}  # name -> the object the solution's run passed
        self.parent_values: dict[str, tuple[Any, bool]] = {}
        self.env: dict[str, Any] = {}  # what the grading process will hold: snapshots and recorded values
        self.judgments: list[dict[str, Any]] = []
        self.scope: dict[str, Any] | None = None
        self.snapped: dict[str, tuple[str, int, bool]] = {}
        self.execs = 0
        self.memo: dict[int, Part] = {}
        self.overlay: dict[str, Any] = {}
        self.line = 0
        self.public = True
        self.text = ""
        self.ids = itertools.count()
        self.calls: list[tuple[str, bool]] = []  # how the test calls the student's code, and whether publicly

    # ---- names and values ------------------------------------------------------------------

    def mine(self) -> set[str]:
        return (self.student - self.shadowed) | set(self.locals)

    def touches(self, node: ast.AST) -> bool:
        names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        names -= set(self.overlay)
        if names & self.exported - set(self.locals) - self.shadowed:
            name = min(names & self.exported)
            raise Unconvertible(f"`{name}` comes from an earlier test cell's use of the student's code")
        return bool(names & self.mine())

    def sf_value(self, node: ast.expr) -> Any:
        code = compile(ast.fix_missing_locations(ast.Expression(copy.deepcopy(node))), "<test>", "eval")
        scope = {**self.ns, **self.overlay} if self.overlay else self.ns
        return eval(code, scope)

    def child_scope(self) -> dict[str, Any]:
        if self.scope is None:
            self.scope = dict(self.ns)
            self.scope.update(self.given)
            import math

            import numpy

            self.scope["__m_numpy"], self.scope["__m_math"] = numpy, math
        return self.scope

    def emit(self, source: str) -> None:
        """A step of the student's process, run now on the solution's values."""
        if len(self.events) >= MAX_STEPS:
            raise Unconvertible(f"more than {MAX_STEPS} calls of the student's code")
        self.events.append(["exec", self.line, source, self.public])
        self.execs += 1
        try:
            exec(compile(source, f"<test, line {self.line}>", "exec"), self.child_scope())  # noqa: S102
        except Exception as exc:
            raise SolutionFails(f"line {self.line}: {type(exc).__name__}: {exc}") from exc

    def core(self, source: str) -> Part:
        name = f"__c{next(self.ids)}"
        self.emit(f"{name} = {source}")
        return Part("core", self.child_scope()[name], name=name)

    def slot(self, store: dict[str, tuple[Any, bool]], prefix: str, value: Any) -> str:
        """A value recorded now (a copy: what happens to the object later is not what was given)."""
        name = f"{prefix}{next(self.ids)}"
        store[name] = (_snapshot(value), self.public)
        if store is self.child_values:
            self.given[name] = value  # the solution's own run passes the object itself, as the notebook did
            if self.scope is not None:
                self.scope[name] = value
        if store is self.parent_values:
            self.env[name] = as_seen(value)
        return name

    def snap(self, part: Part) -> str:
        taken = self.snapped.get(part.name)
        if taken is not None and taken[1] == self.execs and taken[2] == self.public:
            return taken[0]
        if not plain(part.real):
            raise Unconvertible(f"the test reads a {type(part.real).__name__} of the student's, "
                                "which cannot leave the student's process as plain data")
        name = f"__s{next(self.ids)}"
        self.events.append(["snap", part.name, name, self.public])
        self.snapped[part.name] = (name, self.execs, self.public)
        self.env[name] = as_seen(part.real)
        return name

    # ---- rendering for each side -----------------------------------------------------------

    def child(self, node: ast.expr) -> str:
        """How the student's process computes `node`: the name of a step, a literal or a recorded input."""
        part = self.visit(node)
        if part.role == "core":
            return part.name
        if part.role == "parent":
            raise Unconvertible(f"line {self.line}: a value the test computes from the student's results is "
                                "passed back to the student's code")
        if _literal(node):
            return ast.unparse(node)
        part.rendered = part.rendered or {}
        if "child" in part.rendered:
            return str(part.rendered["child"])
        if plain(part.real):
            part.rendered["child"] = name = self.slot(self.child_values, "__v", part.real)
            if isinstance(node, ast.Name) and not isinstance(part.real, _IMMUTABLE):
                # The student's code may change it in place: from now on the test reads it from there.
                self.locals[node.id] = Part("core", part.real, name=name)
            return name
        name = safe.canonical_name(part.real)
        if name is not None and "." in name and name.split(".")[0] in ("numpy", "math"):
            return f"__m_{name}"
        if name is not None and "." not in name:
            return name
        raise Unconvertible(f"`{ast.unparse(node)}` (a {type(part.real).__name__}) cannot be sent to the "
                            "student's process")

    def parent_tree(self, part: Part) -> ast.expr:
        if part.role == "core":
            return ast.Name(self.snap(part), ast.Load())
        if part.role == "parent":
            assert part.tree is not None
            return part.tree
        node = part.tree
        assert node is not None
        if _literal(node):
            return copy.deepcopy(node)
        name = safe.canonical_name(part.real)
        if name is not None:
            return _expr(name)
        part.rendered = part.rendered or {}
        if "parent" in part.rendered:
            return ast.Name(str(part.rendered["parent"]), ast.Load())
        if plain(part.real):
            part.rendered["parent"] = self.slot(self.parent_values, "__p", part.real)
            return ast.Name(str(part.rendered["parent"]), ast.Load())
        if isinstance(node, ast.Call):  # e.g. pytest.approx(y): rebuilt from its recorded arguments
            fn = safe.canonical_name(self.sf_value(node.func))
            if fn is not None:
                return ast.Call(_expr(fn), [self.ptree(a) for a in node.args],
                                [ast.keyword(k.arg, self.ptree(k.value)) for k in node.keywords])
        raise Unconvertible(f"`{ast.unparse(node)}` (a {type(part.real).__name__}) cannot be held by the "
                            "grading process")

    def ptree(self, node: ast.expr) -> ast.expr:
        return self.parent_tree(self.visit(node))

    def parent(self, tree: ast.expr) -> Part:
        """An expression the grading process computes: its value now, from what it will hold."""
        try:
            value = safe.evaluate(ast.unparse(tree), self.env)
        except safe.Unsafe as exc:
            raise Unconvertible(f"line {self.line}: {exc}") from None
        except Exception as exc:  # noqa: BLE001 (whatever fails on received values: split no further)
            raise Unconvertible(f"line {self.line}: `{ast.unparse(tree)}` fails on the values the grading process "
                                f"receives ({type(exc).__name__}: {exc})") from None
        return Part("parent", value, tree=tree)

    # ---- expressions -----------------------------------------------------------------------

    def visit(self, node: ast.expr) -> Part:
        key = id(node)
        if key not in self.memo:
            if not self.touches(node):
                self.memo[key] = Part("sf", self.sf_value(node), tree=node)
            else:
                handler = getattr(self, "_" + type(node).__name__, None)
                if handler is None:
                    raise Unconvertible(f"line {self.line}: {type(node).__name__} over the student's values")
                self.memo[key] = handler(node)
        return self.memo[key]

    def _Name(self, node: ast.Name) -> Part:
        if node.id in self.locals:
            return self.locals[node.id]
        self.calls.append((node.id, self.public))
        return self.core(node.id)

    def _args(self, node: ast.Call) -> str:
        if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
            raise Unconvertible(f"line {self.line}: * or ** arguments to the student's code")
        parts = [self.child(a) for a in node.args] + [f"{k.arg}={self.child(k.value)}" for k in node.keywords]
        return ", ".join(parts)

    def _Call(self, node: ast.Call) -> Part:
        func = node.func
        if not self.touches(func):
            fn = self.sf_value(func)
            name = safe.canonical_name(fn)
            if name is None:
                raise Unconvertible(f"line {self.line}: `{ast.unparse(func)}` is applied to the student's values; "
                                    "the grading process computes only numpy, math and built-in functions")
            args = [self.ptree(a) for a in node.args if not isinstance(a, ast.Starred)]
            if len(args) != len(node.args) or any(k.arg is None for k in node.keywords):
                raise Unconvertible(f"line {self.line}: * or ** arguments")
            return self.parent(ast.Call(_expr(name), args, [ast.keyword(k.arg, self.ptree(k.value))
                                                             for k in node.keywords]))
        if isinstance(func, ast.Name) and func.id not in self.locals:
            self.calls.append((ast.unparse(node), self.public))
            return self.core(f"{func.id}({self._args(node)})")
        if isinstance(func, ast.Attribute):
            receiver = self.visit(func.value)
            if receiver.role == "core" and _student_object(receiver.real):
                self.calls.append((ast.unparse(node), self.public))
                return self.core(f"{receiver.name}.{func.attr}({self._args(node)})")
            if receiver.role in ("core", "parent"):
                method = ast.Attribute(self.parent_tree(receiver), func.attr, ast.Load())
                return self.parent(ast.Call(method, [self.ptree(a) for a in node.args],
                                            [ast.keyword(k.arg, self.ptree(k.value)) for k in node.keywords]))
        callee = self.visit(func)
        if callee.role == "core" and callable(callee.real):
            self.calls.append((ast.unparse(node), self.public))
            return self.core(f"{callee.name}({self._args(node)})")
        raise Unconvertible(f"line {self.line}: a call of `{ast.unparse(func)}`")

    def _Attribute(self, node: ast.Attribute) -> Part:
        receiver = self.visit(node.value)
        if receiver.role == "core" and _student_object(receiver.real):
            return self.core(f"{receiver.name}.{node.attr}")
        return self.parent(ast.Attribute(self.parent_tree(receiver), node.attr, ast.Load()))

    def _Subscript(self, node: ast.Subscript) -> Part:
        receiver = self.visit(node.value)
        if receiver.role == "core" and _student_object(receiver.real):
            return self.core(f"{receiver.name}[{self._child_slice(node.slice)}]")
        return self.parent(ast.Subscript(self.parent_tree(receiver), self._parent_slice(node.slice), ast.Load()))

    def _child_slice(self, node: ast.expr) -> str:
        if isinstance(node, ast.Slice):
            return ":".join("" if n is None else self.child(n) for n in (node.lower, node.upper, node.step))
        return self.child(node)

    def _parent_slice(self, node: ast.expr) -> ast.expr:
        if isinstance(node, ast.Slice):
            return ast.Slice(*(None if n is None else self.ptree(n) for n in (node.lower, node.upper, node.step)))
        if isinstance(node, ast.Tuple):
            return ast.Tuple([self._parent_slice(e) for e in node.elts], ast.Load())
        return self.ptree(node)

    def _BinOp(self, node: ast.BinOp) -> Part:
        return self.parent(ast.BinOp(self.ptree(node.left), node.op, self.ptree(node.right)))

    def _UnaryOp(self, node: ast.UnaryOp) -> Part:
        return self.parent(ast.UnaryOp(node.op, self.ptree(node.operand)))

    def _BoolOp(self, node: ast.BoolOp) -> Part:
        return self.parent(ast.BoolOp(node.op, [self.ptree(v) for v in node.values]))

    def _Compare(self, node: ast.Compare) -> Part:
        return self.parent(ast.Compare(self.ptree(node.left), node.ops, [self.ptree(c) for c in node.comparators]))

    def _IfExp(self, node: ast.IfExp) -> Part:
        return self.parent(ast.IfExp(self.ptree(node.test), self.ptree(node.body), self.ptree(node.orelse)))

    def _Tuple(self, node: ast.Tuple) -> Part:
        return self.parent(ast.Tuple([self.ptree(e) for e in node.elts], ast.Load()))

    def _List(self, node: ast.List) -> Part:
        return self.parent(ast.List([self.ptree(e) for e in node.elts], ast.Load()))

    def _Set(self, node: ast.Set) -> Part:
        return self.parent(ast.Set([self.ptree(e) for e in node.elts]))

    def _Dict(self, node: ast.Dict) -> Part:
        if any(k is None for k in node.keys):
            raise Unconvertible(f"line {self.line}: ** in a dict")
        return self.parent(ast.Dict([self.ptree(k) for k in node.keys], [self.ptree(v) for v in node.values]))  # type: ignore[arg-type]

    def _comprehension(self, node: ast.ListComp | ast.GeneratorExp | ast.SetComp) -> list[ast.expr]:
        """A comprehension over recorded values, unrolled element by element."""
        if len(node.generators) != 1 or node.generators[0].is_async:
            raise Unconvertible(f"line {self.line}: a nested comprehension over the student's values")
        gen = node.generators[0]
        if self.touches(gen.iter) or any(self.touches(c) for c in gen.ifs):
            raise Unconvertible(f"line {self.line}: a comprehension over the student's values")
        items = list(self.sf_value(gen.iter))
        if len(items) > MAX_UNROLL:
            raise Unconvertible(f"line {self.line}: a comprehension over {len(items)} elements")
        outer, memo, elements = dict(self.overlay), self.memo, []
        try:
            for item in items:
                self.overlay = dict(outer)
                self.memo = {}
                target = ast.Assign([copy.deepcopy(gen.target)], ast.Name("__grader_item__", ast.Load()))
                scope: dict[str, Any] = {"__grader_item__": item}
                exec(compile(ast.fix_missing_locations(ast.Module([target], [])), "<test>", "exec"), scope)  # noqa: S102
                self.overlay.update({k: v for k, v in scope.items() if k not in ("__grader_item__", "__builtins__")})
                if all(self.sf_value(c) for c in gen.ifs):
                    elements.append(self.ptree(node.elt))
        finally:
            self.overlay, self.memo = outer, memo
        return elements

    def _ListComp(self, node: ast.ListComp) -> Part:
        return self.parent(ast.List(self._comprehension(node), ast.Load()))

    def _GeneratorExp(self, node: ast.GeneratorExp) -> Part:
        return self.parent(ast.List(self._comprehension(node), ast.Load()))

    def _SetComp(self, node: ast.SetComp) -> Part:
        return self.parent(ast.Set(self._comprehension(node)))
