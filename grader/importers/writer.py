"""Writing an imported assignment as an exercise folder.

`solution.ipynb` is the instructor's notebook with our solution regions: answers keep them, the
public part of each test cell stays as a given cell tagged `raises-exception` (students see the
checks they always saw; a failing one is reported by its test, not as a broken cell), hidden
tests are left out, written answers are tagged with their task. `statement.<lang>.md` is the
notebook's text. `recorded.json` holds the recorded tests and `exercise.py` names them with
their points and visibility.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

from ..files import write_atomic
from . import names
from .model import Assignment, Cell
from .runtime import FORMAT, RECORDED, TIMEOUT, VERSION, recording_digest
from .store import Store

RAISES = "raises-exception"


def _cell(kind: str, source: str, cell_id: str, tags: list[str]) -> dict[str, Any]:
    cell: dict[str, Any] = {"cell_type": kind, "id": cell_id, "metadata": {"tags": tags} if tags else {},
                            "source": source}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def solution_notebook(assignment: Assignment, exercise_id: str) -> dict[str, Any]:
    cells, ids = [], set()
    for n, cell in enumerate(assignment.cells):
        cell_id = cell.cell_id if cell.cell_id and cell.cell_id not in ids else f"imported-{n + 1}"
        ids.add(cell_id)
        if cell.role in ("markdown", "manual"):
            cells.append(_cell("markdown", cell.source, cell_id, list(cell.tags)))
        elif cell.role == "test":
            assert cell.test is not None
            if cell.test.public_source.strip():
                cells.append(_cell("code", cell.test.public_source, cell_id, [*cell.tags, RAISES]))
        else:
            cells.append(_cell("code", cell.source, cell_id, list(cell.tags)))
    metadata = {k: v for k, v in assignment.metadata.items() if k in ("kernelspec", "language_info")}
    metadata["grader"] = {"exercise": exercise_id}
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": metadata, "cells": cells}


def statement(assignment: Assignment) -> str:
    parts = [c.source.strip() for c in assignment.cells
             if c.role in ("markdown", "manual") and "solution" not in c.tags]
    text = "\n\n".join(p for p in parts if p)
    if not text.lstrip().startswith("#"):
        text = f"# {assignment.title}\n\n{text}"
    return text.rstrip() + "\n"


def _reads(code: str, student: set[str]) -> str:
    """The first of the student's names a test's code reads."""
    tree = names.parse(code)
    if tree is None:
        return ""
    found = [n for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id in student]
    return min(found, key=lambda n: (n.lineno, n.col_offset)).id if found else ""


def recorded_json(assignment: Assignment, recording: dict[str, Any], keys: dict[int, str],
                  student: set[str]) -> dict[str, Any]:
    """The tests as `recorded.json` keeps them: converted (calls, judgments, values) or as code."""
    source = Store(recording.get("blobs", []))
    store = Store()
    tests: dict[str, Any] = {}
    manual: dict[str, Any] = {}
    for index, cell in enumerate(assignment.cells):
        if cell.manual is not None:
            m = cell.manual
            manual[m.task] = {"title": m.title, "question": m.question.strip() or m.title, "target": m.target,
                              "answer": m.answer}
        if cell.test is None:
            continue
        entry = recording["tests"].get(keys[index], {})
        for case in cell.test.tests:
            key = f"{cell.test.task}/{case.name}"
            program = (entry.get("programs") or {}).get(case.part)
            common = {"calls": (program or {}).get("calls", ""), "hint": cell.test.hint, "title": case.title,
                      "timeout": round(max(TIMEOUT, 10 * float(entry.get("seconds") or 0.0)), 1)}
            if program is not None and program["spec"]["judgments"]:
                tests[key] = {"kind": "converted", **common, "events": program["events"],
                              "child": {k: store.put(source.get(v)) for k, v in program["child"].items()},
                              "parent": {k: store.put(source.get(v)) for k, v in program["parent"].items()},
                              "spec": program["spec"]}
            else:
                code = cell.test.public_source if case.part == "public" else cell.test.source
                first = next((line.strip() for line in code.split("\n") if line.strip()), "")
                tests[key] = {"kind": "script", **common, "source": code, "want": entry.get("want"),
                              "calls": first[:80] + (" …" if len(code.strip().split("\n")) > 1 else ""),
                              "target": _reads(code, student),
                              "why": entry.get("whole") or entry.get("fails") or "it reads none of the student's values"}
    return {"format": FORMAT, "version": VERSION, "source": f"{assignment.kind}: {assignment.path.name}",
            "tests": tests, "manual": manual, "blobs": store.dump()}


def _points(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _py(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def limits(seconds: dict[str, float]) -> str:
    """Limits for an exercise whose solution needs more time than the default ones give (five times
    what it took here, for slower machines), or "" when the defaults do."""
    from ..sandbox.limits import Limits

    default = Limits()
    cell = max(default.cell_seconds, round(5 * seconds.get("slowest", 0.0)))
    notebook = max(default.notebook_seconds, round(5 * seconds.get("total", 0.0)))
    if cell == default.cell_seconds and notebook == default.notebook_seconds:
        return ""
    return (f"Limits(cell_seconds={cell:g}, probe_seconds={cell:g}, notebook_seconds={notebook:g}, "
            f"cpu_seconds={max(default.cpu_seconds, int(notebook * 1.5))})")


def exercise_py(assignment: Assignment, exercise_id: str, recorded: dict[str, Any], digest: str,
                requires: tuple[str, ...], bounds: str = "") -> str:
    """The exercise's definition: one line per test with its points and visibility, and why a test
    that runs in the student's process does."""
    tool = "nbgrader source notebook" if assignment.kind == "nbgrader" else "otter-grader master notebook"
    lines = [
        f'"""{exercise_id}: imported from the {tool} {assignment.path.name} by `grader import {assignment.kind}`.',
        "",
        "Each RECORDED.test names a test recorded while the instructor's solution ran (recorded.json). A",
        "converted test replays the student's calls in their process and compares the results here, in the",
        "grading process, with what the solution gave. A test marked \"runs in the student's process\" runs its",
        "code there, as the original did: a student who patches numpy or Python's builtins could pass it.",
        "Change points, visibility and titles here; import again to change the tests themselves.",
        '"""',
        "",
        "from pathlib import Path",
        "",
        "from grader.exercise import Exercise",
        "from grader.i18n import Text",
        "from grader.importers.runtime import Recording",
        *(["from grader.sandbox.limits import Limits"] if bounds else []),
        "",
        f'RECORDED = Recording.read(Path(__file__).with_name("{RECORDED}"), sha256="{digest}")',
        "",
        f"EXERCISE = Exercise(id={_py(exercise_id)}, version=\"1\", title=Text.of({_py(assignment.title)}),",
        f"                    requires={requires!r},{f' limits={bounds},' if bounds else ''} tasks=(",
    ]
    for task_id, title, cases, manual in assignment.tasks():
        if manual is not None:
            lines.append(f"    RECORDED.manual({_py(task_id)}, points={_points(manual.points)}),  # marked by hand: pending "
                         "until you enter marks")
            continue
        if not cases:
            continue
        target = _target(recorded, task_id)
        lines.append(f"    RECORDED.task({_py(task_id)}, {_py(title)}, target={_py(target)}, tests=[")
        for cell, case in cases:
            key = f"{task_id}/{case.name}"
            entry = recorded["tests"][key]
            if entry["kind"] == "converted":
                count = len(entry["spec"]["judgments"])
                note = f"converted: {count} check{'s' if count != 1 else ''} computed in the grading process"
            else:
                note = f"runs in the student's process: {entry['why']}"
            note = " ".join(note.split())
            lines.append(f"        RECORDED.test({_py(key)}, points={_points(case.points)}, public={case.public}),"
                         f"  # {note}"[:400])
        lines.append("    ]),")
    lines += ["))", ""]
    return "\n".join(lines)


