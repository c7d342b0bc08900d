"""What a notebook's code says before it runs: forbidden library calls inside a function.

A task may forbid APIs (autograd in a manual-backprop task, `torch.sigmoid` in `sigmoid`). This
finds them from the source: module-level imports give each local name its dotted origin
(`import torch.nn.functional as F`, `from scipy.special import expit`), then the target function's
body — and the notebook's own helper functions it calls — is searched for attribute chains that
resolve to a forbidden name. `Tensor.method` entries match any `.method(...)` call.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterable


@functools.lru_cache(maxsize=1024)
def parse_cell(source: str) -> ast.Module | None:
    """A cell's syntax tree, or None where it does not parse; parsed once however many ask (the
    trees are shared: only read them)."""
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


@functools.lru_cache(maxsize=64)
def _analyse(sources: tuple[str, ...]) -> tuple[list[ast.Module], dict[str, str], dict[str, ast.AST], frozenset[str]]:
    """Trees, import aliases, module-level functions and the names of methods the notebook defines."""
    trees = [t for t in (parse_cell(s) for s in sources) if t is not None]
    own_methods = frozenset(node.name for tree in trees for cls in ast.walk(tree) if isinstance(cls, ast.ClassDef)
                            for node in cls.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)))
    return trees, _aliases(trees), _functions(trees), own_methods


def _aliases(trees: list[ast.Module]) -> dict[str, str]:
    names: dict[str, str] = {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        names[alias.asname] = alias.name
                    else:
                        top = alias.name.split(".")[0]
                        names[top] = top
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def dotted_name(node: ast.AST) -> str | None:
    """`a.b.c` for a chain of attributes on a name, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _functions(trees: list[ast.Module]) -> dict[str, ast.AST]:
    """Module-level functions and classes by name; a later definition wins, as when run in order."""
    found: dict[str, ast.AST] = {}
    for tree in trees:
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                found[node.name] = node
    return found


def forbidden_uses(sources: Iterable[str], target: str, forbid: Iterable[str]) -> list[str]:
    """Forbidden dotted names that `target` (or a notebook function it calls) uses."""
    forbid = tuple(forbid)
    if not forbid:
        return []
    trees, aliases, functions, own_methods = _analyse(tuple(sources))
    # `Tensor.backward` style entries match any `.backward(...)`, unless the notebook's own classes
    # define that method (a scalar autograd engine's Value.backward is the student's own).
    methods = {f.rsplit(".", 1)[-1]: f for f in forbid if (".Tensor." in f or f.startswith("Tensor."))
               and f.rsplit(".", 1)[-1] not in own_methods}
    used: list[str] = []
    seen: set[str] = set()
    pending = [target]
    while pending:
        name = pending.pop()
        if name in seen or name not in functions:
            continue
        seen.add(name)
        for node in ast.walk(functions[name]):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in functions:
                pending.append(node.func.id)
            if isinstance(node, (ast.Attribute, ast.Name)):
                dotted = dotted_name(node)
                if dotted is None:
                    continue
                head, _, rest = dotted.partition(".")
                origin = aliases.get(head)
                full = f"{origin}.{rest}" if origin and rest else (origin or dotted)
                for item in forbid:
                    if (full == item or full.startswith(item + ".")) and item not in used:
                        used.append(item)
                if isinstance(node, ast.Attribute) and node.attr in methods and methods[node.attr] not in used:
                    if not (origin and full.startswith(("numpy.", "math."))):
                        used.append(methods[node.attr])
    return used


def missing_uses(sources: Iterable[str], target: str, names: Iterable[str]) -> list[str]:
    """Names `target` (or a notebook function it calls) must use but does not: a function asked to
    compute something with the student's own engine must not just return the known answer."""
    names = tuple(names)
    if not names:
        return []
    _, _, functions, _ = _analyse(tuple(sources))
    seen: set[str] = set()
    used: set[str] = set()
    pending = [target]
    while pending:
        name = pending.pop()
        if name in seen or name not in functions:
            continue
        seen.add(name)
        for node in ast.walk(functions[name]):
            if isinstance(node, ast.Name):
                used.add(node.id)
                if node.id in functions:
                    pending.append(node.id)
            elif isinstance(node, ast.Attribute):
                used.add(node.attr)
    return [n for n in names if n not in used] if target in functions else []


