"""First stage of reading a Python-syntax answer: from raw text to a checked token stream.

Nothing here imports sympy or evaluates anything. The output is a normalised ASCII string that
``ast.parse`` can read, plus, for each of its characters, the column of the raw answer it came
from, so that later errors can point at what the student actually typed.

Decisions (they are the contract with students, keep them documented):

* Unicode: ``σ`` reads as ``sigma``, ``λ`` as ``lam``, ``−``/``–`` as ``-``, ``·``/``×`` as ``*``,
  ``÷`` as ``/``, superscripts (``x²``, ``e⁻ˣ`` is not: only digits and signs) as a power,
  subscripts (``xᵢ``, ``s₁``) as ``_i``/``_1``, ``′`` as ``'``. Anything else outside ASCII is
  refused (after NFKC, so full-width letters are fine). Invisible format characters (bidi
  controls, zero-width joiners) are refused: they can make a text read differently than shown.
* ``^`` is a power, as in the course's notes. A power written between a function's name and its
  parentheses is the power of its value: ``tanh²(x)``, ``tanh^2(x)`` and ``sech**2(x)`` read as
  ``tanh(x)**2``; ``tanh⁻¹(x)`` (the inverse function) is refused.
* A declared spelling that Python keeps for itself (``lambda``, as an alias of ``lam``) reads as
  the symbol it names.
* ``f'(a)`` is the derivative of a declared abstract function; any other quote is refused.
* ``np.exp``, ``math.log``, ``torch.tanh``, ``sp.Heaviside``... read as the bare function; any
  other attribute access is refused.
* Implicit multiplication only where nothing else can be meant: after a number (``2x``,
  ``2(x+1)``, ``2sigma(x)``), after a closing parenthesis (``(1-x)(1+x)``, ``(y-o)x_i``), and
  after a declared value name (``x y``, ``lam w``, ``x(1-x)``). After a function name nothing is
  inserted, so ``diff(x)`` is reported as an unknown function rather than read as ``diff*x``, and
  an unknown run of letters such as ``xy`` is reported as an unknown name.
"""

from __future__ import annotations

import keyword
import re
import unicodedata
from collections.abc import Mapping, Set
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from .errors import AnswerFormatError

__all__ = ["Normalised", "normalise", "MAX_CHARS", "MAX_NESTING", "INTERNAL_PRIME_PREFIX"]

MAX_CHARS: Final = 500
"""Longest answer accepted, in characters as received (a derivative here fits in far less)."""
MAX_NESTING: Final = 30
"""Deepest parenthesis nesting accepted."""
INTERNAL_PRIME_PREFIX: Final = "_d_"
"""``f'`` becomes ``_d_f``: a name no student can type, since leading underscores are refused."""

_CHAR_MAP: Final[dict[str, str]] = {
    "\u2212": "-", "\u2013": "-", "\u2014": "-", "\u2010": "-", "\u2011": "-",
    "\u00b7": "*", "\u22c5": "*", "\u2219": "*", "\u00d7": "*", "\u2217": "*",
    "\u00f7": "/", "\u2215": "/",
    "\u2032": "'", "\u2019": "'", "\u02b9": "'", "\u00b4": "'",
    "\u03c3": "sigma", "\u03bb": "lam", "\u03c0": "pi", "\u03b5": "eps", "\u03f5": "eps",
    "\u03b7": "eta", "\u03b1": "alpha", "\u03b2": "beta", "\u03b4": "delta", "\u03b8": "theta",
    "\u03bc": "mu", "\u03c1": "rho", "\u03b3": "gamma", "\u03c9": "omega", "\u03c6": "phi",
    "\u0177": "yhat", "\u221a": "sqrt", "\u2264": "<=", "\u2265": ">=", "\u2260": "!=",
}
_SUPERSCRIPTS: Final = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+"))
_SUBSCRIPTS: Final = dict(zip("₀₁₂₃₄₅₆₇₈₉ᵢⱼₖₙₜₓ", "0123456789ijkntx"))

