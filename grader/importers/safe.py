"""What the grading process computes on a student's values: a small, closed expression language.

An imported test's assertion is split in two. The student's own calls run in the student's
process and come back as plain data; everything the instructor's test does with those values
(`np.allclose`, `abs(a - b) < eps`, `.shape`, `len`, `==`) is computed here, in the grading
process, by this evaluator, with the grading process's own numpy. A student who rebinds
`np.allclose` in their notebook changes nothing here.

The language is Python's expression syntax over a whitelist: named functions and types of the
standard library and numpy (each known by a canonical dotted name, e.g. `numpy.allclose`), a few
methods and attributes of plain values, operators, comparisons, subscripts and displays. Work is
bounded by the values' size (the sandbox caps what comes back) and by guards on the operations
that could grow it (`**`, sequence repetition, broadcasting, `@`). Anything else is `Unsafe`.
"""

from __future__ import annotations

import ast
import builtins
import math
import operator
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

import numpy as np

from ..sandbox.codec import TensorArray
from ..static import dotted_name
from . import torchlike
from .compare import Approx, output_matches, plain_printed
from .guards import MAX_ELEMENTS, guard_arrays, guard_broadcast

__all__ = ["Unsafe", "canonical_name", "evaluate", "output_matches", "plain_printed", "resolve"]

MAX_SEQUENCE = 1_000_000  # the longest str, list or tuple a repetition may build
MAX_EXPONENT = 4096  # an integer power beyond this is refused (it could take any memory)


class Unsafe(Exception):
    """An expression, or a value's method or attribute, the grading process does not evaluate."""


_BUILTINS = ("abs", "all", "any", "bool", "dict", "divmod", "float", "frozenset", "int", "isinstance", "len", "list",
             "max", "min", "repr", "round", "set", "sorted", "str", "sum", "tuple", "type", "complex")
_NUMPY = ("abs", "absolute", "all", "allclose", "amax", "amin", "any", "argmax", "argmin", "argsort", "around",
          "array", "array_equal", "array_equiv", "asarray", "ceil", "clip", "count_nonzero", "cumsum", "diff",
          "equal", "exp", "fabs", "floor", "isclose", "isfinite", "isinf", "isnan", "log", "log10", "log2",
          "max", "maximum", "mean", "median", "min", "minimum", "ndim", "nonzero", "prod", "ravel", "reshape",
          "round", "shape", "sign", "size", "sort", "sqrt", "square", "squeeze", "std", "sum", "tanh", "transpose",
          "unique", "var", "where", "sin", "cos", "logical_and", "logical_or", "logical_not", "greater", "less",
          "greater_equal", "less_equal", "not_equal", "trace", "argwhere", "isreal", "real", "imag",
          "ndarray", "generic", "number", "integer", "floating", "bool_", "float64", "float32", "float16", "int64",
          "int32", "int16", "int8", "uint8", "complex128", "complex64", "dtype", "ptp", "nanmax", "nanmin",
          "nansum", "nanmean", "expm1", "log1p", "power", "divide", "multiply", "add", "subtract", "negative")
_NUMPY_SUB = {"linalg": ("norm",),
              "testing": ("assert_allclose", "assert_array_equal", "assert_array_almost_equal", "assert_almost_equal",
                          "assert_equal", "assert_array_less", "assert_approx_equal", "assert_array_almost_equal_nulp")}
_MATH = ("isclose", "sqrt", "exp", "log", "log10", "log2", "fabs", "floor", "ceil", "isnan", "isinf", "isfinite",
         "tanh", "sin", "cos", "fsum", "prod", "trunc", "copysign", "hypot", "dist")

# Attributes and methods a plain value may be asked for, by the value's kind.
_ARRAY_ATTRS = frozenset({"shape", "ndim", "size", "dtype", "T", "real", "imag", "itemsize"})
_ARRAY_METHODS = frozenset({"sum", "mean", "max", "min", "std", "var", "argmax", "argmin", "item", "tolist",
                            "flatten", "ravel", "reshape", "round", "squeeze", "all", "any", "astype", "copy",
                            "cumsum", "prod", "transpose", "nonzero", "clip", "argsort", "trace", "ptp"})
_DICT_METHODS = frozenset({"keys", "values", "items", "get", "copy"})
_SEQ_METHODS = frozenset({"index", "count", "copy"})
_STR_METHODS = frozenset({"strip", "lstrip", "rstrip", "lower", "upper", "split", "startswith", "endswith",
                          "replace", "count", "find", "join", "isdigit", "isalpha", "title", "casefold"})
_NUMBER_ATTRS = frozenset({"real", "imag"})
_NUMBER_METHODS = frozenset({"is_integer", "conjugate", "item", "round"})


