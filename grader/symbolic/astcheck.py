"""Checks on the Python syntax tree of an answer that need no sympy: size caps, and float
evaluation of constant subtrees (so that huge numbers are refused before sympy computes them
exactly)."""

from __future__ import annotations

import ast
import math
from typing import Final

from .errors import AnswerFormatError
from .normalize import Normalised

__all__ = ["MAX_NODES", "MAX_DEPTH", "check_size", "fold", "describe_node", "refusal_code"]

MAX_NODES: Final = 300
"""Most syntax-tree nodes an answer may have."""
MAX_DEPTH: Final = 40
"""Deepest syntax tree accepted (the builder recurses; this keeps it far from the limit)."""


def fold(op: str, a: float, b: float) -> float | None:
    """Float value of a constant operation; ``None`` when not real; inf when too large."""
    try:
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            return a / b if b != 0 else None
        if a == 0 and b < 0:
            return None
        value = math.pow(a, b)
        return value
    except OverflowError:
        return math.inf
    except (ValueError, ZeroDivisionError):
        return None


def describe_node(node: ast.AST, lang: str) -> str:
    names = {
        ast.Attribute: ("el acceso a atributos", "attribute access"),
        ast.Lambda: ("una lambda", "a lambda"),
        ast.Subscript: ("un índice", "indexing"),
        ast.Tuple: ("una tupla", "a tuple"),
        ast.List: ("una lista", "a list"),
        ast.JoinedStr: ("un f-string", "an f-string"),
        ast.NamedExpr: ("el operador ':='", "the ':=' operator"),
        ast.Starred: ("'*'", "'*'"),
    }
    es, en = names.get(type(node), (f"la construcción {type(node).__name__}",
                                    f"the construct {type(node).__name__}"))
    if isinstance(node, ast.BinOp):
        es, en = "este operador", "this operator"
    return es if lang == "es" else en


def refusal_code(node: ast.AST) -> str:
    return "hostile" if isinstance(node, (ast.Attribute, ast.Lambda, ast.Subscript)) else "format"


def check_size(tree: ast.AST, norm: Normalised) -> None:
    # Iterative walk: the tree itself may be deep, and recursion is what we are guarding.
    count = 0
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES or depth > MAX_DEPTH:
            limit = (f"{MAX_NODES} nodos", f"{MAX_NODES} nodes") if count > MAX_NODES else (
                f"profundidad {MAX_DEPTH}", f"depth {MAX_DEPTH}")
            raise AnswerFormatError(
                f"expresión demasiado grande (máximo {limit[0]})",
                f"expression too large (at most {limit[1]})",
                code="limits",
            )
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