# Characters refused with a specific explanation (the generic message covers the rest).
_REFUSED: Final[dict[str, tuple[str, str]]] = {
    '"': ("no se admiten comillas", "quotes are not allowed"),
    "'": ("no se admiten comillas", "quotes are not allowed"),
    "#": ("no se admiten comentarios (#)", "comments (#) are not allowed"),
    ";": ("no se admite ';'", "';' is not allowed"),
    "[": ("no se admiten corchetes ni índices: escribe x_i en lugar de x[i]",
          "brackets and indexing are not allowed: write x_i instead of x[i]"),
    "]": ("no se admiten corchetes", "brackets are not allowed"),
    "{": ("no se admiten llaves (¿es LaTeX? envíalo como LaTeX)",
          "braces are not allowed (is it LaTeX? send it as LaTeX)"),
    "}": ("no se admiten llaves", "braces are not allowed"),
    "\\": ("no se admite '\\' (¿es LaTeX? envíalo como LaTeX)",
           "'\\' is not allowed (is it LaTeX? send it as LaTeX)"),
    "=": ("no se admite una asignación '=': escribe solo la expresión",
          "an assignment '=' is not allowed: write the expression only"),
    ":": ("no se admite ':' (ni lambdas ni cortes)", "':' is not allowed (no lambdas or slices)"),
}

_TOKEN_RE: Final = re.compile(
    r"(?P<ws>\s+)"
    r"|(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>\*\*|<=|>=|==|!=|[-+*/^(),<>&|.'])"
)
_MODULES: Final = frozenset(
    {"np", "numpy", "math", "sp", "sympy", "torch", "F", "scipy", "special"}
)
_MODULE_CONSTANTS: Final = {"e": "E", "pi": "pi"}
_ALLOWED_KEYWORDS: Final = frozenset({"if", "else", "and", "or", "True", "False"})


@dataclass(frozen=True)
class Normalised:
    """The normalised text and, per character, the 1-based column in the raw answer."""

    text: str
    origins: tuple[int, ...]

    def column(self, offset: int) -> int:
        """Raw-answer column for a 0-based offset into ``text`` (clamped to the ends)."""
        if not self.origins:
            return 1
        return self.origins[max(0, min(offset, len(self.origins) - 1))]


@dataclass(frozen=True)
class _Tok:
    kind: str  # "num", "name", "op"
    text: str
    col: int  # 1-based column in the raw answer


def _fail(es: str, en: str, raw: str, col: int | None, code: str = "format") -> AnswerFormatError:
    fragment = None
    if col is not None:
        fragment = raw[max(0, col - 1): col + 11].strip() or None
    return AnswerFormatError(es, en, column=col, fragment=fragment, code=code)


def _map_chars(raw: str) -> tuple[str, list[int]]:
    """Unicode → ASCII with a column for every output character."""
    out: list[str] = []
    cols: list[int] = []
    i = 0
    while i < len(raw):
        ch = raw[i]
        col = i + 1
        if ch in _SUPERSCRIPTS or ch in _SUBSCRIPTS:
            table = _SUPERSCRIPTS if ch in _SUPERSCRIPTS else _SUBSCRIPTS
            j = i
            while j < len(raw) and raw[j] in table:
                j += 1
            body = "".join(table[c] for c in raw[i:j])
            piece = f"**({body})" if table is _SUPERSCRIPTS else f"_{body}"
            out.append(piece)
            cols.extend([col] * len(piece))
            i = j
            continue
        if ch in "\t\n\r":
            piece = " "
        elif unicodedata.category(ch) in ("Cf", "Cc", "Co", "Cs", "Cn", "Zl", "Zp"):
            raise _fail(
                f"carácter de control invisible U+{ord(ch):04X} no permitido",
                f"invisible control character U+{ord(ch):04X} is not allowed",
                raw, col, "control",
            )
        elif ch in _CHAR_MAP:
            piece = _CHAR_MAP[ch]
        elif ch.isascii():
            piece = ch
        else:
            piece = unicodedata.normalize("NFKC", ch)
            if piece in _CHAR_MAP:
                piece = _CHAR_MAP[piece]
            if not piece.isascii():
                raise _fail(
                    f"no se entiende el carácter «{ch}»", f"character '{ch}' not understood",
                    raw, col,
                )
        out.append(piece)
        cols.extend([col] * len(piece))
        i += 1
    return "".join(out), cols


def _tokenise(raw: str, text: str, cols: list[int]) -> list[_Tok]:
    toks: list[_Tok] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        col = cols[pos]
        if m is None:
            ch = text[pos]
            es, en = _REFUSED.get(ch, (f"no se entiende «{ch}»", f"'{ch}' not understood"))
            raise _fail(es, en, raw, col)
        kind = m.lastgroup or "ws"
        if kind != "ws":
            toks.append(_Tok(kind, m.group(), col))
        pos = m.end()
    return toks


