"""An assignment as read from nbgrader's or otter-grader's notebook, before it becomes an exercise.

Both readers produce the same model: the notebook's cells in order, each with the role it plays
for us (statement text, given code, an answer with our `# BEGIN SOLUTION` regions, a test, a
hand-marked question), the tasks the tests and questions form, and the support files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

CellRole = Literal["markdown", "given", "answer", "test", "manual"]


@dataclass
class TestCase:
    """One test of a task: a test cell, or (nbgrader) the public part of one."""

    name: str
    points: float
    public: bool
    part: Literal["public", "all"]  # which recorded program: the public statements only, or all
    title: str = ""


@dataclass
class TestCell:
    """A cell of test code: the whole of it runs on the solution; students see `public_source`."""

    task: str
    title: str
    source: str
    public_source: str
    hidden: list[tuple[int, int]]  # 1-based line ranges of hidden statements (nbgrader)
    tests: list[TestCase]
    output: bool = False  # otter: the last expression's value is compared as doctest would
    stored_output: str | None = None  # otter: what the notebook shows for it (compared, for a warning)
    hint: str | None = None  # otter: the case's failure_message


@dataclass
class Manual:
    """A hand-marked question: a written answer, or code marked by reading it."""

    task: str
    title: str
    points: float
    question: str
    answer: Literal["markdown", "code"]
    target: str = ""  # the cell id or tag grading finds the answer by


@dataclass
class Cell:
    role: CellRole
    source: str
    cell_id: str | None = None
    tags: list[str] = field(default_factory=list)
    test: TestCell | None = None
    manual: Manual | None = None
    outputs: list[Any] = field(default_factory=list)


@dataclass
class Assignment:
    kind: Literal["nbgrader", "otter"]
    path: Path
    title: str
    cells: list[Cell]
    files: list[Path]  # support files and folders, relative to the notebook's folder
    notes: list[str] = field(default_factory=list)  # what does not carry over
    metadata: dict[str, Any] = field(default_factory=dict)

    def tasks(self) -> list[tuple[str, str, list[tuple[TestCell, TestCase]], Manual | None]]:
        """(task id, title, tests, manual question) in the notebook's order."""
        found: dict[str, tuple[str, str, list[tuple[TestCell, TestCase]], Manual | None]] = {}
        for cell in self.cells:
            if cell.test is not None:
                entry = found.setdefault(cell.test.task, (cell.test.task, cell.test.title, [], None))
                entry[2].extend((cell.test, case) for case in cell.test.tests)
            elif cell.manual is not None:
                found[cell.manual.task] = (cell.manual.task, cell.manual.title, [], cell.manual)
        return list(found.values())


def identifier(text: str, used: set[str], fallback: str) -> str:
    """A task id made of `text`: lower case letters, digits and underscores, unique among `used`."""
    base = re.sub(r"[^0-9a-zA-Z_]+", "_", text).strip("_").lower() or fallback
    if base[0].isdigit():
        base = f"{fallback}_{base}"
    name, n = base, 2
    while name in used:
        name, n = f"{base}_{n}", n + 1
    used.add(name)
    return name


_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")


def heading(markdown: str) -> str | None:
    """The first heading of a markdown text, or its first line, cut to 80 characters."""
    lines = [line for line in markdown.split("\n") if line.strip()]
    for line in lines:
        match = _HEADING.match(line)
        if match:
            return _strip(match.group(1))[:80]
    return _strip(lines[0])[:80] if lines else None


def _strip(text: str) -> str:
    return re.sub(r"[*_`]+", "", re.sub(r"<[^>]+>", "", text)).strip()


def source_of(cell: dict[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(s for s in src if isinstance(s, str)) if isinstance(src, list) else str(src)


def load_notebook(path: Path) -> dict[str, Any]:
    """The notebook at `path` as nbformat 4 JSON (version 3 is upgraded), or an error naming it."""
    import json

    from ..errors import InputError

    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("no such file", path) from None
    except IsADirectoryError:
        raise InputError("is a folder, not a notebook", path) from None
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InputError(f"not a readable notebook ({type(exc).__name__}: {exc})", path) from None
    if not isinstance(raw, dict) or not isinstance(raw.get("cells", None if raw.get("nbformat") != 3 else []), list):
        raise InputError("not a notebook: no list of cells", path)
    if raw.get("nbformat") == 3:
        import nbformat

        try:
            raw = dict(nbformat.v4.upgrade(nbformat.from_dict(raw)))
        except Exception as exc:  # noqa: BLE001 (nbformat's converter raises many kinds)
            raise InputError(f"could not upgrade this version 3 notebook: {exc}", path) from None
    elif raw.get("nbformat") != 4:
        raise InputError(f"notebook format version {raw.get('nbformat')!r} is not supported (4 expected)", path)
    for index, cell in enumerate(raw["cells"]):
        if not isinstance(cell, dict) or not isinstance(cell.get("metadata", {}), dict):
            raise InputError(f"cell {index + 1} is not a notebook cell", path)
    return raw
