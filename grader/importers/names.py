"""Which names are the student's, and which test cells cannot be split, read from the source alone.

A name is the student's when an answer cell's solution region binds it (`def softmax`, `loss =
...`), or when an instructor's cell binds it from the student's values (`out = forward(X)` in a
given cell). Imports never make a name the student's: a module is the same in both processes.

A test cell is run as it is, in the student's process, when its code mixes the student's values
into what cannot be replayed call by call: a loop or branch over them, a function or class of the
test that calls the student's code, or a `try`/`with` around it (a test that expects an error).
"""

from __future__ import annotations

import ast
import re

_BEGIN = re.compile(r"^\s*#+\s*BEGIN SOLUTION\s*$")
_END = re.compile(r"^\s*#+\s*END SOLUTION\s*$")


def parse(source: str) -> ast.Module | None:
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def bound(node: ast.AST) -> set[str]:
    """Names a statement binds at its own level (not inside functions it defines)."""
    names: set[str] = set()
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in node.names if a.name != "*"}
    for sub in ast.walk(node):
        if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and sub is not node:
            names.add(sub.name)
        elif isinstance(sub, ast.Name) and isinstance(sub.ctx, (ast.Store, ast.Del)):
            names.add(sub.id)
    return names


def loaded(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def imported(node: ast.AST) -> set[str]:
    found: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, (ast.Import, ast.ImportFrom)):
            found |= {(a.asname or a.name).split(".")[0] for a in sub.names if a.name != "*"}
    return found


def regions(source: str) -> list[tuple[int, int]]:
    """1-based line ranges of the `# BEGIN SOLUTION` … `# END SOLUTION` regions."""
    found, start = [], None
    for number, line in enumerate(source.split("\n"), 1):
        if start is None and _BEGIN.match(line):
            start = number
        elif start is not None and _END.match(line):
            found.append((start, number))
            start = None
    return found


def student_names(cells: list[tuple[str, str]]) -> set[str]:
    """The names whose values depend on the student's code, given (kind, source) code cells in
    order, kind "answer" (with solution regions) or "given": what the answers bind, then what any
    instructor's statement binds from those (`out = forward(X)`, a helper that calls `forward`)."""
    student: set[str] = set()
    modules: set[str] = set()
    given: list[ast.stmt] = []
    for kind, source in cells:
        tree = parse(source)
        if tree is None:
            continue
        spans = regions(source) if kind == "answer" else []
        for stmt in tree.body:
            modules |= imported(stmt)
            end = stmt.end_lineno or stmt.lineno
            if any(stmt.lineno <= last and first <= end for first, last in spans):
                student |= bound(stmt)
            else:
                given.append(stmt)
    while True:
        before = len(student)
        for stmt in given:
            if loaded(stmt) & student:
                student |= bound(stmt)
        if len(student) == before:
            return student - modules


def _touches(node: ast.AST, names: set[str]) -> bool:
    return bool(loaded(node) & names)


def static_locals(tree: ast.Module, student: set[str]) -> set[str]:
    """Names the test binds, anywhere, from the student's values (a fixed point over its code)."""
    found: set[str] = set()
    while True:
        before = len(found)
        for node in ast.walk(tree):
            if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and node.value is not None \
                    and _touches(node.value, student | found):
                found |= bound(node)
            elif isinstance(node, (ast.For, ast.AsyncFor)) and _touches(node.iter, student | found):
                found |= bound(node.target)
            elif isinstance(node, ast.NamedExpr) and _touches(node.value, student | found):
                found.add(node.target.id)
        if len(found) == before:
            return found


def why_whole(tree: ast.Module, student: set[str]) -> str | None:
    """Why a test cell must run as it is in the student's process, or None when its statements can
    be split (decided again, value by value, when the solution runs it)."""
    mine = student | static_locals(tree, student)

    def check(body: list[ast.stmt]) -> str | None:
        for stmt in body:
            line = f"line {stmt.lineno}"
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                if _touches(stmt, mine):
                    return f"{line}: the test defines `{stmt.name}`, which uses the student's code"
            elif isinstance(stmt, (ast.For, ast.AsyncFor, ast.While)):
                header = stmt.iter if isinstance(stmt, (ast.For, ast.AsyncFor)) else stmt.test
                if _touches(header, mine):
                    return f"{line}: a loop over the student's values"
                reason = check(stmt.body) or check(stmt.orelse)
                if reason:
                    return reason
            elif isinstance(stmt, ast.If):
                if _touches(stmt.test, mine):
                    return f"{line}: a branch on the student's values"
                reason = check(stmt.body) or check(stmt.orelse)
                if reason:
                    return reason
            elif isinstance(stmt, (ast.Try, ast.With, ast.AsyncWith)) or type(stmt).__name__ in ("TryStar", "Match"):
                if _touches(stmt, mine):
                    kind = "a `try`" if isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar" else \
                        "a `with`" if isinstance(stmt, (ast.With, ast.AsyncWith)) else "a `match`"
                    return f"{line}: {kind} around the student's code (a test that expects an error?)"
            elif isinstance(stmt, (ast.Raise, ast.Return, ast.Global, ast.Nonlocal, ast.Delete)):
                if _touches(stmt, mine):
                    return f"{line}: a `{type(stmt).__name__.lower()}` of the student's values"
            elif any(isinstance(n, (ast.Lambda, ast.Yield, ast.YieldFrom, ast.Await)) and _touches(n, mine)
                     for n in ast.walk(stmt)):
                return f"{line}: a lambda over the student's values"
        return None

    return check(tree.body)


SPLIT_STATEMENTS = (ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Assert)


class Instrument(ast.NodeTransformer):
    """Replace each simple statement of the test (outside functions it defines) by a call
    `__grader_step__(k)`: the recorder then runs statement k, split or as it is."""

    def __init__(self) -> None:
        self.steps: list[ast.stmt] = []

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        return node

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> ast.AST:
        return node

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        return node

    def visit_Try(self, node: ast.Try) -> ast.AST:
        return node

    def visit_With(self, node: ast.With) -> ast.AST:
        return node

    def generic_visit(self, node: ast.AST) -> ast.AST:
        if isinstance(node, SPLIT_STATEMENTS):
            self.steps.append(node)
            call = ast.Call(ast.Name("__grader_step__", ast.Load()), [ast.Constant(len(self.steps) - 1)], [])
            return ast.copy_location(ast.Expr(call), node)
        return super().generic_visit(node)
