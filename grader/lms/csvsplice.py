"""Rewriting a few cells of a CSV file and nothing else.

`csv.reader` forgets how each cell was written (quoted or not, which line ending), so it cannot
give back the other cells byte for byte. This reader records where each cell starts and ends in
the text; `splice` replaces chosen cells and copies every other character as it was.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InputError


@dataclass(frozen=True)
class Cell:
    start: int  # offset of the cell's first character (its opening quote, if quoted)
    end: int  # offset just past its last character
    value: str
    quoted: bool


def parse(text: str, delimiter: str) -> list[list[Cell]]:
    """Every record of `text` as cells with their spans (RFC 4180 quoting, any line ending)."""
    rows: list[list[Cell]] = []
    row: list[Cell] = []
    i, n = 0, len(text)
    while i < n:
        start = i
        if text[i] == '"':
            i += 1
            parts = []
            while True:
                close = text.find('"', i)
                if close < 0:
                    raise ValueError(f"an unclosed quote at character {start}")
                parts.append(text[i:close])
                if text.startswith('""', close):
                    parts.append('"')
                    i = close + 2
                    continue
                i = close + 1
                break
            cell = Cell(start, i, "".join(parts), True)
            while i < n and text[i] not in (delimiter, "\r", "\n"):  # stray text after the quote
                i += 1
            if i != cell.end:
                cell = Cell(start, i, cell.value + text[cell.end:i], True)
        else:
            while i < n and text[i] not in (delimiter, "\r", "\n"):
                i += 1
            cell = Cell(start, i, text[start:i], False)
        row.append(cell)
        if i < n and text[i] == delimiter:
            i += 1
            if i == n:
                row.append(Cell(i, i, "", False))
            continue
        rows.append(row)
        row = []
        if text.startswith("\r\n", i):
            i += 2
        elif i < n:
            i += 1
    if row:
        rows.append(row)
    return rows


def needs_quotes(value: str, delimiter: str) -> bool:
    """PHP's fputcsv rule, which Moodle's CSV writer follows."""
    return any(c in value for c in (delimiter, '"', "\\", "\n", "\r", "\t", " "))


def render(value: str, delimiter: str, quote: bool = False) -> str:
    if quote or needs_quotes(value, delimiter):
        return '"' + value.replace('"', '""') + '"'
    return value


def splice(text: str, replacements: dict[tuple[int, int], str], rows: list[list[Cell]]) -> str:
    """`text` with the cells at (row, column) replaced by the given raw (already quoted) text."""
    spans = sorted(((rows[r][c].start, rows[r][c].end), raw) for (r, c), raw in replacements.items())
    out, at = [], 0
    for (start, end), raw in spans:
        out.append(text[at:start])
        out.append(raw)
        at = end
    out.append(text[at:])
    return "".join(out)


BOMS = (("utf-8", b"\xef\xbb\xbf"), ("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"))


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    bom: bytes

    def encode(self, text: str) -> bytes:
        return self.bom + text.encode(self.encoding, errors="xmlcharrefreplace")


def decode(raw: bytes, path: object) -> Decoded:
    """The text of a CSV file and how to write it back exactly (UTF-8 or UTF-16 with their BOMs,
    else UTF-8, else Windows-1252, else Latin-1); refused if it would not round-trip."""
    bom, candidates = b"", ["utf-8", "cp1252", "latin-1"]
    for encoding, mark in BOMS:
        if raw.startswith(mark):
            bom, candidates = mark, [encoding]
            break
    body = raw[len(bom):]
    for encoding in candidates:
        try:
            text = body.decode(encoding)
        except UnicodeDecodeError:
            continue
        if text.encode(encoding) == body:
            return Decoded(text, encoding, bom)
    raise InputError("cannot read this CSV file's encoding without changing it", str(path))
