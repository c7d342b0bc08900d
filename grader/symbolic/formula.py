"""The formula of a markdown answer: the first ``$$…$$``, ``\\[…\\]``, ``\\(…\\)`` or ``$…$``.

A student controls the whole cell, so the search is one pass over it: each kind of delimiter
whose closing mark is missing is found missing once (nothing after it can close either) and
never searched for again. A regular expression with a lazy ``(.+?)`` per kind would search to
the end of the cell again from every opening mark: ``"\\[" * 200000`` took minutes.

An escaped ``\\$`` is a dollar sign, not a delimiter, and ``\\\\[2pt]`` is a LaTeX line break.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["MAX_ANSWER_CHARS", "MAX_CELL_CHARS", "first_formula"]

MAX_CELL_CHARS: Final = 100_000
"""Longest markdown cell searched for a formula (an answer with its explanation fits in far less)."""
MAX_ANSWER_CHARS: Final = 10_000
"""Longest answer text handed to the reader at all; the reader's own caps are far smaller."""

# An escape pair is consumed whole, so '\$' and '\\[' never look like delimiters.
_MARKS: Final = re.compile(r"\\.|\$\$?", re.DOTALL)
_CLOSERS: Final = {"$$": "$$", "\\[": "\\]", "\\(": "\\)", "$": "$"}


def _closing(text: str, opener: str, start: int) -> int | None:
    """Where the first closing mark of ``opener`` after ``start`` begins (at least one character
    inside, as in ``$x$``), or ``None``."""
    closer = _CLOSERS[opener]
    for mark in _MARKS.finditer(text, start):
        token = mark.group()
        if mark.start() > start and (token == closer or (closer == "$" and token == "$$")):
            return mark.start()
    return None


def first_formula(text: str) -> str | None:
    """The first formula's contents, stripped; ``None`` when the text has none.

    Time is linear in ``len(text)``: the scan for openings is one pass, a closing search that
    succeeds ends the call, and one that fails rules its kind out for the rest of the text.
    """
    dead: set[str] = set()
    for mark in _MARKS.finditer(text):
        token = mark.group()
        candidates = ("$$", "$") if token == "$$" else (token,)
        for opener in candidates:
            if opener not in _CLOSERS or opener in dead:
                continue
            body_start = mark.start() + len(opener)
            end = _closing(text, opener, body_start)
            if end is None:
                dead.add(opener)
                continue
            return text[body_start:end].strip()
        if len(dead) == len(_CLOSERS):
            break
    return None
