"""Read a LaTeX answer: sympy's LaTeX parser (ANTLR backend, strict) between two fences.

Before: the text is checked against a whitelist of macros (``\\input``, ``\\def``, ``\\int``...
are refused with their column), the answer's nesting is measured and capped and each pair of bars
becomes a call of Abs (``shape.py``: no bar ever reaches the parser), math delimiters and spacing
are dropped, ``\\left(``/``\\right)`` become plain parentheses, and what the parser would split
into letters is replaced by placeholders: ``\\hat{y}_1`` (→ ``yhat_1``), ``\\mathbf{x}`` (→ ``x``),
``\\operatorname{sech}`` (→ the function ``sech``), ``\\mathrm{e}`` (→ ``e``). A ``cases``
environment becomes a ``Piecewise``. When the answer is an equation (``\\sigma'(x) = ...``) its
last side is read.

After: the parsed (unevaluated) sympy tree is written back as Python syntax with the task's
names (``x_{i}`` → ``x_i``, ``\\lambda`` → the declared alias, ``e^{x}`` → ``E**x``), refusing
any node it does not know, and that text then goes through the very same reader as a
Python-syntax answer: undeclared names are reported, never silently read as products of letters.

Strict mode matters: the default silently drops what it cannot read (``x^{2`` became ``x``).
The ANTLR backend is used because the Lark one returns ambiguous trees for plain answers
(``\\tanh(x)^2``), does not read ``\\left(``, ``\\sigma`` or ``f'(a)``, and hangs on
``9^{9^{9^{9}}}``. sympy's ANTLR parser needs ``antlr4-python3-runtime`` 4.11.x exactly.
Parsing runs sympy code on student text: call this only inside the bounded child.
"""

from __future__ import annotations

import keyword
import re
import unicodedata
from collections.abc import Callable
from typing import Final

import sympy as sp
from sympy.core.function import AppliedUndef

from .errors import AnswerFormatError
from .shape import measure
from .vocab import FUNCTION_ALIASES, Vocabulary

__all__ = ["latex_to_python", "latex_available", "warm_up", "MAX_LATEX_CHARS"]

MAX_LATEX_CHARS: Final = 1000
_MAX_TREE_DEPTH: Final = 60

_GREEK: Final = frozenset(
    "alpha beta gamma delta epsilon varepsilon eta theta mu rho tau phi omega lambda pi".split()
)
_MACROS: Final = frozenset(
    "frac dfrac tfrac cdot times div sigma tanh cosh sinh sin cos exp log ln sqrt max min "
    "left right bigl bigr Bigl Bigr operatorname mathrm text mathit hat mathbf boldsymbol bm vec "
    "le leq ge geq lt gt neq ne begin end quad qquad displaystyle textstyle prime lvert rvert "
    "vert sech sgn".split()
) | _GREEK
_SPACING: Final = re.compile(r"(?<!\\)\\[,;:! ]|\\q?quad\b|\\displaystyle\b|\\textstyle\b")
_DELIMS: Final = ((r"$$", r"$$"), (r"\[", r"\]"), (r"\(", r"\)"), (r"$", r"$"))
_SIZED: Final = re.compile(r"\\(?:left|right|bigl|bigr|Bigl|Bigr)\s*(\\[{}|]|[()\[\]|.])")
_WORD_MACRO: Final = re.compile(r"\\(?:operatorname|mathrm|text|mathit)\s*\{\s*([A-Za-z]+)\s*\}")
_BARE_FUNC: Final = re.compile(r"\\(sech|sgn)(?![A-Za-z])")
_DECOR: Final = re.compile(
    r"\\(hat|mathbf|boldsymbol|bm|vec)\s*(?:\{\s*([A-Za-z])\s*\}|([A-Za-z]))"
    r"(?:_(?:\{\s*([A-Za-z0-9]+)\s*\}|([A-Za-z0-9])))?"
)
_CASES: Final = re.compile(r"\\begin\{cases\}(.*?)\\end\{cases\}", re.S)
_OTHERWISE: Final = re.compile(
    r"otherwise|else|en otro caso|si no|sino|e\.?\s?o\.?\s?c\.?|resto|other", re.I
)
_PLAIN_NAME: Final = re.compile(r"[A-Za-z]+(?:_[A-Za-z0-9]+)?")
_SP_FUNCS: Final = {"exp": "exp", "sin": "sin", "cos": "cos", "tanh": "tanh", "cosh": "cosh",
                    "sinh": "sinh", "Abs": "Abs", "sign": "sign", "Heaviside": "Heaviside"}
_RELATIONS: Final = {sp.StrictLessThan: "<", sp.LessThan: "<=", sp.StrictGreaterThan: ">",
                     sp.GreaterThan: ">=", sp.Equality: "==", sp.Unequality: "!="}


