"""The task's tables: which names an answer may use and what sympy object each one is.

Building a :class:`Vocabulary` from a spec is the only place where names become sympy objects;
the reader (``parse.py``) looks every name up here and refuses the rest.
"""

from __future__ import annotations

import keyword
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

import sympy as sp

from .spec import Choice, DerivationSpec, Interval

__all__ = [
    "Vocabulary",
    "SIGMA",
    "H0_OPEN",
    "FUNCTION_ALIASES",
    "KNOWN_FUNCTIONS",
    "CONSTANTS",
]

SIGMA: Final = sp.Function("sigma", real=True)
"""The logistic function, kept abstract while reading so answers show as ``sigma(x)``; the
checker rewrites it as ``1/(1 + exp(-x))`` when it needs values or a proof."""

H0_OPEN: Final = sp.Symbol("H0_open", real=True)
"""Second argument of a ``Heaviside(u)`` written without one: the student left the value at 0
open. sympy would silently make it 1/2; the task's convention decides instead."""

KNOWN_FUNCTIONS: Final = frozenset(
    {
        "exp", "log", "sqrt", "sigma", "tanh", "cosh", "sinh", "sech", "sin", "cos",
        "Abs", "sign", "Max", "Min", "Heaviside", "Piecewise",
    }
)
"""Canonical names a spec may list in ``functions``."""

FUNCTION_ALIASES: Final[Mapping[str, str]] = {
    **{name: name for name in KNOWN_FUNCTIONS},
    "ln": "log",
    "abs": "Abs", "fabs": "Abs", "absolute": "Abs",
    "sgn": "sign",
    "heaviside": "Heaviside",  # numpy's heaviside(x, h0): the value at 0 is its second argument
    "max": "Max", "maximum": "Max", "min": "Min", "minimum": "Min",
    "where": "Piecewise",  # np.where(c, a, b)
    "sigmoid": "sigma", "logistic": "sigma", "expit": "sigma",
}
"""Every spelling of a known function, mapped to its canonical name."""

CONSTANTS: Final[Mapping[str, sp.Expr]] = {"E": sp.E, "e": sp.E, "pi": sp.pi}


def _assumptions(domain: Interval | Choice) -> dict[str, bool]:
    values = (domain.lo, domain.hi) if isinstance(domain, Interval) else domain.values
    if min(values) > 0:
        return {"positive": True}
    if min(values) >= 0 and isinstance(domain, Choice):
        return {"nonnegative": True}
    return {"real": True}


@dataclass(frozen=True)
class Vocabulary:
    """Names of one task. ``values`` maps every value spelling (symbols with their aliases,
    definitions, constants) to its expression; ``symbols`` the canonical symbol names to their
    symbols; ``functions`` the canonical function names allowed; ``abstract`` each abstract
    function name to the pair (f, f')."""

    symbols: Mapping[str, sp.Symbol]
    values: Mapping[str, sp.Expr]
    functions: frozenset[str]
    abstract: Mapping[str, tuple[sp.FunctionClass, sp.FunctionClass]]
    renames: Mapping[str, str] = field(default_factory=dict)
    """Declared spellings that Python keeps for itself (``lambda``) → the symbol they name."""

    @property
    def value_names(self) -> frozenset[str]:
        return frozenset(self.values)

    @property
    def function_names(self) -> frozenset[str]:
        """Every spelling a call may use."""
        names = {alias for alias, canon in FUNCTION_ALIASES.items() if canon in self.functions}
        if "Piecewise" not in self.functions:
            names.discard("where")
        return frozenset(names | set(self.abstract) | ({"Derivative"} if self.abstract else set()))

    def describe(self) -> str:
        """A short list of what may be used, for error messages."""
        names = sorted(
            set(self.symbols)
            | {n for n, v in self.values.items() if n not in CONSTANTS and not v.is_Symbol}
        )
        funcs = sorted(self.functions | set(self.abstract))
        return ", ".join(names + [f"{f}(…)" for f in funcs])

    @classmethod
    def base(cls, spec: DerivationSpec) -> Vocabulary:
        """The vocabulary without definitions (definitions are read with this one)."""
        symbols: dict[str, sp.Symbol] = {}
        values: dict[str, sp.Expr] = {}
        for sym in spec.symbols:
            symbol = sp.Symbol(sym.name, **_assumptions(sym.domain))
            symbols[sym.name] = symbol
            for spelling in (sym.name, *sym.aliases):
                values[spelling] = symbol
        for name, const in CONSTANTS.items():
            values.setdefault(name, const)
        abstract = {
            name: (sp.Function(name, real=True), sp.Function(name + "'", real=True))
            for name in spec.abstract
        }
        for name in spec.abstract:
            values.pop(name, None)
        renames = {alias: sym.name for sym in spec.symbols for alias in sym.aliases
                   if keyword.iskeyword(alias) or keyword.issoftkeyword(alias)}
        return cls(symbols, values, frozenset(spec.functions), abstract, renames)

    def with_definition(self, name: str, expr: sp.Expr) -> Vocabulary:
        values = dict(self.values)
        values[name] = expr
        return Vocabulary(self.symbols, values, self.functions, self.abstract, self.renames)
