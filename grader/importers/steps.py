"""Recording a test statement by statement: assertions become judgments of the grading process.

`TestRecorder.step` runs one simple statement of a test cell on the solution. An `assert` whose
condition involves the student's names becomes a judgment: the condition as the grading process
computes it, and, where the condition compares the student's value with one the solution's run
recorded (`==`, `np.allclose(..., rtol=)`, `abs(a - b) < eps`, `math.isclose`,
`np.testing.assert_allclose`, `pytest.approx`), which side is which and the tolerance, for the
feedback. An assignment from the student's values names a step (or a value the grading process
computes) for the statements after it; a bare call is a step; the last expression of an otter
test case is compared with the solution's output as doctest would. Seeding calls run in both
processes, so that random draws inside the student's code match the solution's.
"""

from __future__ import annotations

import ast
from typing import Any

import numpy as np

from . import safe
from .judge import judge
from .probes import as_seen
from .split import (
    _ABS,
    _CLOSE,
    _TOLERANCES,
    _WRAPPERS,
    Part,
    Recorder,
    SolutionFails,
    Unconvertible,
)


class TestRecorder(Recorder):
    """A test cell: its steps for the student's process, its judgments for the grading process."""

    def step(self, stmt: ast.stmt, public: bool, text: str, output: bool = False) -> None:
        """Run `stmt` on the solution, split when it involves the student's names; `Unconvertible`
        when it cannot be split (the caller then runs it as it is)."""
        self.line, self.public, self.text, self.memo = stmt.lineno, public, text, {}
        if isinstance(stmt, ast.AugAssign):
            target = stmt.target
            if isinstance(target, ast.Name) and (self.touches(stmt.value) or target.id in self.mine()):
                load = ast.Name(target.id, ast.Load())
                stmt = ast.copy_location(ast.Assign([target], ast.BinOp(load, stmt.op, stmt.value)), stmt)
        if isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            stmt = ast.copy_location(ast.Assign([stmt.target], stmt.value), stmt)
        if not self.touches(stmt):
            self._as_is(stmt, output)
            return
        if isinstance(stmt, ast.Assert):
            self._assert(stmt.test)
        elif isinstance(stmt, ast.Expr) and output:
            self._output(stmt.value)
        elif isinstance(stmt, ast.Expr):
            part = self.visit(stmt.value)
            if part.role == "parent":
                assert part.tree is not None
                judgment: dict[str, Any] = {"kind": "runs", "test": ast.unparse(part.tree)}
                if isinstance(stmt.value, ast.Call) and (self._canonical(stmt.value.func) or "").startswith(
                        "numpy.testing."):
                    judgment = {"kind": "assert", "test": judgment["test"], **self._sides(stmt.value)}
                self._judge(judgment)
        elif isinstance(stmt, ast.Assign):
            self._assign(stmt)
        else:
            raise Unconvertible(f"line {stmt.lineno}: a {type(stmt).__name__} of the student's values")

    def _as_is(self, stmt: ast.stmt, output: bool) -> None:
        """A statement without student names: the solution's run only (seeding also in the student's)."""
        seed = _seed_call(stmt, self.sf_value)
        if seed is not None:
            call = stmt.value  # type: ignore[attr-defined]
            args = [self.child(a) for a in call.args] + [f"{k.arg}={self.child(k.value)}" for k in call.keywords
                                                         if k.arg]
            self.emit(f"{_SEEDS[seed]}({', '.join(args)})")  # runs here too: the same global state
            return
        for target in (stmt.targets if isinstance(stmt, ast.Assign) else []):
            for node in ast.walk(target):
                if isinstance(node, ast.Name):
                    self.locals.pop(node.id, None)
                    if node.id in self.student:
                        self.shadowed.add(node.id)
        code = compile(ast.fix_missing_locations(ast.Module([stmt], [])), "<test>", "exec")
        exec(code, self.ns)  # noqa: S102 (the instructor's test, in the trusted run)

    def _bind(self, name: str, part: Part) -> None:
        if part.role == "sf":
            raise AssertionError("a value without student names is bound as it is")
        self.locals[name] = part
        self.shadowed.discard(name)
        self.ns[name] = part.real  # later cells of the notebook see it, as in the notebook

    def _assign(self, stmt: ast.Assign) -> None:
        value = self.visit(stmt.value)
        for target in stmt.targets:
            if isinstance(target, ast.Name):
                if value.role == "sf":
                    self.ns[target.id] = value.real
                    self.locals.pop(target.id, None)
                else:
                    self._bind(target.id, value)
            elif isinstance(target, (ast.Tuple, ast.List)) and all(isinstance(e, ast.Name) for e in target.elts):
                names = [e.id for e in target.elts]  # type: ignore[attr-defined]
                if value.role == "core":
                    cores = [f"__c{next(self.ids)}" for _ in names]
                    self.emit(f"{', '.join(cores)}, = {value.name}" if len(cores) == 1 else
                              f"{', '.join(cores)} = {value.name}")
                    for name, core in zip(names, cores):
                        self._bind(name, Part("core", self.child_scope()[core], name=core))
                else:
                    for i, name in enumerate(names):
                        self._bind(name, self.parent(ast.Subscript(self.parent_tree(value), ast.Constant(i),
                                                                   ast.Load())))
            elif isinstance(target, (ast.Attribute, ast.Subscript)) and self.touches(target.value):
                base = self.visit(target.value)
                if base.role != "core":
                    raise Unconvertible(f"line {self.line}: an assignment into a value computed from the student's")
                rhs = self.child(stmt.value)
                where = f".{target.attr}" if isinstance(target, ast.Attribute) else \
                    f"[{self._child_slice(target.slice)}]"
                self.emit(f"{base.name}{where} = {rhs}")
            else:
                raise Unconvertible(f"line {self.line}: an assignment of the student's values into `"
                                    f"{ast.unparse(target)}`")

    def _assert(self, test: ast.expr) -> None:
        part = self.visit(test)
        tree = self.parent_tree(part)
        judgment: dict[str, Any] = {"kind": "assert", "test": ast.unparse(tree)}
        judgment.update(self._sides(test))
        self._judge(judgment)

    def _output(self, value: ast.expr) -> None:
        part = self.visit(value)
        tree = self.parent_tree(part)
        seen = part.real if part.role == "parent" else as_seen(part.real)
        if isinstance(seen, (bool, np.bool_)) and bool(seen) and isinstance(value, (ast.Compare, ast.Call, ast.BoolOp, ast.UnaryOp)):
            judgment = {"kind": "assert", "test": ast.unparse(tree)}
            judgment.update(self._sides(value))
            self._judge(judgment)
            return
        expected = ast.Name(self.slot(self.parent_values, "__p", seen), ast.Load()).id
        self._judge({"kind": "output", "got": ast.unparse(tree), "expected": expected,
                     "want": "" if seen is None else repr(seen)})

    def _judge(self, judgment: dict[str, Any]) -> None:
        judgment.update(line=self.line, text=self.text, public=self.public)
        failure = judge(judgment, self.env, len(self.judgments), len(self.judgments) + 1)
        if failure is not None:
            raise SolutionFails(f"line {self.line}: `{self.text}` does not hold for the solution: "
                                f"{(failure.detail or failure.summary)('en')}")
        self.judgments.append(judgment)

    # ---- which side is the student's, for the feedback ---------------------------------------

    def _canonical(self, func: ast.expr) -> str | None:
        part = self.memo.get(id(func))
        if part is not None and part.role != "sf":
            return None
        try:
            return safe.canonical_name(self.sf_value(func))
        except Exception:  # noqa: BLE001 (only naming it for the feedback)
            return None

    def _tree_of(self, node: ast.expr) -> str:
        return ast.unparse(self.parent_tree(self.visit(node)))

    def _pair(self, a: ast.expr, b: ast.expr) -> dict[str, str]:
        first, second = self.touches(a), self.touches(b)
        if first == second:
            return {}
        got, expected = (a, b) if first else (b, a)
        return {"got": self._tree_of(got), "expected": self._tree_of(expected)}

    def _sides(self, test: ast.expr) -> dict[str, str]:
        """The student's side and the expected side of a comparison, and its tolerance."""
        node = test
        while True:
            if isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords and \
                    self._canonical(node.func) in ("numpy.all", "all"):
                node = node.args[0]
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "all" \
                    and not node.args and self.visit(node.func.value).role != "sf":
                node = node.func.value
            else:
                break
        if isinstance(node, ast.Call) and len(node.args) >= 2:
            name = self._canonical(node.func)
            if name in _CLOSE:
                sides = self._pair(node.args[0], node.args[1])
                given = [f"{k.arg}={ast.unparse(k.value)}" for k in node.keywords if k.arg]
                given += [ast.unparse(a) for a in node.args[2:]]
                sides["tol"] = ", ".join(given) or _TOLERANCES.get(name, "exactly")
                return sides
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            left, op, right = node.left, node.ops[0], node.comparators[0]
            if isinstance(op, (ast.Lt, ast.LtE)):
                diff = _difference(left, self._canonical)
                if diff is not None and not self.touches(right):
                    sides = self._pair(*diff)
                    sides["tol"] = f"|difference| {'<' if isinstance(op, ast.Lt) else '<='} {ast.unparse(right)}"
                    return sides
            if isinstance(op, (ast.Eq, ast.NotEq, ast.Is, ast.IsNot, ast.Lt, ast.LtE, ast.Gt, ast.GtE)):
                sides = self._pair(left, right)
                approx = right if isinstance(right, ast.Call) and self._canonical(right.func) == "approx" else None
                if approx is not None and approx.args:
                    sides["expected"] = self._tree_of(approx.args[0])
                    sides["tol"] = ", ".join(f"{k.arg}={ast.unparse(k.value)}" for k in approx.keywords if k.arg) \
                        or "rel=1e-06, abs=1e-12"
                elif not isinstance(op, (ast.Eq, ast.Is)) and sides:
                    sides["tol"] = f"{ast.unparse(ast.Compare(ast.Name('got'), [op], [ast.Name('expected')]))}"
                return sides
        return {}