def _fail(es: str, en: str, text: str | None = None, pos: int | None = None) -> AnswerFormatError:
    fragment = None if text is None or pos is None else text[pos: pos + 15]
    column = None if pos is None else pos + 1
    return AnswerFormatError(es, en, column=column, fragment=fragment)


def latex_available() -> bool:
    try:
        from importlib.metadata import version

        import antlr4  # noqa: F401

        return version("antlr4-python3-runtime").startswith("4.11")
    except Exception:  # noqa: BLE001 - any failure means "not usable"
        return False


def warm_up() -> None:
    """Load the ANTLR grammar once (on trusted input) so forked children start warm."""
    if latex_available():
        _parse("x")


def _parse(text: str) -> sp.Basic:
    from sympy.parsing.latex import LaTeXParsingError, parse_latex

    try:
        return parse_latex(text, strict=True)
    except LaTeXParsingError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise _fail(f"LaTeX no entendido ({first})", f"LaTeX not understood ({first})") from None
    except (TypeError, ValueError, AttributeError, IndexError, KeyError):
        raise _fail("LaTeX no entendido", "LaTeX not understood") from None


class _Reader:
    """One LaTeX answer: placeholders made while rewriting, and the writer back to Python."""

    def __init__(self, vocab: Vocabulary) -> None:
        self.vocab = vocab
        self.symbol_holders: dict[str, str] = {}  # "Xi_{3}" -> python text
        self.function_holders: dict[str, str] = {}  # "Omega_{2}" -> function name

    def hold_symbol(self, python_text: str) -> str:
        key = f"Xi_{{{len(self.symbol_holders) + len(self.function_holders) + 1}}}"
        self.symbol_holders[key] = python_text
        return "\\" + key

    def hold_function(self, name: str) -> str:
        key = f"Omega_{{{len(self.symbol_holders) + len(self.function_holders) + 1}}}"
        self.function_holders[key] = name
        return "\\" + key

    # -- rewriting ------------------------------------------------------------------------
    def rewrite(self, text: str) -> str:
        # cases first: its row separator '\\' must not be taken for spacing macros.
        text = _CASES.sub(lambda m: self.hold_symbol(self.cases(m.group(1))), text)
        if "\\begin" in text or "\\end" in text:
            raise _fail("solo se admite el entorno cases", "only the cases environment is allowed")
        if "\\\\" in text:
            raise _fail("'\\\\' solo se admite dentro de cases",
                        "'\\\\' is only allowed inside cases")
        text = _SPACING.sub(" ", text)
        text = self.bars(text)
        text = text.replace("\\prime", "'").replace("^{'}", "'").replace("^'", "'")
        text = _SIZED.sub(lambda m: _sized(m.group(1)), text)
        text = text.replace("[", "(").replace("]", ")")
        text = _DECOR.sub(self.decoration, text)
        text = _BARE_FUNC.sub(lambda m: self.function_word(m.group(1)), text)
        text = _WORD_MACRO.sub(lambda m: self.word(m.group(1)), text)
        # \sigma is a letter to the parser, so \sigma^2(x) needs the same help as our holders.
        return _move_powers(text, [*self.function_holders, "sigma"])

    def bars(self, text: str) -> str:
        """Each pair of bars as a call of Abs: sympy's parser never sees a bar (see shape.py)."""
        pieces: list[str] = []
        at = 0
        for bar in measure(text).bars:
            pieces.append(text[at:bar.start])
            pieces.append(self.hold_function("Abs") + "(" if bar.role == "open" else ")")
            at = bar.end
        pieces.append(text[at:])
        return "".join(pieces)

    def decoration(self, m: re.Match[str]) -> str:
        base = m.group(2) or m.group(3)
        name = base + "hat" if m.group(1) == "hat" else base
        sub = m.group(4) or m.group(5)
        return self.hold_symbol(name + (f"_{sub}" if sub else ""))

    def function_word(self, word: str) -> str:
        return self.hold_function(FUNCTION_ALIASES.get(word, word))

    def word(self, word: str) -> str:
        if word == "e":
            return "e"
        if word in FUNCTION_ALIASES or word in self.vocab.abstract:
            return self.function_word(word)
        if word in self.vocab.values:
            return self.hold_symbol(word)
        raise _fail(f"nombre desconocido «{word}»", f"unknown name '{word}'")

    def cases(self, body: str) -> str:
        pieces = []
        for row in body.split("\\\\"):
            if not row.strip():
                continue
            cells = row.split("&")
            if len(cells) != 2:
                raise _fail("cada fila de cases es «valor & condición»",
                            "each row of cases is 'value & condition'")
            value = self.to_python(cells[0])
            pieces.append(f"({value}, {self.condition(cells[1])})")
        if not pieces:
            raise _fail("entorno cases vacío", "empty cases environment")
        return "Piecewise(" + ", ".join(pieces) + ")"

    def condition(self, text: str) -> str:
        words = " ".join(re.findall(r"\\text\s*\{([^}]*)\}", text))
        rest = re.sub(r"\\text\s*\{[^}]*\}", " ", text).replace(",", " ").strip()
        if not rest or _OTHERWISE.search(words) and not re.search(r"[<>=]|\\[lg]e", rest):
            return "True"
        return self.to_python(rest)

    # -- parse and write back ----------------------------------------------------------------
    def to_python(self, text: str) -> str:
        return self.write(_parse(self.rewrite(text)), 0)

    def write(self, e: sp.Basic, depth: int) -> str:
        if depth > _MAX_TREE_DEPTH:
            raise _fail("expresión LaTeX demasiado anidada", "LaTeX expression nested too deeply")
        w: Callable[[sp.Basic], str] = lambda a: self.write(a, depth + 1)  # noqa: E731
        if isinstance(e, sp.Symbol):
            return self.symbol(e.name)
        if isinstance(e, (sp.Integer, sp.Rational)):
            return f"({e})"
        if isinstance(e, sp.Float):
            return f"({sp.sstr(e, full_prec=False)})"
        if e is sp.E:
            return "E"
        if e is sp.pi:
            return "pi"
        if isinstance(e, sp.Add):
            return "(" + " + ".join(w(a) for a in e.args) + ")"
        if isinstance(e, sp.Mul):
            return "(" + "*".join(w(a) for a in e.args) + ")"
        if isinstance(e, sp.Pow):
            return f"({w(e.base)})**({w(e.exp)})"
        if isinstance(e, sp.log):
            if len(e.args) == 2 and e.args[1] is not sp.E:
                raise _fail("solo se admite el logaritmo natural",
                            "only the natural log is allowed")
            return f"log({w(e.args[0])})"
        if type(e) in _RELATIONS:
            return f"{w(e.lhs)} {_RELATIONS[type(e)]} {w(e.rhs)}"
        if isinstance(e, AppliedUndef):
            return self.applied(e.func.__name__, [w(a) for a in e.args])
        if isinstance(e, sp.Function) and type(e).__name__ in _SP_FUNCS:
            return f"{_SP_FUNCS[type(e).__name__]}(" + ", ".join(w(a) for a in e.args) + ")"
        if isinstance(e, (sp.Derivative, sp.Integral, sp.Sum, sp.Limit, sp.Product)):
            raise _fail("no se admiten derivadas, integrales, sumas ni límites: escribe el "
                        "resultado (para la derivada de f usa f'(a))",
                        "derivatives, integrals, sums and limits are not accepted: write the "
                        "result (for the derivative of f write f'(a))")
        raise _fail(f"construcción LaTeX no admitida ({type(e).__name__})",
                    f"LaTeX construct not accepted ({type(e).__name__})")

    def symbol(self, name: str) -> str:
        if name in self.symbol_holders:
            return f"({self.symbol_holders[name]})"
        if name in self.function_holders:
            fn = self.function_holders[name]
            raise _fail(f"a «{fn}» le falta su argumento entre paréntesis",
                        f"'{fn}' is missing its argument in parentheses")
        plain = name.replace("{", "").replace("}", "")
        if not _PLAIN_NAME.fullmatch(plain):
            raise _fail(f"subíndice no entendido en «{name}»",
                        f"subscript not understood in '{name}'")
        value = self.vocab.values.get(plain)
        if isinstance(value, sp.Symbol) and plain not in self.vocab.symbols:
            return str(value.name)  # an alias such as \lambda for lam
        if keyword.iskeyword(plain):
            raise _fail(f"nombre desconocido «{plain}»", f"unknown name '{plain}'")
        return plain

    def applied(self, name: str, args: list[str]) -> str:
        if name in self.function_holders:
            name = self.function_holders[name]
        plain = name.replace("{", "").replace("}", "")
        if plain in self.vocab.values and len(args) == 1:
            # x(1 - x): a value name is not a function, so this is a product.
            return f"({self.symbol(name)})*({args[0]})"
        if plain.endswith("'") and _PLAIN_NAME.fullmatch(plain[:-1]):
            return f"{plain}(" + ", ".join(args) + ")"
        if not _PLAIN_NAME.fullmatch(plain):
            raise _fail(f"función no entendida «{name}»", f"function not understood '{name}'")
        return f"{plain}(" + ", ".join(args) + ")"


