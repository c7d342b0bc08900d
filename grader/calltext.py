"""How a probe's call reads in feedback: `sigmoid(array([0., 1.]))`.

A call probe reads as the call itself. A script probe (a trusted `probe(ns, *args)` run against the
student's namespace) reads as what it asks of the student's code: the notebook function it calls,
`ns["compute_cost"](A2, Y)`, written with this case's arguments in place of the script's
parameters. A script that calls several notebook functions reads as those calls in order; one that
calls the same function in several places (building a graph node by node) reads as the task's
target with the script's arguments by name.
"""

from __future__ import annotations

import ast
import functools
from typing import Any

from .values import describe

MAX_CALLS = 3


def call_text(target: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    parts = [describe(a, limit=6) for a in args]
    parts += [f"{k}={describe(v, limit=6)}" for k, v in kwargs.items()]
    return f"{target}({', '.join(parts)})"


@functools.lru_cache(maxsize=256)
def _shape(source: str) -> tuple[tuple[str, ...], str | None, tuple[tuple[str, ast.Call], ...]] | None:
    """The probe's parameter names (after `ns`), its *args name, and the calls of notebook names it
    makes, in source order, as (name as written, call)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    probe = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "probe"), None)
    if probe is None or not probe.args.args:
        return None
    ns = probe.args.args[0].arg
    params = tuple(a.arg for a in probe.args.args[1:])
    star = probe.args.vararg.arg if probe.args.vararg else None
    aliases: dict[str, str] = {}  # f = ns["compute_cost"]
    for node in ast.walk(probe):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = _from_ns(node.value, ns, {})
            if name is not None:
                aliases[node.targets[0].id] = name
    calls = [(name, node) for node in ast.walk(probe) if isinstance(node, ast.Call)
             for name in [_from_ns(node.func, ns, aliases)] if name is not None]
    calls.sort(key=lambda item: (item[1].lineno, item[1].col_offset))
    return params, star, tuple(calls)


def _from_ns(node: ast.AST, ns: str, aliases: dict[str, str]) -> str | None:
    """`ns["f"]`, `ns.get("f")`, an alias of one, or a method of one (`ns["model"].predict`): the name
    it reads in the student's namespace, as feedback writes it."""
    if isinstance(node, ast.Name):
        return aliases.get(node.id)
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == ns \
            and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
        return node.slice.value
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get" \
            and isinstance(node.func.value, ast.Name) and node.func.value.id == ns and node.args \
            and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
        return node.args[0].value
    if isinstance(node, ast.Attribute):
        base = _from_ns(node.value, ns, aliases)
        return f"{base}.{node.attr}" if base is not None else None
    return None


def script_call(source: str | None, target: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """What a script probe asks of the student's code on this case, written as calls."""
    shape = _shape(source or "")
    if shape is None:
        return call_text(target, args, kwargs)
    params, star, calls = shape
    values: dict[str, Any] = dict(zip(params, args))
    values.update({k: v for k, v in kwargs.items() if k in params})
    rest = tuple(args[len(params):])
    names = [name for name, _ in calls]
    if calls and len(set(names)) == len(names) and len(calls) <= MAX_CALLS:
        return "; ".join(_written(name, call, values, star, rest) for name, call in calls)
    # The target used all over the script (a class built into an expression): name the inputs.
    given = [f"{p}={describe(values[p], limit=6)}" for p in params if p in values]
    given += [describe(v, limit=6) for v in rest]
    given += [f"{k}={describe(v, limit=6)}" for k, v in kwargs.items() if k not in params]
    return f"{target}: {', '.join(given)}" if given else target


def _written(name: str, call: ast.Call, values: dict[str, Any], star: str | None, rest: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for arg in call.args:
        if isinstance(arg, ast.Starred) and isinstance(arg.value, ast.Name) and arg.value.id == star:
            parts += [describe(v, limit=6) for v in rest]
        else:
            parts.append(_argument(arg, values))
    for keyword in call.keywords:
        shown = _argument(keyword.value, values)
        parts.append(f"{keyword.arg}={shown}" if keyword.arg else f"**{shown}")
    return f"{name}({', '.join(parts)})"


def _argument(node: ast.AST, values: dict[str, Any]) -> str:
    if isinstance(node, ast.Name) and node.id in values:
        return describe(values[node.id], limit=6)
    text = ast.unparse(node)
    return text if len(text) <= 60 else text[:60] + "…"
