"""CSV cells a spreadsheet will show as text: the one place every CSV we write goes through.

Excel, LibreOffice and Google Sheets read a cell that starts with `=`, `+`, `-` or `@` as a
formula (some also after leading spaces or quotes, or in the full-width forms of those signs), and
a tab or carriage return at the start can smuggle one in. A file name, a student id, a roster
name or a feedback text can start that way, so such a cell is written with a leading `'`, which
spreadsheets show as text. A cell that is exactly a number (a score, a negative number) is left
alone: a number is not a formula. `undefuse` reads back a cell written this way.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

from .untrusted import clean

FORMULA_SIGNS = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")  # and their full-width forms
_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?")
_LEADING = " \u00a0\u3000\"'\n\f\v"  # skipped by some spreadsheets before they look for a sign


def is_dangerous(cell: str) -> bool:
    """Whether a spreadsheet could read `cell` as a formula."""
    if not cell or _NUMBER.fullmatch(cell.strip()):
        return False
    if cell[0] in "\t\r":
        return True
    rest = cell.lstrip(_LEADING).lstrip()
    return bool(rest) and (rest[0] in FORMULA_SIGNS or rest[0] in "\t\r")


def defuse(cell: str) -> str:
    """`cell` as text a spreadsheet shows and never computes."""
    cell = clean(cell)
    return "'" + cell if is_dangerous(cell) else cell


def undefuse(cell: str) -> str:
    """The text a cell written by `defuse` held (an instructor's file filled in from ours)."""
    if cell.startswith("'") and is_dangerous(cell[1:]):
        return cell[1:]
    return cell


def csv_text(rows: Iterable[Sequence[str]], delimiter: str = ",") -> str:
    """Rows as CSV text (`\\n` line ends), every cell defused."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    for row in rows:
        writer.writerow([defuse(str(cell)) for cell in row])
    return buffer.getvalue()