def _assert_wrapper(fn: Callable[..., Any]) -> Callable[..., bool]:
    """numpy's `assert_*` functions raise on a mismatch; as an expression they hold when they return."""

    def holds(*args: Any, **kwargs: Any) -> bool:
        guard_arrays(list(args[:2]))
        fn(*args, **kwargs)
        return True

    holds.__name__ = fn.__name__
    return holds


@lru_cache(maxsize=1)
def _table() -> dict[str, Any]:
    """Every function and type the language knows, by canonical name."""
    table: dict[str, Any] = {name: getattr(builtins, name) for name in _BUILTINS}
    table["print"] = plain_printed
    for name in _NUMPY:
        if hasattr(np, name):
            table[f"numpy.{name}"] = getattr(np, name)
    for sub, names in _NUMPY_SUB.items():
        for name in names:
            if hasattr(getattr(np, sub), name):
                fn = getattr(getattr(np, sub), name)
                table[f"numpy.{sub}.{name}"] = _assert_wrapper(fn) if sub == "testing" else fn
    for name in _MATH:
        if hasattr(math, name):
            table[f"math.{name}"] = getattr(math, name)
    table["approx"] = Approx
    table.update(torchlike.FUNCTIONS)
    return table


@lru_cache(maxsize=1)
def _reverse() -> dict[int, str]:
    import numpy.testing  # noqa: F401 (np.testing is imported lazily by numpy)

    found: dict[int, str] = {id(builtins.print): "print"}  # what it writes is computed, never written
    for name, value in _table().items():
        found.setdefault(id(value), name)
    for sub, names in _NUMPY_SUB.items():  # the originals of the wrapped assert functions
        for name in names:
            if sub == "testing" and hasattr(np.testing, name):
                found.setdefault(id(getattr(np.testing, name)), f"numpy.testing.{name}")
    return found


def canonical_name(obj: Any) -> str | None:
    """The name this language knows `obj` by (`np.allclose` → "numpy.allclose"), or None. pytest's
    `approx` is known as "approx" when pytest is importable."""
    name = _reverse().get(id(obj)) or torchlike.originals().get(id(obj))
    if name is not None:
        return name
    module = getattr(obj, "__module__", "") or ""
    if getattr(obj, "__name__", "") == "approx" and module.split(".")[0] in ("pytest", "_pytest"):
        return "approx"
    return None


def resolve(name: str) -> Any:
    """The function or type a canonical name stands for."""
    try:
        return _table()[name]
    except KeyError:
        raise Unsafe(f"`{name}` is not computed by the grading process") from None


@lru_cache(maxsize=4096)
def _parse(source: str) -> ast.expr:
    try:
        return ast.parse(source, mode="eval").body
    except SyntaxError as exc:
        raise Unsafe(f"not an expression: {exc.msg}") from None


def evaluate(source: str, env: Mapping[str, Any]) -> Any:
    """The value of `source` with its names taken from `env` (snapshots of the student's values and
    the recorded values of the solution), in the closed language described above."""
    return _Evaluator(env).eval(_parse(source))


_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow, ast.MatMult: operator.matmul,
    ast.BitAnd: operator.and_, ast.BitOr: operator.or_, ast.BitXor: operator.xor,
}
_UNARY: dict[type, Callable[[Any], Any]] = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Not: operator.not_,
                                            ast.Invert: operator.invert}
_COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt,
    ast.GtE: operator.ge, ast.Is: operator.is_, ast.IsNot: operator.is_not,
    ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
}


def _binop(op: ast.operator, a: Any, b: Any) -> Any:
    sequences = (str, bytes, list, tuple)
    if isinstance(op, ast.Mult) and (isinstance(a, sequences) or isinstance(b, sequences)):
        seq, times = (a, b) if isinstance(a, sequences) else (b, a)
        if isinstance(times, int) and len(seq) * max(times, 0) > MAX_SEQUENCE:
            raise ValueError("a repetition too long to build")
    if isinstance(op, ast.Pow) and isinstance(a, int) and isinstance(b, int) and abs(b) > MAX_EXPONENT:
        raise ValueError("an integer power too large to compute")
    if isinstance(op, ast.MatMult):
        sa, sb = np.shape(a), np.shape(b)
        if math.prod(sa) * (sb[-1] if sb else 1) > MAX_ELEMENTS * 20:
            raise ValueError("a matrix product too large to compute")
    elif isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        guard_broadcast(a, b)
    kind = type(op)
    if kind not in _BINOPS:
        raise Unsafe(f"the operator {kind.__name__} is not computed by the grading process")
    return _BINOPS[kind](a, b)


