"""Exam questions: choice answers scored with partial credit, free text marked by rubric.

Choice answers are letters as the student saw them; when options were shuffled for that
student at release, the letters are read through the order the release's keys record for the
student's id (`grader.keys`), never through anything the notebook says. Text answers get, per
rubric criterion, a suggested score from the concepts they mention — clearly a suggestion: the
points come from the instructor's marks.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from .exercise import Choice, Criterion
from .i18n import Text, t

LETTERS = "abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class ChoiceAnswer:
    chosen: tuple[int, ...]  # original option indices
    problem: Text | None = None
    letters: tuple[str, ...] = ()


def parse_letters(value: Any, n_options: int, multiple: bool, order: list[int] | None) -> ChoiceAnswer:
    """Letters from `"b"`, `"b)"`, `"a, c"`, `["a", "c"]` or `("A",)`, mapped to original options."""
    if isinstance(value, str):
        raw = [p for p in re.split(r"[\s,;]+", value.strip()) if p]
    elif isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        raw = [v.strip() for v in value if v.strip()]
    else:
        return ChoiceAnswer((), t("choice.type"))
    letters = []
    for item in raw:
        letter = item.strip("()[].").lower()
        if len(letter) != 1 or letter not in LETTERS[:n_options]:
            return ChoiceAnswer((), t("choice.unknown_letter", letter=item[:20], last=LETTERS[n_options - 1]))
        if letter not in letters:
            letters.append(letter)
    if not letters:
        return ChoiceAnswer((), None)
    if len(letters) > 1 and not multiple:
        return ChoiceAnswer((), t("choice.one_only"), tuple(letters))
    order = order if order is not None and sorted(order) == list(range(n_options)) else list(range(n_options))
    return ChoiceAnswer(tuple(order[LETTERS.index(letter)] for letter in letters), None, tuple(letters))


def score_choice(choice: Choice, chosen: tuple[int, ...], points: float) -> float:
    right = {i for i, o in enumerate(choice.options) if o.correct}
    picked = set(chosen)
    if choice.scoring == "all_or_nothing" or not choice.multiple:
        return points if picked == right else 0.0
    wrong = set(range(len(choice.options))) - right
    share = len(picked & right) / len(right) - (len(picked & wrong) / len(wrong) if wrong else 0.0)
    return round(points * max(0.0, share), 4)


def _fold(text: str) -> str:
    """Lower case without accents, so 'Función' and 'funcion' match."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", _fold(text))


def mentions(text: str, synonym: str) -> bool:
    """Whether `text` mentions `synonym`: every word of it, each as the start of a word in the text
    (so 'gradient' matches 'gradients', 'gradiente')."""
    folded = " " + " ".join(words(text)) + " "
    return all(f" {w}" in folded for w in words(synonym))


@dataclass(frozen=True)
class Suggestion:
    points: float
    found: tuple[str, ...]
    missing: tuple[str, ...]


def suggest(criterion: Criterion, answer: str) -> Suggestion:
    found, missing = [], []
    for group in criterion.concepts:
        (found if any(mentions(answer, s) for s in group) else missing).append(group[0])
    share = len(found) / len(criterion.concepts) if criterion.concepts else 0.0
    return Suggestion(round(criterion.points * share * 2) / 2, tuple(found), tuple(missing))


def render_choice(question: Text, choice: Choice, order: list[int], lang: str, number: str = "") -> str:
    """The markdown a student reads for a choice question, options in `order`."""
    lines = [f"**{number}** {question(lang)}".strip(), ""]
    for letter, index in zip(LETTERS, order):
        lines.append(f"- **{letter})** {choice.options[index].text(lang)}")
    how = ("Several answers: give every right letter, e.g. `[\"a\", \"c\"]`." if choice.multiple
           else "One answer: give its letter, e.g. `\"b\"`.")
    how_es = ("Varias respuestas: da todas las letras correctas, p. ej. `[\"a\", \"c\"]`." if choice.multiple
              else "Una respuesta: da su letra, p. ej. `\"b\"`.")
    lines += ["", f"*{how_es if lang == 'es' else how}*"]
    return "\n".join(lines)