def _sized(delim: str) -> str:
    return {"\\{": "(", "\\}": ")", "[": "(", "]": ")", ".": ""}.get(delim, delim)


def _last_side(text: str) -> str:
    """The right-hand side of an equation written as the answer (outside braces and
    environments); what stands before it (``\\frac{\\partial J}{\\partial w}``) is not read."""
    depth = 0
    cut = -1
    for i, ch in enumerate(text):
        if text.startswith("\\begin", i):
            depth += 1
        elif text.startswith("\\end", i):
            depth -= 1
        depth += ch == "{"
        depth -= ch == "}"
        if ch == "=" and depth == 0:
            cut = i
    return text[cut + 1:] if cut >= 0 else text


def _move_powers(text: str, names: list[str]) -> str:
    r"""``\Omega_{1}^{2}(x)`` → ``\Omega_{1}(x)^{2}``: the parser only knows that form for its
    own functions (``\tanh^2(x)``); for ours it would read ``Omega**2 * x``."""
    for key in names:
        macro = "\\" + key
        start = text.find(macro)
        while start >= 0:
            i = start + len(macro)
            m = re.compile(r"\s*\^\s*(\{[^{}]*\}|[0-9A-Za-z])\s*").match(text, i)
            if m is not None and m.end() < len(text) and text[m.end()] == "(":
                close = _matching(text, m.end())
                text = text[:i] + text[m.end(): close + 1] + "^" + m.group(1) + text[close + 1:]
            start = text.find(macro, start + 1)
    return text