def _allowed(value: Any, name: str, method: bool) -> bool:
    if isinstance(value, (np.ndarray, np.generic)):
        return name in (_ARRAY_METHODS if method else _ARRAY_ATTRS)
    if isinstance(value, dict):
        return method and name in _DICT_METHODS
    if isinstance(value, str):
        return method and name in _STR_METHODS
    if isinstance(value, (list, tuple)):
        return method and name in _SEQ_METHODS
    if isinstance(value, (int, float, complex)) and not isinstance(value, bool):
        return name in (_NUMBER_METHODS if method else _NUMBER_ATTRS)
    return False


class _Evaluator:
    def __init__(self, env: Mapping[str, Any]) -> None:
        self.env = env

    def eval(self, node: ast.expr) -> Any:
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            raise Unsafe(f"{type(node).__name__} is not computed by the grading process")
        return method(node)

    def _Constant(self, node: ast.Constant) -> Any:
        return node.value

    def _Name(self, node: ast.Name) -> Any:
        if node.id in self.env:
            return self.env[node.id]
        return resolve(node.id)

    def _Attribute(self, node: ast.Attribute) -> Any:
        dotted = dotted_name(node)
        if dotted is not None and dotted.split(".")[0] not in self.env:
            return resolve(dotted)
        value = self.eval(node.value)
        if not _allowed(value, node.attr, method=False):
            raise Unsafe(f"`.{node.attr}` of {type(value).__name__} is not computed by the grading process")
        return getattr(value, node.attr)

    def _Call(self, node: ast.Call) -> Any:
        if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
            raise Unsafe("* and ** arguments are not computed by the grading process")
        args = [self.eval(a) for a in node.args]
        kwargs = {k.arg: self.eval(k.value) for k in node.keywords if k.arg is not None}
        func = node.func
        dotted = dotted_name(func)
        if isinstance(func, ast.Attribute) and (dotted is None or dotted.split(".")[0] in self.env):
            receiver = self.eval(func.value)
            if isinstance(receiver, TensorArray) and func.attr in torchlike.METHODS:
                return torchlike.METHODS[func.attr](receiver, *args, **kwargs)
            if not _allowed(receiver, func.attr, method=True):
                raise Unsafe(f"`.{func.attr}()` of {type(receiver).__name__} is not computed by the grading process")
            return getattr(receiver, func.attr)(*args, **kwargs)
        if dotted is None:
            raise Unsafe("only named functions are computed by the grading process")
        fn = self._Name(ast.Name(dotted)) if "." not in dotted else resolve(dotted)
        if not callable(fn):
            raise Unsafe(f"`{dotted}` is not a function")
        guard_arrays(args)
        return fn(*args, **kwargs)

    def _BinOp(self, node: ast.BinOp) -> Any:
        return _binop(node.op, self.eval(node.left), self.eval(node.right))

    def _UnaryOp(self, node: ast.UnaryOp) -> Any:
        return _UNARY[type(node.op)](self.eval(node.operand))

    def _BoolOp(self, node: ast.BoolOp) -> Any:
        value: Any = None
        for operand in node.values:
            value = self.eval(operand)
            if isinstance(node.op, ast.And) and not value:
                return value
            if isinstance(node.op, ast.Or) and value:
                return value
        return value

    def _Compare(self, node: ast.Compare) -> Any:
        left = self.eval(node.left)
        result: Any = True
        for op, right_node in zip(node.ops, node.comparators):
            right = self.eval(right_node)
            if isinstance(left, np.ndarray) or isinstance(right, np.ndarray):
                guard_broadcast(left, right)
            result = _COMPARE[type(op)](left, right)
            if len(node.ops) > 1 and not result:
                return result
            left = right
        return result

    def _IfExp(self, node: ast.IfExp) -> Any:
        return self.eval(node.body) if self.eval(node.test) else self.eval(node.orelse)

    def _Subscript(self, node: ast.Subscript) -> Any:
        return self.eval(node.value)[self.eval(node.slice)]

    def _Slice(self, node: ast.Slice) -> Any:
        part = [None if n is None else self.eval(n) for n in (node.lower, node.upper, node.step)]
        return slice(*part)

    def _Tuple(self, node: ast.Tuple) -> Any:
        return tuple(self.eval(e) for e in node.elts)

    def _List(self, node: ast.List) -> Any:
        return [self.eval(e) for e in node.elts]

    def _Set(self, node: ast.Set) -> Any:
        return {self.eval(e) for e in node.elts}

    def _Dict(self, node: ast.Dict) -> Any:
        if any(k is None for k in node.keys):
            raise Unsafe("** in a dict display is not computed by the grading process")
        return {self.eval(k): self.eval(v) for k, v in zip(node.keys, node.values)}  # type: ignore[arg-type]