def _difference(node: ast.expr, canonical: Any) -> tuple[ast.expr, ast.expr] | None:
    """`a` and `b` of `abs(a - b)`, `np.abs(a - b)`, `np.max(np.abs(a - b))`, `np.linalg.norm(a - b)`."""
    if isinstance(node, ast.Call) and len(node.args) == 1 and canonical(node.func) in _WRAPPERS:
        node = node.args[0]
    if isinstance(node, ast.Call) and len(node.args) == 1 and \
            canonical(node.func) in _ABS | {"numpy.linalg.norm"}:
        inner = node.args[0]
        if isinstance(inner, ast.BinOp) and isinstance(inner.op, ast.Sub):
            return inner.left, inner.right
    return None


_SEEDS = {"numpy.random.seed": "__import__('numpy').random.seed", "random.seed": "__import__('random').seed",
          "torch.manual_seed": "__import__('torch').manual_seed"}


def _seed_call(stmt: ast.stmt, value_of: Any) -> str | None:
    """Which global random generator a statement seeds (`np.random.seed(0)`), if it is such a call."""
    if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
        return None
    func = stmt.value.func
    if not (isinstance(func, ast.Attribute) and func.attr in ("seed", "manual_seed")):
        return None
    try:
        fn = value_of(func)
    except Exception:  # noqa: BLE001 (not a call whose function can be looked at: not a seed)
        return None
    module = getattr(fn, "__module__", None) or ""
    if module.startswith("numpy.random") and getattr(fn, "__name__", "") == "seed":
        return "numpy.random.seed"
    if module == "random" and getattr(fn, "__name__", "") == "seed":
        return "random.seed"
    if module.startswith("torch") and getattr(fn, "__name__", "") == "manual_seed":
        return "torch.manual_seed"
    return None
