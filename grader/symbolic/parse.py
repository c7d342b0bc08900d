"""Read a Python-syntax answer into a sympy expression without ever evaluating student text.

The text is normalised (``normalize.py``), parsed by ``ast.parse`` in ``eval`` mode, checked
against caps on nodes and depth, and then BUILT node by node from a whitelist: numbers, the
task's names, ``+ - * / **``, unary signs, calls to the task's functions, ``a if c else b`` and
the ``Piecewise((v, cond), ...)`` form that sympy's ``str()`` prints. Any other node is refused
with a message that says which construct and where.

Every constant subtree is also evaluated as a float while building, so that a power tower such
as ``9**9**9**9``, a literal like ``1e999`` or an exponent like ``x**(9**9**9)`` is refused
before sympy tries to compute it exactly.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import sympy as sp
from sympy.printing.str import StrPrinter

from .astcheck import MAX_DEPTH, MAX_NODES, check_size, describe_node, fold, refusal_code
from .errors import AnswerFormatError
from .normalize import INTERNAL_PRIME_PREFIX, Normalised, normalise
from .vocab import FUNCTION_ALIASES, H0_OPEN, SIGMA, Vocabulary

__all__ = [
    "ParsedAnswer", "parse_python", "parse_condition", "display", "MAX_NODES", "MAX_DEPTH",
    "MAX_EXPONENT",
]

MAX_EXPONENT: Final = 100
"""Largest constant exponent on a non-constant base (``x**100``)."""
MAX_MAGNITUDE: Final = 1e300
"""Largest magnitude of any constant subtree."""

_BIN_OPS: Final = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_CMP: Final = {ast.Lt: sp.Lt, ast.LtE: sp.Le, ast.Gt: sp.Gt, ast.GtE: sp.Ge, ast.Eq: sp.Eq,
               ast.NotEq: sp.Ne}
_FLOAT_FUNCS: Final[dict[str, Callable[[float], float]]] = {"exp": math.exp, "log": math.log, "sqrt": math.sqrt, "tanh": math.tanh,
                       "cosh": math.cosh, "sinh": math.sinh, "sin": math.sin, "cos": math.cos,
                       "Abs": abs, "sigma": lambda v: 1.0 / (1.0 + math.exp(-v)),
                       "sech": lambda v: 1.0 / math.cosh(v)}
_SP_FUNCS: Final = {"exp": sp.exp, "log": sp.log, "sqrt": sp.sqrt, "tanh": sp.tanh,
                    "cosh": sp.cosh, "sinh": sp.sinh, "sin": sp.sin, "cos": sp.cos,
                    "Abs": sp.Abs, "sign": sp.sign, "sigma": SIGMA, "sech": sp.sech}


@dataclass(frozen=True)
class ParsedAnswer:
    """An answer as read: the expression and its display (``read_as``) for the student."""

    expr: sp.Expr
    read_as: str


class _Printer(StrPrinter):  # type: ignore[misc]
    """sympy's str(), except that an open ``Heaviside(x)`` prints as written."""

    def _print_Heaviside(self, expr: sp.Heaviside) -> str:
        if expr.args[1] == H0_OPEN:
            return f"Heaviside({self._print(expr.args[0])})"
        return f"Heaviside({self._print(expr.args[0])}, {self._print(expr.args[1])})"


def display(expr: sp.Basic) -> str:
    """How an expression is shown to a student (sympy's str() form, which this reader accepts)."""
    return str(_Printer({"order": None}).doprint(expr))