def _check_names_and_attributes(raw: str, toks: list[_Tok], renames: Mapping[str, str]) -> list[_Tok]:
    out: list[_Tok] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        if t.kind == "name" and t.text in renames:
            # A spelling the task declares that Python keeps for itself (``lambda``).
            out.append(_Tok("name", renames[t.text], t.col))
            i += 1
            continue
        if t.kind == "name":
            if t.text.startswith("_") or "__" in t.text:
                raise _fail(
                    "no se admiten nombres que empiezan por '_' o contienen '__'",
                    "names starting with '_' or containing '__' are not allowed",
                    raw, t.col, "hostile",
                )
            if (keyword.iskeyword(t.text) or keyword.issoftkeyword(t.text)) and (
                t.text not in _ALLOWED_KEYWORDS
            ):
                raise _fail(
                    f"la palabra clave de Python «{t.text}» no está permitida",
                    f"the Python keyword '{t.text}' is not allowed",
                    raw, t.col, "hostile",
                )
            nxt = toks[i + 1] if i + 1 < len(toks) else None
            if nxt is not None and nxt.text == ".":
                after = toks[i + 2] if i + 2 < len(toks) else None
                if t.text in _MODULES and after is not None and after.kind == "name":
                    # np.exp → exp; np.e → E: the library prefix adds nothing to the maths.
                    name = _MODULE_CONSTANTS.get(after.text, after.text)
                    toks[i + 2] = _Tok("name", name, after.col)
                    i += 2
                    continue
                raise _fail(
                    "no se admite el acceso a atributos («obj.atributo»)",
                    "attribute access ('obj.attribute') is not allowed",
                    raw, t.col, "hostile",
                )
        elif t.text == ".":
            raise _fail("no se entiende '.'", "'.' not understood", raw, t.col)
        out.append(t)
        i += 1
    return out


def _rewrite_primes(raw: str, toks: list[_Tok], abstract: Set[str]) -> list[_Tok]:
    out: list[_Tok] = []
    for i, t in enumerate(toks):
        if t.text != "'":
            out.append(t)
            continue
        prev = out[-1] if out else None
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if prev is not None and prev.kind == "name" and prev.text.startswith(INTERNAL_PRIME_PREFIX):
            raise _fail(
                "solo se admite la primera derivada f'(…)",
                "only the first derivative f'(…) is accepted",
                raw, t.col,
            )
        if prev is None or prev.kind != "name" or prev.text not in abstract:
            names = ", ".join(sorted(abstract))
            hint_es = f" (la notación prima solo vale para: {names})" if names else ""
            hint_en = f" (prime notation is only for: {names})" if names else ""
            raise _fail(
                "no se admiten comillas" + hint_es, "quotes are not allowed" + hint_en, raw, t.col
            )
        if nxt is not None and nxt.text == "'":
            raise _fail(
                "solo se admite la primera derivada f'(…)",
                "only the first derivative f'(…) is accepted",
                raw, t.col,
            )
        if nxt is None or nxt.text != "(":
            raise _fail(
                f"después de {prev.text}' debe venir su argumento entre paréntesis",
                f"{prev.text}' must be followed by its argument in parentheses",
                raw, t.col,
            )
        out[-1] = _Tok("name", INTERNAL_PRIME_PREFIX + prev.text, prev.col)
    return out


def _exponent(toks: list[_Tok], i: int) -> tuple[list[_Tok], int] | None:
    """The exponent written at ``toks[i]`` as ``2``, ``(2)`` (a superscript), ``-1`` or ``(-1)``,
    and the index after it; ``None`` for anything longer."""
    for shape in (("num",), ("(", "num", ")"), ("-", "num"), ("(", "-", "num", ")")):
        part = toks[i:i + len(shape)]
        if len(part) == len(shape) and all(
            t.kind == want if want == "num" else t.text == want for t, want in zip(part, shape)
        ):
            return part, i + len(shape)
    return None


def _closing_paren(toks: list[_Tok], open_at: int) -> int:
    depth = 0
    for j in range(open_at, len(toks)):
        depth += toks[j].text == "("
        depth -= toks[j].text == ")"
        if depth == 0:
            return j
    return len(toks) - 1  # unbalanced input is refused by the nesting check before this runs


