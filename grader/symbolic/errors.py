"""Typed errors of the symbolic engine.

Two roots, because they mean different things to a grader:

* :class:`AnswerFormatError` is student data: the answer could not be read. It carries a
  bilingual message that says what was not understood and where, and becomes an ``invalid``
  verdict, never an exception in a report.
* :class:`SpecError` is an author fault (an exercise spec that does not parse or is
  inconsistent). It is raised loudly, because a broken exercise must not grade anyone.
"""

from __future__ import annotations

from typing import Final

__all__ = ["AnswerFormatError", "SpecError", "bilingual"]

_LANGS: Final = ("es", "en")


def bilingual(es: str, en: str) -> dict[str, str]:
    """A message in the two languages every report can be written in."""
    return {"es": es, "en": en}


class AnswerFormatError(ValueError):
    """The answer text was refused by the reader (format, vocabulary or size limits).

    ``column`` is 1-based in the answer text as received (``None`` when the problem is the
    answer as a whole, e.g. its length); ``fragment`` quotes the piece that was not understood.
    """

    def __init__(
        self,
        es: str,
        en: str,
        *,
        column: int | None = None,
        fragment: str | None = None,
        code: str = "format",
    ) -> None:
        self.column = column
        self.fragment = fragment
        self.code = code
        where_es = where_en = ""
        if column is not None:
            where_es = f" (columna {column}"
            where_en = f" (column {column}"
            if fragment:
                where_es += f", en «{fragment}»"
                where_en += f", at '{fragment}'"
            where_es += ")"
            where_en += ")"
        elif fragment:
            where_es = f" (en «{fragment}»)"
            where_en = f" (at '{fragment}')"
        self.message: dict[str, str] = bilingual(es + where_es, en + where_en)
        super().__init__(self.message["en"])

    def text(self, lang: str = "en") -> str:
        """The message in ``lang`` ("es" or "en"); English for any other value."""
        return self.message.get(lang, self.message["en"])


class SpecError(ValueError):
    """An exercise specification is malformed: the author must fix it."""