def _target(recorded: dict[str, Any], task_id: str) -> str:
    for key, entry in recorded["tests"].items():
        if key.startswith(task_id + "/") and entry.get("target"):
            return str(entry["target"])
        if key.startswith(task_id + "/") and entry.get("calls") and entry["kind"] == "converted":
            return str(entry["calls"]).split("(")[0].split(";")[0].split(".")[0].strip()
    return ""


def write(folder: Path, assignment: Assignment, exercise_id: str, recording: dict[str, Any], keys: dict[int, str],
          lang: str, requires: tuple[str, ...], student: set[str]) -> dict[str, Any]:
    """Write the folder's files (support files are already in place); the recorded tests."""
    write_atomic(folder / "solution.ipynb", json.dumps(solution_notebook(assignment, exercise_id), indent=1,
                                                       ensure_ascii=False) + "\n")
    write_atomic(folder / f"statement.{lang}.md", statement(assignment))
    recorded = recorded_json(assignment, recording, keys, student)
    write_atomic(folder / RECORDED, json.dumps(recorded, ensure_ascii=False, separators=(",", ":")))
    digest = recording_digest(folder / RECORDED)
    bounds = limits(recording.get("seconds", {}))
    write_atomic(folder / "exercise.py", exercise_py(assignment, exercise_id, recorded, digest, requires, bounds))
    return recorded


def stub_otter(files: Path) -> None:
    """An `otter` module for notebooks otter released: their `otter.Notebook(...)` and
    `grader.check("q1")` cells then run, and do nothing (`grader check` is what checks now)."""
    write_atomic(files / "otter" / "__init__.py", '''"""Stand-in for otter-grader inside graded notebooks.

Notebooks released by otter-grader start with `grader = otter.Notebook(...)` and call
`grader.check("q1")`, `grader.check_all()` and `grader.export()`. Here those calls do nothing:
the notebook is graded by `grader grade`, and students check their work with `grader check`.
"""


class Notebook:
    def __init__(self, *args, **kwargs):
        pass

    def __getattr__(self, name):
        return lambda *args, **kwargs: None
''')


def code_cells(assignment: Assignment) -> list[Cell]:
    return [c for c in assignment.cells if c.role in ("given", "answer", "test")]