def _move_function_powers(raw: str, toks: list[_Tok], functions: Set[str]) -> list[_Tok]:
    """``tanh²(x)``, ``tanh^2(x)``, ``tanh**2(x)`` → ``tanh(x)**2``: the course's way of writing
    the square of a function's value. A negative power there is an inverse function in the
    usual notation (``tanh⁻¹``), so it is refused rather than read as a reciprocal."""
    out: list[_Tok] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        power = toks[i + 1] if i + 1 < len(toks) else None
        found = _exponent(toks, i + 2) if (
            t.kind == "name" and t.text in functions and power is not None and power.text == "**"
        ) else None
        if found is None or found[1] >= len(toks) or toks[found[1]].text != "(":
            out.append(t)
            i += 1
            continue
        exponent, call = found
        if any(e.text == "-" for e in exponent):
            raise _fail(
                f"{t.text}⁻¹ o {t.text}^-1 es la función inversa, que aquí no se usa: para "
                f"1/{t.text}(…) escríbelo así",
                f"{t.text}⁻¹ or {t.text}^-1 means the inverse function, which is not used here: for "
                f"1/{t.text}(…) write that",
                raw, power.col,
            )
        close = _closing_paren(toks, call)
        inner = _move_function_powers(raw, toks[call + 1:close], functions)
        out += [t, toks[call], *inner, toks[close], power, *exponent]
        i = close + 1
    return out


def _insert_products(toks: list[_Tok], value_names: Set[str]) -> list[_Tok]:
    out: list[_Tok] = []
    for t in toks:
        if out:
            p = out[-1]
            starts_operand = (t.kind == "name" and t.text not in _ALLOWED_KEYWORDS) or t.text == "("
            ends_operand = (
                p.kind == "num"
                or p.text == ")"
                or (p.kind == "name" and p.text in value_names)
            )
            if starts_operand and ends_operand:
                out.append(_Tok("op", "*", t.col))
        out.append(t)
    return out


def _check_nesting(raw: str, toks: list[_Tok]) -> None:
    depth = 0
    for t in toks:
        if t.text == "(":
            depth += 1
            if depth > MAX_NESTING:
                raise _fail(
                    f"demasiados paréntesis anidados (máximo {MAX_NESTING})",
                    f"parentheses nested too deeply (at most {MAX_NESTING})",
                    raw, t.col, "limits",
                )
        elif t.text == ")":
            depth -= 1
            if depth < 0:
                raise _fail("paréntesis ')' sin abrir", "unmatched ')'", raw, t.col)
    if depth > 0:
        raise _fail("falta cerrar un paréntesis", "a parenthesis is not closed", raw, None)


def normalise(
    raw: str,
    *,
    value_names: Set[str] = frozenset(),
    abstract: Set[str] = frozenset(),
    functions: Set[str] = frozenset(),
    renames: Mapping[str, str] = MappingProxyType({}),
) -> Normalised:
    """Check and normalise a raw answer; raise :class:`AnswerFormatError` when refused.

    ``value_names`` are the names after which a product may be implied (declared symbols,
    definitions and constants); ``abstract`` the functions that accept prime notation;
    ``functions`` the names whose power may be written before the call (``tanh²(x)``);
    ``renames`` the declared spellings that are Python keywords, with the name they stand for.
    """
    if not isinstance(raw, str):
        raise AnswerFormatError("la respuesta debe ser texto", "the answer must be text")
    if len(raw) > MAX_CHARS:
        raise AnswerFormatError(
            f"respuesta demasiado larga ({len(raw)} caracteres; máximo {MAX_CHARS})",
            f"answer too long ({len(raw)} characters; at most {MAX_CHARS})",
            code="limits",
        )
    if not raw.strip():
        raise AnswerFormatError("la respuesta está vacía", "the answer is empty", code="empty")
    text, cols = _map_chars(raw)
    toks = _tokenise(raw, text, cols)
    toks = [_Tok("op", "**", t.col) if t.text == "^" else t for t in toks]
    toks = _check_names_and_attributes(raw, toks, renames)
    toks = _rewrite_primes(raw, toks, abstract)
    _check_nesting(raw, toks)
    primed = {INTERNAL_PRIME_PREFIX + name for name in abstract}
    toks = _move_function_powers(raw, toks, set(functions) | set(abstract) | primed)
    toks = _insert_products(toks, value_names)
    parts: list[str] = []
    origins: list[int] = []
    prev_word = False
    for t in toks:
        word = t.kind in ("name", "num")
        if parts and (word and prev_word or t.text in ("if", "else", "and", "or")
                      or parts[-1] in ("if", "else", "and", "or")):
            parts.append(" ")
            origins.append(t.col)
        parts.append(t.text)
        origins.extend([t.col] * len(t.text))
        prev_word = word
    return Normalised("".join(parts), tuple(origins))
