"""Reading an nbgrader source notebook (the instructor's version, with solutions and all tests).

nbgrader marks its cells in `metadata.nbgrader` (schema 3): `solution` (the student writes here),
`grade` (the cell is worth `points`), `locked` (read-only), `task` (a hand-marked task described
in markdown), `grade_id` (the cell's name in the gradebook). So:

- a code cell with `solution` and not `grade` is an autograded answer: its `### BEGIN SOLUTION`
  … `### END SOLUTION` regions are ours too (a cell without them is a solution as a whole);
- a code cell with `grade` and not `solution` holds autograder tests: all of them, public and
  `### BEGIN HIDDEN TESTS` … `### END HIDDEN TESTS`, pass or fail together for its points;
- a cell with `solution` and `grade` is an answer marked by hand (markdown or code), and a
  markdown cell with `task` a task marked by hand;
- everything else is the assignment's text and given code.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..errors import InputError
from .model import (
    Assignment,
    Cell,
    Manual,
    TestCase,
    TestCell,
    heading,
    identifier,
    load_notebook,
    source_of,
)

_HIDDEN = re.compile(r"^\s*#+\s*BEGIN HIDDEN TESTS\s*$")
_HIDDEN_END = re.compile(r"^\s*#+\s*END HIDDEN TESTS\s*$")
_SOLUTION = re.compile(r"^\s*#+\s*BEGIN SOLUTION\s*$", re.MULTILINE)
_SOLUTION_END = re.compile(r"^\s*#+\s*END SOLUTION\s*$", re.MULTILINE)


def _flag(meta: dict[str, Any], key: str, where: str, path: Path) -> bool:
    value = meta.get(key, False)
    if not isinstance(value, bool):
        raise InputError(f"{where}: nbgrader's {key!r} is {value!r}, not true or false", path)
    return value


def _points(meta: dict[str, Any], where: str, path: Path) -> float:
    try:
        points = float(meta.get("points", 0) or 0)
    except (TypeError, ValueError):
        raise InputError(f"{where}: nbgrader's points {meta.get('points')!r} is not a number", path) from None
    if not points >= 0:
        raise InputError(f"{where}: nbgrader's points must be a number of at least 0", path)
    return points


def hidden_ranges(source: str, where: str, path: Path) -> tuple[list[tuple[int, int]], str]:
    """The hidden regions' line ranges (markers included), and the source without them."""
    ranges, public, start = [], [], None
    for number, line in enumerate(source.split("\n"), 1):
        if start is None and _HIDDEN.match(line):
            start = number
        elif start is not None and _HIDDEN_END.match(line):
            ranges.append((start, number))
            start = None
        elif start is None:
            public.append(line)
    if start is not None:
        raise InputError(f"{where}: a '### BEGIN HIDDEN TESTS' has no '### END HIDDEN TESTS'", path)
    return ranges, "\n".join(public)


def as_answer(source: str, where: str, path: Path) -> str:
    """An answer cell's code with our solution regions: nbgrader's, or the whole cell as one."""
    begins, ends = len(_SOLUTION.findall(source)), len(_SOLUTION_END.findall(source))
    if begins != ends:
        raise InputError(f"{where}: {begins} '### BEGIN SOLUTION' for {ends} '### END SOLUTION'", path)
    if begins:
        return source
    return f"# BEGIN SOLUTION\n{source.rstrip()}\n# END SOLUTION"


def _without_regions(markdown: str) -> str:
    lines = [line for line in markdown.split("\n") if not (_SOLUTION.match(line) or _SOLUTION_END.match(line))]
    return "\n".join(lines).strip()