class _Builder:
    def __init__(self, norm: Normalised, raw: str, vocab: Vocabulary) -> None:
        self.norm = norm
        self.raw = raw
        self.vocab = vocab

    # -- errors ---------------------------------------------------------------------------
    def fail(
        self, node: ast.AST | None, es: str, en: str, code: str = "format"
    ) -> AnswerFormatError:
        col = None
        fragment = None
        if node is not None and hasattr(node, "col_offset"):
            col = self.norm.column(node.col_offset)
            end = getattr(node, "end_col_offset", None) or node.col_offset + 1
            # Quote the normalised text: that is what was actually read.
            fragment = self.norm.text[node.col_offset:end][:40]
        return AnswerFormatError(es, en, column=col, fragment=fragment, code=code)

    def too_big(self, node: ast.AST) -> AnswerFormatError:
        return self.fail(node, "número demasiado grande", "number too large", "limits")

    # -- expressions ----------------------------------------------------------------------
    def expr(self, node: ast.AST) -> tuple[sp.Expr, float | None]:
        """Build ``node``; also return its float value when it is a real constant."""
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            value, const = self.expr(node.operand)
            if isinstance(node.op, ast.USub):
                return -value, None if const is None else -const
            return value, const
        if isinstance(node, ast.BinOp) and type(node.op) in _BIN_OPS:
            return self.binop(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.IfExp):
            self.require("Piecewise", node)
            body, _ = self.expr(node.body)
            other, _ = self.expr(node.orelse)
            return sp.Piecewise((body, self.cond(node.test)), (other, True)), None
        if isinstance(node, (ast.Compare, ast.BoolOp)):
            raise self.fail(
                node,
                "una comparación no es un valor: usa Piecewise(...) o «a if c else b»",
                "a comparison is not a value: use Piecewise(...) or 'a if c else b'",
            )
        raise self.fail(node, f"no se admite {describe_node(node, 'es')}",
                        f"{describe_node(node, 'en')} is not allowed", refusal_code(node))

    def constant(self, node: ast.Constant) -> tuple[sp.Expr, float | None]:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(node, "solo se admiten números", "only numbers are allowed")
        if not math.isfinite(value) or abs(value) > MAX_MAGNITUDE:
            raise self.too_big(node)
        # Decimal literals are read exactly (0.1 is 1/10): what the student wrote, not a float.
        exact = sp.Integer(value) if isinstance(value, int) else sp.Rational(repr(value))
        return exact, float(value)

    def name(self, node: ast.Name) -> tuple[sp.Expr, float | None]:
        ident = node.id
        if ident in self.vocab.values:
            value = self.vocab.values[ident]
            return value, float(value) if value.is_number else None
        if ident.startswith(INTERNAL_PRIME_PREFIX) or ident in self.vocab.function_names:
            raise self.fail(node, f"a la función «{ident}» le falta su argumento entre paréntesis",
                            f"the function '{ident}' is missing its argument in parentheses")
        raise self.unknown(node, ident, "nombre", "name")

    def unknown(self, node: ast.AST, ident: str, kind_es: str, kind_en: str) -> AnswerFormatError:
        allowed = self.vocab.describe()
        allowed_es, allowed_en = (allowed, allowed) if allowed else ("solo números", "numbers only")
        hint_es = hint_en = ""
        if len(ident) > 1 and all(c in self.vocab.values for c in ident):
            product = "*".join(ident)
            hint_es = f"; si es un producto, escribe {product}"
            hint_en = f"; if you meant a product, write {product}"
        return self.fail(
            node,
            f"{kind_es} desconocido «{ident}»{hint_es}. Se puede usar: {allowed_es}",
            f"unknown {kind_en} '{ident}'{hint_en}. You may use: {allowed_en}",
            "vocabulary",
        )

    def binop(self, node: ast.BinOp) -> tuple[sp.Expr, float | None]:
        left, lc = self.expr(node.left)
        right, rc = self.expr(node.right)
        op = _BIN_OPS[type(node.op)]
        if op == "**":
            if lc is not None and rc is not None and lc != 0 and abs(rc * math.log(abs(lc))) > 700:
                # |base**exp| (or its inverse) beyond 1e300: sympy would compute it exactly.
                raise self.too_big(node)
            if rc is not None and lc is None and abs(rc) > MAX_EXPONENT:
                raise self.fail(node, f"exponente demasiado grande (máximo {MAX_EXPONENT})",
                                f"exponent too large (at most {MAX_EXPONENT})", "limits")
            if rc is None and lc is None and right.is_number:
                raise self.too_big(node)  # a non-real constant exponent: nothing sane to read
        const = fold(op, lc, rc) if lc is not None and rc is not None else None
        if const is not None and (not math.isfinite(const) or abs(const) > MAX_MAGNITUDE):
            raise self.too_big(node)
        if op == "/" and rc == 0.0:
            raise self.fail(node, "división por cero", "division by zero")
        if op == "**" and lc is not None and rc is not None and const is None:
            if lc == 0.0 and rc < 0:
                raise self.fail(node, "división por cero", "division by zero")
        if op == "+":
            return left + right, const
        if op == "-":
            return left - right, const
        if op == "*":
            return left * right, const
        if op == "/":
            return left / right, const
        return left**right, const

    def require(self, canonical: str, node: ast.AST) -> None:
        if canonical not in self.vocab.functions:
            allowed = self.vocab.describe()
            raise self.fail(
                node,
                f"«{canonical}» no está disponible en esta respuesta. Se puede usar: {allowed}",
                f"'{canonical}' is not available in this answer. You may use: {allowed}",
                "vocabulary",
            )

    def call(self, node: ast.Call) -> tuple[sp.Expr, float | None]:
        if not isinstance(node.func, ast.Name):
            raise self.fail(node, "solo se admiten llamadas a funciones con nombre",
                            "only calls to named functions are allowed", "hostile")
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise self.fail(node, "no se admiten argumentos con nombre ni '*'",
                            "keyword arguments and '*' are not allowed")
        ident = node.func.id
        args = node.args
        if ident.startswith(INTERNAL_PRIME_PREFIX):
            _, prime = self.vocab.abstract[ident[len(INTERNAL_PRIME_PREFIX):]]
            return prime(self.one_arg(node, ident[len(INTERNAL_PRIME_PREFIX):] + "'")), None
        if ident in self.vocab.abstract:
            return self.vocab.abstract[ident][0](self.one_arg(node, ident)), None
        if ident == "Derivative" and self.vocab.abstract:
            return self.derivative(node), None
        canonical = FUNCTION_ALIASES.get(ident)
        if canonical is None or ident not in self.vocab.function_names:
            if canonical is not None:
                self.require(canonical, node.func)
            raise self.unknown(node.func, ident, "función", "function")
        if canonical == "Piecewise":
            return (self.where(node) if ident == "where" else self.piecewise(node)), None
        if canonical in ("Max", "Min"):
            if len(args) < 2:
                raise self.arity(node, ident, "2+")
            built = [self.expr(a) for a in args]
            func = sp.Max if canonical == "Max" else sp.Min
            consts = [c for _, c in built if c is not None]
            const: float | None = None
            if len(consts) == len(built):
                const = max(consts) if canonical == "Max" else min(consts)
            return func(*[b for b, _ in built]), const
        if canonical == "Heaviside":
            return self.heaviside(node, ident), None
        arg, const = self.expr(self.single(node, ident))
        value = None
        if const is not None and canonical in _FLOAT_FUNCS:
            try:
                value = float(_FLOAT_FUNCS[canonical](const))
            except (OverflowError, ValueError, ZeroDivisionError):
                value = None  # not a real number (log(-1)) or huge: sympy keeps it symbolic
            if canonical == "exp" and value is None and const > 0:
                raise self.too_big(node)
        return _SP_FUNCS[canonical](arg), value

    def single(self, node: ast.Call, ident: str) -> ast.AST:
        if len(node.args) != 1:
            raise self.arity(node, ident, "1")
        return node.args[0]

    def one_arg(self, node: ast.Call, ident: str) -> sp.Expr:
        return self.expr(self.single(node, ident))[0]

    def arity(self, node: ast.AST, ident: str, count: str) -> AnswerFormatError:
        return self.fail(node, f"«{ident}» necesita {count} argumento(s)",
                         f"'{ident}' takes {count} argument(s)")

    def heaviside(self, node: ast.Call, ident: str) -> sp.Expr:
        args = node.args
        if ident == "heaviside" and len(args) != 2:
            raise self.arity(node, ident, "2 (x, valor en 0 / value at 0)")
        if len(args) not in (1, 2):
            raise self.arity(node, ident, "1 o 2 / 1 or 2")
        arg = self.expr(args[0])[0]
        if len(args) == 1:
            return sp.Heaviside(arg, H0_OPEN)
        at_zero, const = self.expr(args[1])
        if const is None:
            raise self.fail(args[1], "el valor en 0 debe ser un número",
                            "the value at 0 must be a number")
        return sp.Heaviside(arg, at_zero)

    def piecewise(self, node: ast.Call) -> sp.Expr:
        pieces = []
        for arg in node.args:
            if not (isinstance(arg, ast.Tuple) and len(arg.elts) == 2):
                raise self.fail(arg, "cada tramo de Piecewise es un par (valor, condición)",
                                "each piece of Piecewise is a pair (value, condition)")
            pieces.append((self.expr(arg.elts[0])[0], self.cond(arg.elts[1])))
        if not pieces:
            raise self.arity(node, "Piecewise", "1+")
        return sp.Piecewise(*pieces)

    def where(self, node: ast.Call) -> sp.Expr:
        if len(node.args) != 3:
            raise self.arity(node, "where", "3")
        cond, a, b = node.args
        return sp.Piecewise((self.expr(a)[0], self.cond(cond)), (self.expr(b)[0], True))

    def derivative(self, node: ast.Call) -> sp.Expr:
        args = node.args
        call = args[0] if args else None
        if (
            len(args) == 2
            and isinstance(call, ast.Call)
            and isinstance(call.func, ast.Name)
            and call.func.id in self.vocab.abstract
            and len(call.args) == 1
            and isinstance(args[1], ast.Name)
        ):
            inner = self.expr(call.args[0])[0]
            var = self.expr(args[1])[0]
            if isinstance(var, sp.Symbol) and inner == var:
                return self.vocab.abstract[call.func.id][1](var)
        names = ", ".join(sorted(self.vocab.abstract))
        raise self.fail(
            node,
            f"Derivative solo se admite como Derivative(f(a), a) para: {names}; si no, "
            "escribe f'(…)",
            f"Derivative is only accepted as Derivative(f(a), a) for: {names}; otherwise "
            "write f'(…)",
        )

    # -- conditions (Piecewise, if/else) ---------------------------------------------------
    def cond(self, node: ast.AST) -> sp.Basic:
        if isinstance(node, ast.Constant) and isinstance(node.value, bool):
            return sp.true if node.value else sp.false
        if isinstance(node, ast.Compare):
            parts = []
            left = self.expr(node.left)[0]
            for op, comp in zip(node.ops, node.comparators):
                if type(op) not in _CMP:
                    raise self.fail(node, "comparación no admitida", "comparison not allowed")
                right = self.expr(comp)[0]
                parts.append(_CMP[type(op)](left, right))
                left = right
            return sp.And(*parts)
        if isinstance(node, ast.BoolOp):
            conds = [self.cond(v) for v in node.values]
            return sp.And(*conds) if isinstance(node.op, ast.And) else sp.Or(*conds)
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.BitAnd, ast.BitOr)):
            # sympy's str() prints And/Or as '&' and '|'.
            a, b = self.cond(node.left), self.cond(node.right)
            return sp.And(a, b) if isinstance(node.op, ast.BitAnd) else sp.Or(a, b)
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id in ("Eq", "Ne") and len(node.args) == 2 and not node.keywords):
            a, b = (self.expr(x)[0] for x in node.args)
            return sp.Eq(a, b) if node.func.id == "Eq" else sp.Ne(a, b)
        raise self.fail(node, "no se entiende la condición", "condition not understood")