def _matching(text: str, open_at: int) -> int:
    depth = 0
    for i in range(open_at, len(text)):
        depth += text[i] == "("
        depth -= text[i] == ")"
        if depth == 0:
            return i
    raise _fail("falta cerrar un paréntesis", "a parenthesis is not closed")


def _strip_delimiters(text: str) -> str:
    text = text.strip()
    for left, right in _DELIMS:
        if text.startswith(left) and text.endswith(right) and len(text) >= len(left) + len(right):
            return text[len(left): len(text) - len(right)].strip()
    return text


def _check_macros(text: str, allowed: frozenset[str] = _MACROS) -> None:
    for m in re.finditer(r"\\([A-Za-z]+|.)", text):
        name = m.group(1)
        if name.isalpha() and name not in allowed:
            raise _fail(f"la orden LaTeX \\{name} no está permitida",
                        f"the LaTeX command \\{name} is not allowed", text, m.start())
        if not name.isalpha() and name not in ",;:! {}|\\":
            raise _fail(f"«\\{name}» no está permitido", f"'\\{name}' is not allowed",
                        text, m.start())
    for bad in ("#", "%", "~", "\"", "@", "`"):
        if bad in text:
            pos = text.index(bad)
            raise _fail(f"el carácter «{bad}» no está permitido",
                        f"character '{bad}' is not allowed", text, pos)


def latex_to_python(text: str, vocab: Vocabulary) -> str:
    """The Python-syntax reading of a LaTeX answer (to be read by ``parse_python`` next)."""
    if not isinstance(text, str):
        raise AnswerFormatError("la respuesta debe ser texto", "the answer must be text")
    if len(text) > MAX_LATEX_CHARS:
        raise AnswerFormatError(
            f"respuesta demasiado larga ({len(text)} caracteres; máximo {MAX_LATEX_CHARS})",
            f"answer too long ({len(text)} characters; at most {MAX_LATEX_CHARS})",
            code="limits",
        )
    for i, ch in enumerate(text):
        if unicodedata.category(ch) in ("Cf", "Cc", "Co", "Cs", "Cn") and ch not in "\t\n\r":
            raise _fail(f"carácter de control invisible U+{ord(ch):04X} no permitido",
                        f"invisible control character U+{ord(ch):04X} is not allowed", text, i)
    whole = _strip_delimiters(text.replace("\u2032", "'"))
    body = _last_side(whole).strip()
    if not body:
        raise AnswerFormatError("la respuesta está vacía", "the answer is empty", code="empty")
    # The left side of an equation is never parsed, but it is still checked: only the usual
    # macros, plus \partial for a written-out ∂J/∂w.
    _check_macros(whole[: len(whole) - len(_last_side(whole))], _MACROS | {"partial"})
    _check_macros(body)
    measure(body)  # nesting and bars, before any parser sees the text
    if not latex_available():
        raise RuntimeError("LaTeX answers need antlr4-python3-runtime==4.11.* installed")
    try:
        return _Reader(vocab).to_python(body)
    except (RecursionError, MemoryError):
        raise AnswerFormatError("expresión demasiado compleja", "expression too complex",
                                code="limits") from None
