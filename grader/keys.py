"""The order in which each student was shown a choice question's options: made at release from
a secret, read back at grading from the instructor's keys, never from the notebook.

`grader release EX --students roster.csv --out DIR` orders each shuffled question's options for
each student by a keyed hash (HMAC-SHA256) of the student id under a secret kept in
`DIR/release.secret`: made on the first release into DIR and reused after, so that releasing again
(a late student added to the roster) keeps everyone's order, and nobody without the secret can
work out a classmate's order. Every order is written to `DIR/keys.csv`; the notebook shows the
options in that order and records none of it. `grader grade … --keys DIR/keys.csv` reads each
student's order by the id grading gives them. A student with no order there is not graded on
the shuffled questions: those tests say why, and the class page lists the student.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import os
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import InputError
from .exercise import Choice, Exercise
from .i18n import Text, t

SECRET_FILE = "release.secret"
KEYS_FILE = "keys.csv"
MAX_KEYS_BYTES = 64 * 1024 * 1024
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def release_secret(folder: Path) -> bytes:
    """The secret of the releases into `folder`, made (readable by its owner only) when absent."""
    path = folder / SECRET_FILE
    if path.is_file():
        text = path.read_text(encoding="ascii", errors="replace").strip()
        try:
            secret = bytes.fromhex(text)
        except ValueError:
            secret = b""
        if len(secret) < 16:
            raise InputError("is not a release secret (64 hexadecimal digits expected); move it away to make "
                             "a new one, and release again", path)
        return secret
    folder.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secret.hex() + "\n")
    return secret


def permutation(secret: bytes, exercise_id: str, student: str, question: str, n: int) -> list[int]:
    """The order (original option indices) in which `student` sees a question's options."""
    digest = hmac.new(secret, f"{exercise_id}\0{student}\0{question}".encode("utf-8", "surrogatepass"),
                      hashlib.sha256).digest()
    rng = np.random.default_rng(int.from_bytes(digest[:16], "big"))
    return [int(i) for i in rng.permutation(n)]


def shuffled_orders(exercise: Exercise, student: str, secret: bytes) -> dict[str, list[int]]:
    """Each shuffled choice question of `exercise` → the order `student` is shown its options in."""
    return {task.id: permutation(secret, exercise.id, student, task.id, len(task.choice.options))
            for task in exercise.tasks if task.choice is not None and task.choice.shuffle}


@dataclass(frozen=True)
class Orders:
    """How one student's letters are read, question by question."""

    known: Mapping[str, tuple[int, ...]] = field(default_factory=dict)  # question → original option indices
    unknown: Mapping[str, Text] = field(default_factory=dict)  # question → why its order is not known
    read_only: bool = False  # a self-check: shuffled questions are read, not marked

    def order(self, question: str, choice: Choice) -> list[int] | None:
        """The options in the order the student saw them; None when that is not known."""
        if not choice.shuffle:
            return list(range(len(choice.options)))
        if question in self.known:
            return list(self.known[question])
        if question in self.unknown or self.read_only:
            return None
        return list(range(len(choice.options)))  # released without shuffling: the order written


@dataclass(frozen=True)
class Keys:
    """The orders written by a release, by student id: `keys.csv`."""

    path: Path
    rows: Mapping[str, Mapping[str, Mapping[str, str]]]  # student → question → letter → option id
    digest: str  # of the file: grades made under other keys are not reused

    def orders(self, student: str, exercise: Exercise) -> Orders:
        shuffled = [task for task in exercise.tasks if task.choice is not None and task.choice.shuffle]
        mine = self.rows.get(student)
        known: dict[str, tuple[int, ...]] = {}
        unknown: dict[str, Text] = {}
        for task in shuffled:
            assert task.choice is not None
            if mine is None:
                unknown[task.id] = t("choice.order_unknown", student=student, file=self.path.name)
                continue
            order = _order(mine.get(task.id, {}), task.choice)
            if order is None:
                unknown[task.id] = t("choice.order_missing", student=student, question=task.id, file=self.path.name)
            else:
                known[task.id] = order
        return Orders(known, unknown)


def _order(letters: Mapping[str, str], choice: Choice) -> tuple[int, ...] | None:
    """The option indices in letter order, when the keys give every letter one option of the
    question, each option once."""
    ids = [option.id for option in choice.options]
    wanted = LETTERS[:len(ids)]
    if sorted(letters) != list(wanted) or sorted(letters.values()) != sorted(ids):
        return None
    return tuple(ids.index(letters[letter]) for letter in wanted)


def read_keys(path: Path) -> Keys:
    """`keys.csv` as `grader release` writes it: student, question, letter, option (any order of
    columns, other columns ignored). Refused with the file and the row named when it cannot be
    read or contradicts itself."""
    try:
        if path.stat().st_size > MAX_KEYS_BYTES:
            raise InputError(f"is over {MAX_KEYS_BYTES // 2**20} MiB: not a keys file", path)
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise InputError("no such file", path) from None
    except IsADirectoryError:
        raise InputError(f"is a folder; give the {KEYS_FILE} that grader release wrote", path) from None
    except UnicodeDecodeError:
        raise InputError("is not UTF-8 text", path) from None
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror})", path) from None
    try:
        rows = _rows(csv.reader(io.StringIO(text, newline="")), path)
    except csv.Error as exc:
        raise InputError(f"is not a readable CSV file ({exc})", path) from None
    if not rows:
        raise InputError("holds no orders", path)
    return Keys(path, rows, hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest())


def _rows(reader: Iterator[list[str]], path: Path) -> dict[str, dict[str, dict[str, str]]]:
    """student → question → letter → option, from the rows of a keys file."""
    from .spreadsheet import undefuse

    header = [h.strip().lower() for h in next(reader, [])]
    columns = ("student", "question", "letter", "option")
    if not all(c in header for c in columns):
        raise InputError(f"needs the columns {', '.join(columns)} (the {KEYS_FILE} grader release wrote)", path)
    at = [header.index(c) for c in columns]
    rows: dict[str, dict[str, dict[str, str]]] = {}
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) <= max(at):
            raise InputError(f"row {number} has {len(row)} cells; {max(at) + 1} expected", path)
        student, question, letter, option = (undefuse(row[i]).strip() for i in at)
        letter = letter.lower()
        if not student or not question or len(letter) != 1 or letter not in LETTERS or not option:
            raise InputError(f"row {number} is not a student, a question, one letter and an option", path)
        held = rows.setdefault(student, {}).setdefault(question, {})
        if held.get(letter, option) != option:
            raise InputError(f"row {number} gives {student[:60]!r} a second option for letter {letter} of "
                             f"{question[:60]!r}", path)
        held[letter] = option
    return rows


def orders_for(keys: Keys | None, student: str, exercise: Exercise, released_per_student: bool) -> Orders:
    """The orders to grade `student` with. With keys, theirs. Without keys, the order written in
    the exercise, except for a notebook that says it was released for one student: then its
    shuffled questions are not marked and say that the keys are needed (a notebook's word can
    only withhold marks, never decide them)."""
    if keys is not None:
        return keys.orders(student, exercise)
    if not released_per_student:
        return Orders()
    reason = t("choice.order_needs_keys")
    return Orders({}, {task.id: reason for task in exercise.tasks if task.choice is not None and task.choice.shuffle})


def released_per_student(metadata: Mapping[str, object]) -> bool:
    """Whether a notebook's own metadata says it was released for one student. Only ever used to
    withhold marks (see `orders_for`), so a notebook that lies about it gains nothing."""
    return "student" in metadata or "shuffle" in metadata
