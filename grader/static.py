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
def _parse(source: str) -> ast.Module | None:
    """A cell's syntax tree, parsed once however many tasks ask (trees are only read here)."""
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


@functools.lru_cache(maxsize=64)
def _analyse(sources: tuple[str, ...]) -> tuple[list[ast.Module], dict[str, str], dict[str, ast.AST], frozenset[str]]:
    """Trees, import aliases, module-level functions and the names of methods the notebook defines."""
    trees = [t for t in (_parse(s) for s in sources) if t is not None]
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


def _dotted(node: ast.AST) -> str | None:
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
                dotted = _dotted(node)
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