def read_nbgrader(path: Path) -> Assignment:
    nb = load_notebook(path)
    cells: list[Cell] = []
    used: set[str] = set()
    marked = 0
    prompt: Cell | None = None  # the last markdown cell of the text: a question's title and prompt
    for index, raw in enumerate(nb["cells"]):
        where = f"cell {index + 1}"
        meta = raw.get("metadata", {}).get("nbgrader") or {}
        if not isinstance(meta, dict):
            raise InputError(f"{where}: its nbgrader metadata is not an object", path)
        solution, grade, task = (_flag(meta, key, where, path) for key in ("solution", "grade", "task"))
        marked += bool(meta)
        kind, source, cell_id = raw.get("cell_type"), source_of(raw), raw.get("id")
        cell_id = cell_id if isinstance(cell_id, str) else None
        name = str(meta.get("grade_id") or f"cell{index + 1}")
        title = (heading(prompt.source) if prompt is not None else None) or name
        if kind == "markdown" and task:
            task_id = identifier(name, used, "task")
            manual = Manual(task_id, heading(source) or name, _points(meta, where, path), source, "markdown",
                            cell_id or task_id)
            cells.append(Cell("manual", source, cell_id, [task_id], manual=manual))
        elif kind == "markdown" and solution and grade:
            task_id = identifier(name, used, "answer")
            question = prompt.source if prompt is not None else ""
            manual = Manual(task_id, title, _points(meta, where, path), question, "markdown", cell_id or task_id)
            answer = f"*{task_id}: write your answer here / escribe aquí tu respuesta*\n\n{_without_regions(source)}"
            cells.append(Cell("manual", answer, cell_id, [task_id, "solution"], manual=manual))
        elif kind == "markdown" and solution:  # an answer nobody marks: kept out of the statement
            answer = f"*write your answer here / escribe aquí tu respuesta*\n\n{_without_regions(source)}"
            cells.append(Cell("markdown", answer, cell_id, ["solution"]))
        elif kind == "markdown":
            cells.append(Cell("markdown", source, cell_id))
            prompt = cells[-1]
        elif kind == "code" and grade and not solution:
            task_id = identifier(name, used, "test")
            ranges, public = hidden_ranges(source, where, path)
            tests = [TestCase("tests", _points(meta, where, path), True, "all", f"the checks of {name}")]
            if ranges:
                tests = [TestCase("all", _points(meta, where, path), False, "all",
                                  f"all the checks of {name}, public and hidden")]
                if public.strip():
                    tests.insert(0, TestCase("public", 0.0, True, "public",
                                             f"the public checks of {name} (the points are in 'all')"))
            cells.append(Cell("test", public, cell_id, test=TestCell(task_id, title, source, public, ranges, tests)))
        elif kind == "code" and solution:
            cells.append(Cell("answer", as_answer(source, where, path), cell_id))
            if grade:
                task_id = identifier(name, used, "answer")
                anchor = _anchor(cells, prompt, task_id)
                question = prompt.source if prompt is not None else ""
                cells[-1].manual = Manual(task_id, title, _points(meta, where, path), question, "code",
                                          anchor.cell_id or task_id)
        elif kind == "code":
            cells.append(Cell("given", source, cell_id))
    if not marked:
        raise InputError("no cell carries nbgrader metadata: is this nbgrader's source version of the notebook?", path)
    notes = ["nbgrader's partial credit (a test cell whose output is a number): a test passes or fails as a whole"]
    title = next((heading(c.source) for c in cells if c.role == "markdown" and heading(c.source)), path.stem)
    return Assignment("nbgrader", path, title or path.stem, cells, [], notes, nb.get("metadata", {}))


def _anchor(cells: list[Cell], prompt: Cell | None, task_id: str) -> Cell:
    """Where grading finds a hand-marked code answer: the markdown cell that asks for it (it is in
    every student's notebook, nbgrader's release too), tagged with the task; or a note of our own."""
    if prompt is not None and len(cells) >= 2 and cells[-2] is prompt:
        prompt.tags.append(task_id)
        return prompt
    note = Cell("markdown", f"*({task_id}: the code above is marked by hand / el código de arriba se corrige a mano)*",
                None, [task_id])
    cells.append(note)
    cells[-2], cells[-1] = cells[-1], cells[-2]  # the note before the code, so the code stays last
    return note
