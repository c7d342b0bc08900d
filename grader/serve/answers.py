"""Students' written answers to one question, and which of them are the same or nearly the same.

An answer travels with its grade (the pending rubric lines hold it as `got`); a grade stored
before that was so is answered from the notebook's tagged markdown cell, when the file is still
where it was graded from. Answers are grouped with the comparison's own pieces: the words it
compares (case, accents and punctuation folded), word shingles, a sketch index naming the few
candidates worth comparing, and Jaccard similarity. The same text but for case, accents, spacing
and the marks of prose makes the same answer; a shingle overlap of NEAR or more, a nearly
identical one (offered, never ticked in advance).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..fingerprints import Index, jaccard, shingles, sketch
from ..results import SubmissionResult
from ..similarity import words

NEAR = 0.75  # shingle overlap from which two answers are offered for marking together
SHINGLE = 3  # words per shingle: short answers still have several
SKETCH = 32
CANDIDATES = 24  # answers compared with each one at most: what the index names first


def stored_answer(result: SubmissionResult, task_id: str) -> str | None:
    task = next((t for t in result.tasks if t.id == task_id), None)
    if task is None:
        return None
    return next((test.got for test in task.tests if test.got), None)


def notebook_answer(result: SubmissionResult, task_id: str, base: Path) -> str | None:
    """The answer in the notebook's markdown cell tagged with the task, read as grading reads it."""
    from ..errors import InputError
    from ..notebook import read_notebook

    path = Path(result.file)
    for candidate in ([path] if path.is_absolute() else [Path.cwd() / path, base / path]):
        if not candidate.is_file():
            continue
        try:
            notebook = read_notebook(candidate)
        except (InputError, OSError):
            return None
        if notebook.content_hash != result.content_hash:
            return None  # changed since it was graded: not the answer this grade is about
        cell = notebook.tagged(task_id)
        return cell.answer if cell is not None and cell.kind == "markdown" and cell.answer else None
    return None


@dataclass
class Answers:
    """Every answer to one question, and the answers alike."""

    text: dict[str, str]  # student -> answer
    same: dict[str, list[str]] = field(default_factory=dict)  # student -> others with the same answer
    near: dict[str, list[tuple[str, float]]] = field(default_factory=dict)  # student -> (other, similarity)


_PROSE_MARKS = re.compile(r"[.,;:!?¡¿\"'«»“”‘’…]+")


def same_key(text: str) -> str:
    """What two answers must share to be the same: their text with case, accents, spacing and the
    marks of prose folded away. Symbols stay: `a + b` and `a - b` are different answers."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return " ".join(_PROSE_MARKS.sub(" ", folded).split()) or text.strip()


def group(text: dict[str, str]) -> Answers:
    answers = Answers(text)
    classes: dict[str, list[str]] = {}
    for student in sorted(text):
        classes.setdefault(same_key(text[student]), []).append(student)
    for members in classes.values():
        for student in members:
            answers.same[student] = [m for m in members if m != student]
    # Nearly the same: one representative per class of identical answers, compared by its words.
    index = Index(CANDIDATES)
    reps: list[tuple[list[str], np.ndarray]] = []
    for members in classes.values():
        prints = shingles(words(text[members[0]]), SHINGLE)
        if not len(prints):
            continue
        keys = sketch(prints, SKETCH)
        for other in index.candidates(keys, CANDIDATES, 1):
            other_members, other_prints = reps[other]
            similarity = jaccard(prints, other_prints)
            if similarity < NEAR:
                continue
            for a in members:
                for b in other_members:
                    answers.near.setdefault(a, []).append((b, similarity))
                    answers.near.setdefault(b, []).append((a, similarity))
        index.add(keys, len(reps))
        reps.append((members, prints))
    for student in answers.near:
        answers.near[student].sort(key=lambda item: (-item[1], item[0]))
    return answers


def answers_to(results: list[SubmissionResult], task_id: str, base: Path) -> Answers:
    text = {}
    for result in results:
        found = stored_answer(result, task_id) or notebook_answer(result, task_id, base)
        if found is not None:
            text[result.student] = found
    return group(text)