def _literal(node: ast.AST | None, bound: dict[str, list[ast.AST]], seen: frozenset[str] = frozenset()) -> bool:
    """Whether an expression is a value typed in: numbers, containers and calls of them (`np.array([70,
    9])`, `float(9)`), or a name only ever bound to such. Arithmetic is never a literal: a value worked
    out from the inputs node by node is computed, even when the inputs are fixed numbers."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (int, float, complex)) and not isinstance(node.value, bool)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return _literal(node.operand, bound, seen)
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return bool(node.elts) and all(_literal(e, bound, seen) for e in node.elts)
    if isinstance(node, ast.Call):
        values = [*node.args, *(k.value for k in node.keywords)]
        return bool(values) and all(_literal(v, bound, seen) for v in values)
    if isinstance(node, ast.Name) and node.id in bound and node.id not in seen:
        return all(_literal(value, bound, seen | {node.id}) for value in bound[node.id])
    return False


def _bindings(body: list[ast.stmt]) -> dict[str, list[ast.AST]]:
    """What each name is assigned in `body` (nested functions and classes aside); a name bound by
    anything but a plain assignment (a loop, `+=`, an import) is bound to something computed."""
    bound: dict[str, list[ast.AST]] = {}
    computed = ast.Name(id="<computed>")

    def bind(target: ast.AST, value: ast.AST) -> None:
        if isinstance(target, ast.Name):
            bound.setdefault(target.id, []).append(value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            parts = value.elts if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(target.elts) \
                else [computed] * len(target.elts)
            for sub, part in zip(target.elts, parts):
                bind(sub, part)

    for node in _own_nodes(body):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                bind(target, node.value)
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            bind(node.target, node.value)
        elif isinstance(node, (ast.AugAssign, ast.For, ast.AsyncFor, ast.With, ast.AsyncWith, ast.NamedExpr,
                               ast.comprehension)):
            for target in _targets(node):
                bind(target, computed)
    return bound


def _targets(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, (ast.AugAssign, ast.NamedExpr)):
        return [node.target]
    if isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
        return [node.target]
    if isinstance(node, (ast.With, ast.AsyncWith)):
        return [item.optional_vars for item in node.items if item.optional_vars is not None]
    return []


def _own_nodes(body: list[ast.stmt]) -> list[ast.AST]:
    """The nodes of a function body, without descending into functions or classes defined in it."""
    found: list[ast.AST] = []
    pending: list[ast.AST] = list(body)
    while pending:
        node = pending.pop()
        found.append(node)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        pending.extend(ast.iter_child_nodes(node))
    return found


def typed_in(sources: Iterable[str], target: str) -> list[str]:
    """The numbers `target` returns typed in rather than computed (e.g. `return 70.0, 9.0, -24.0`),
    as written in its source; empty when every returned value is worked out. Returns of a notebook
    function it hands back (`return helper()`) count as its own."""
    trees, _, functions, _ = _analyse(tuple(sources))
    module: dict[str, list[ast.AST]] = {}
    for tree in trees:
        for name, values in _bindings(tree.body).items():
            module.setdefault(name, []).extend(values)
    found: list[str] = []
    seen: set[str] = set()
    pending = [target]
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        node = functions.get(name)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            body: list[ast.stmt] = node.body
            returned = [n.value for n in _own_nodes(body) if isinstance(n, ast.Return) and n.value is not None]
        elif name in module and len(module[name]) == 1 and isinstance(module[name][0], ast.Lambda):
            lam = module[name][0]
            body, returned = [], [lam.body]  # type: ignore[attr-defined]
        else:
            continue
        bound = {**module, **_bindings(body)}
        for value in returned:
            parts = value.elts if isinstance(value, (ast.Tuple, ast.List)) else [value]
            for part in parts:
                if _literal(part, bound):
                    found.append(ast.unparse(part))
                elif isinstance(part, ast.Call) and isinstance(part.func, ast.Name) and part.func.id in functions:
                    pending.append(part.func.id)
    return list(dict.fromkeys(found))