def parse_python(text: str, vocab: Vocabulary) -> ParsedAnswer:
    """Read ``text`` with the names of ``vocab``; raise :class:`AnswerFormatError` if refused."""
    norm = normalise(text, value_names=vocab.value_names, abstract=frozenset(vocab.abstract),
                     functions=vocab.function_names, renames=vocab.renames)
    try:
        tree = ast.parse(norm.text, mode="eval")
    except SyntaxError as exc:
        offset = (exc.offset or 1) - 1
        col = norm.column(offset)
        raise AnswerFormatError(
            "no se entiende la expresión", "the expression is not understood",
            column=col, fragment=norm.text[max(0, offset - 5): offset + 10] or None,
        ) from None
    except (MemoryError, RecursionError, ValueError):
        # CPython's own parser gives up on pathological nesting: that is a refusal, not a crash.
        raise AnswerFormatError("expresión demasiado compleja", "expression too complex",
                                code="limits") from None
    check_size(tree, norm)
    builder = _Builder(norm, text, vocab)
    try:
        expr, _ = builder.expr(tree.body)
    except (MemoryError, RecursionError, OverflowError):
        raise AnswerFormatError("expresión demasiado compleja", "expression too complex",
                                code="limits") from None
    if not isinstance(expr, sp.Expr) or expr.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        raise AnswerFormatError("la expresión no tiene un valor definido (¿división por cero?)",
                                "the expression has no defined value (division by zero?)")
    return ParsedAnswer(expr, display(expr))


def parse_condition(text: str, vocab: Vocabulary) -> sp.Basic:
    """Read a condition such as ``"x > 0"`` (used for a spec's sampling constraints)."""
    norm = normalise(text, value_names=vocab.value_names, abstract=frozenset(vocab.abstract),
                     functions=vocab.function_names, renames=vocab.renames)
    try:
        tree = ast.parse(norm.text, mode="eval")
    except SyntaxError:
        raise AnswerFormatError("condición no entendida", "condition not understood") from None
    check_size(tree, norm)
    return _Builder(norm, text, vocab).cond(tree.body)
