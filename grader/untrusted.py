"""Text and names that come from a submission, made safe to store, show and write.

A notebook's JSON may hold lone UTF-16 surrogates (`"\\ud800"` is valid JSON), a file name may
hold bytes that are not UTF-8 (Python keeps them as surrogates), and a student's code may print
or raise either. None of these can be encoded as UTF-8, so each would stop whatever writes it: a
report, a gradebook row, a CSV. Everything a student controls is passed through `clean` where
it enters the grader; the writers keep a last guard of their own.

Names get a stricter treatment than text: two different file names must stay two different
names, so the bytes that are not UTF-8 are written as `%XX` instead of being replaced.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

REPLACEMENT = "\ufffd"
_SURROGATES = re.compile("[\ud800-\udfff]")
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def clean(text: str) -> str:
    """`text` as valid Unicode: a surrogate pair becomes its character, a lone surrogate and a NUL
    become U+FFFD (NUL ends strings in C libraries, terminals and some CSV readers)."""
    if text.isascii():
        return text.replace("\x00", REPLACEMENT) if "\x00" in text else text
    if _SURROGATES.search(text):
        # UTF-16 with surrogatepass keeps every code unit; decoding joins the pairs and replaces
        # the units left alone.
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text.replace("\x00", REPLACEMENT) if "\x00" in text else text


def clean_data(value: Any) -> Any:
    """JSON-shaped data (dicts, lists, tuples, strings, numbers) with every string cleaned; the
    same object when nothing needs it (told by the C encoder, far faster than a walk)."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return _cleaned(value)
    if "\\u0000" not in text:  # the encoder writes a NUL as \u0000
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            pass
        else:
            return value
    return _cleaned(value)


def _cleaned(value: Any) -> Any:
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, Mapping):
        return {clean(k) if isinstance(k, str) else k: _cleaned(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cleaned(v) for v in value)
    return value


def name_text(name: str | bytes | PurePath) -> str:
    """A file name or path as text: bytes that are not UTF-8, and control characters, become
    `%XX`, so distinct names stay distinct; other unencodable characters become U+FFFD."""
    if isinstance(name, PurePath):
        name = str(name)
    if isinstance(name, bytes):
        name = name.decode("utf-8", "surrogateescape")
    # A string from the operating system keeps each undecodable byte as U+DC80..U+DCFF; a control
    # character (a tab or a line break in an id would split the lines we print) is written the same way.
    name = _ESCAPED_BYTE.sub(lambda m: f"%{ord(m.group()) - 0xDC00:02X}", name)
    name = _CONTROL.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode("utf-8")), name)
    return clean(name)


def cap_bytes(text: str, limit: int) -> str:
    """The longest prefix of `text` whose UTF-8 encoding fits in `limit` bytes."""
    data = clean(text).encode("utf-8")
    if len(data) <= limit:
        return clean(text)
    return data[:limit].decode("utf-8", "ignore")


def digest(text: str | bytes, length: int = 16) -> str:
    """A short hex digest for telling names apart (64 bits by default: not guessable by search)."""
    data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()[:length]


_PLAIN_NAME = re.compile(r"[a-z0-9_](?:[a-z0-9._-]*[a-z0-9_-])?")
_UNSAFE_RUN = re.compile(r"[^A-Za-z0-9._-]+")
# Names Windows refuses whatever their extension: reports and exports are often copied there.
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def file_stem(ident: str, limit: int = 100) -> str:
    """A file or folder name for a student id (or any id), unique per id on any file system.

    A plain lower-case name within `limit` bytes is kept as it is. Any other id is turned into a
    readable slug, cut to `limit` bytes first, and then given `~` and a digest of the whole id:
    a plain name never holds `~`, so it never equals a digested one, and the digest survives any
    cut. Upper case counts as not plain, because "Ana" and "ana" are one file on some systems.
    """
    if len(ident) <= limit and _PLAIN_NAME.fullmatch(ident) and ident.split(".")[0] not in _RESERVED:
        return ident
    slug = _UNSAFE_RUN.sub("_", name_text(ident)).strip("._-")[:limit] or "id"
    return f"{slug}~{digest(ident)}"
