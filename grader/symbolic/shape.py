"""The shape of a LaTeX answer, measured in one pass before sympy's parser sees it.

sympy's ANTLR grammar cannot tell an opening ``|`` from a closing one, and its parser tries the
readings one after the other: ``|x|`` repeated twenty times, or twenty nested pairs, takes
minutes. Nesting of any kind costs more than its length suggests too (every level of function
arguments or subscripts makes the parse slower). So, before parsing:

* every bar is decided here, as the course reads them: ``\\left|``, ``\\lvert`` open,
  ``\\right|``, ``\\rvert`` close; a plain ``|`` (or ``\\vert``) closes the innermost open bar when
  it follows an operand (``x``, ``2``, ``)``, a Greek letter, a closed bar) and opens one
  otherwise. The reader then writes each pair as a call of ``Abs``, so no bar reaches the
  parser, and the student is shown how their bars were read;
* the depth of nesting is measured over every kind of group: ``{…}``, ``(…)``, ``[…]``,
  ``\\left…\\right``, ``\\begin…\\end``, bars, and arguments given without braces
  (``\\sqrt\\sqrt x``, ``\\tanh \\tanh x``), and an answer nested deeper than
  :data:`MAX_LATEX_DEPTH` is refused with that reason.

Linear time: one regular-expression scan with no backtracking, and a stack.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

from .errors import AnswerFormatError

__all__ = ["MAX_BARS", "MAX_LATEX_DEPTH", "Bar", "Shape", "measure"]

MAX_LATEX_DEPTH: Final = 10
"""Deepest nesting accepted (an honest answer here needs four or five levels at most)."""
MAX_BARS: Final = 24
"""Most bars accepted in one answer."""

_TOKEN: Final = re.compile(
    r"\\(?:left|right|bigl|bigr|Bigl|Bigr)(?![A-Za-z])\s*(?:\\[A-Za-z]+|\\.|[^\s\\])?"
    r"|\\(?:begin|end)\s*\{[^{}]*\}"
    r"|\\[A-Za-z]+|\\.|\s+|.",
    re.DOTALL,
)
# Macros (and ^, _) that take what follows as their argument when no brace says where it ends.
_TAKES_ARGUMENT: Final = frozenset({
    r"\frac", r"\dfrac", r"\tfrac", r"\sqrt", r"\hat", r"\mathbf", r"\boldsymbol", r"\bm", r"\vec",
    r"\operatorname", r"\mathrm", r"\text", r"\mathit", r"\tanh", r"\cosh", r"\sinh", r"\sin", r"\cos",
    r"\exp", r"\log", r"\ln", r"\sech", r"\sgn", r"\max", r"\min", "^", "_",
})
_GREEK: Final = frozenset({
    r"\alpha", r"\beta", r"\gamma", r"\delta", r"\epsilon", r"\varepsilon", r"\eta", r"\theta", r"\mu",
    r"\rho", r"\tau", r"\phi", r"\omega", r"\lambda", r"\pi", r"\sigma",
})
_OPENERS: Final = frozenset({"{", "(", "[", "\\{"})
_CLOSERS: Final = frozenset({"}", ")", "]", "\\}"})
_BAR_DELIMITERS: Final = frozenset({"|", "\\vert", "\\lvert", "\\rvert"})
_NORMS: Final = frozenset({"\\|", "\\Vert"})

Role = Literal["open", "close"]


@dataclass(frozen=True)
class Bar:
    """One bar of the answer: where it is in the text (``\\left|`` counts whole) and its role."""

    start: int
    end: int
    role: Role


@dataclass(frozen=True)
class Shape:
    depth: int
    bars: tuple[Bar, ...]


def _refuse(es: str, en: str, text: str, pos: int, code: str = "format") -> AnswerFormatError:
    return AnswerFormatError(es, en, column=pos + 1, fragment=text[pos: pos + 15], code=code)


def _too_deep(text: str, pos: int) -> AnswerFormatError:
    return _refuse(
        f"la respuesta está anidada demasiado (más de {MAX_LATEX_DEPTH} niveles de paréntesis, "
        "llaves, barras o argumentos): escríbela de forma más sencilla",
        f"the answer is nested too deeply (more than {MAX_LATEX_DEPTH} levels of brackets, "
        "braces, bars or arguments): write it more simply",
        text, pos, "limits")


def _sized(token: str) -> tuple[str, str] | None:
    """``\\left|`` → ("left", "|"); None when the token is not a sized delimiter."""
    for prefix, side in (("\\left", "left"), ("\\bigl", "left"), ("\\Bigl", "left"),
                         ("\\right", "right"), ("\\bigr", "right"), ("\\Bigr", "right")):
        if token.startswith(prefix) and not token[len(prefix):len(prefix) + 1].isalpha():
            return side, token[len(prefix):].strip()
    return None


def measure(text: str) -> Shape:
    """Measure ``text``; raise :class:`AnswerFormatError` when it nests too deeply, has too many
    bars, or bars that cannot be paired."""
    stack: list[tuple[bool, int]] = []  # (is a bar, levels it adds)
    levels = 0  # the sum of the stack's levels
    pending = 0  # arguments begun without a brace, still waiting for their operand
    after_operand = False
    deepest = 0
    bars: list[Bar] = []

    def push(is_bar: bool, pos: int) -> None:
        nonlocal levels, pending, deepest
        weight = max(1, pending)
        stack.append((is_bar, weight))
        levels += weight
        pending = 0
        deepest = max(deepest, levels)
        if levels > MAX_LATEX_DEPTH:
            raise _too_deep(text, pos)

    def pop(is_bar: bool, pos: int) -> None:
        nonlocal levels, pending
        if not stack:
            if is_bar:
                raise _refuse("una barra | de cierre no tiene su barra de apertura",
                              "a closing bar | has no opening bar", text, pos)
            return  # an unmatched ')' or '}': the parser says so, with its own words
        if stack[-1][0] != is_bar:
            raise _refuse("las barras | y los paréntesis se cruzan: cierra primero lo último que "
                          "abriste (puedes escribir \\left| … \\right|)",
                          "bars | and brackets overlap: close first what was opened last (you "
                          "may write \\left| … \\right|)", text, pos)
        levels -= stack.pop()[1]
        pending = 0

    for match in _TOKEN.finditer(text):
        token = match.group()
        pos = match.start()
        if token.isspace():
            continue
        sized = _sized(token)
        delimiter = sized[1] if sized else token
        if delimiter in _NORMS:
            raise _refuse("no se admiten normas ‖…‖: para el valor absoluto usa |…|",
                          "norms ‖…‖ are not accepted: for the absolute value use |…|", text, pos)
        if delimiter in _BAR_DELIMITERS:
            if sized:
                role: Role = "open" if sized[0] == "left" else "close"
            elif delimiter in ("\\lvert", "\\rvert"):
                role = "open" if delimiter == "\\lvert" else "close"
            else:
                role = "close" if after_operand and stack and stack[-1][0] else "open"
            bars.append(Bar(pos, match.end(), role))
            if len(bars) > MAX_BARS:
                raise _refuse(f"demasiadas barras | (máximo {MAX_BARS})",
                              f"too many bars | (at most {MAX_BARS})", text, pos, "limits")
            if role == "open":
                push(True, pos)
            else:
                pop(True, pos)
            after_operand = role == "close"
        elif sized or token.startswith(("\\begin", "\\end")):
            opening = (sized[0] == "left") if sized else token.startswith("\\begin")
            if opening:
                push(False, pos)
            else:
                pop(False, pos)
            after_operand = not opening
        elif token in _OPENERS:
            push(False, pos)
            after_operand = False
        elif token in _CLOSERS:
            pop(False, pos)
            after_operand = True
        elif token in _TAKES_ARGUMENT:
            pending += 1
            if levels + pending > MAX_LATEX_DEPTH:
                raise _too_deep(text, pos)
            after_operand = False
        else:
            after_operand = token.isalnum() or token in _GREEK or token in ("'", "!", ".")
            if after_operand:
                deepest = max(deepest, levels + pending)
                pending = 0
    if any(is_bar for is_bar, _ in stack):
        first_open = next(b for b in reversed(bars) if b.role == "open")
        raise _refuse("falta cerrar una barra |", "a bar | is not closed", text, first_open.start)
    return Shape(deepest, tuple(bars))
