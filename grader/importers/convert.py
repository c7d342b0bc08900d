"""`grader import nbgrader|otter`: an assignment of either tool as an exercise folder.

Read the notebook (`grader.importers.nbgrader`, `grader.importers.otter`), copy its support files
into `files/`, run the instructor's solution once to record every test
(`grader.importers.trusted`), write the folder (`grader.importers.writer`), and say what became
what. `grader validate` then proves the folder like any other (the command runs it).
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..errors import InputError
from . import names
from .model import Assignment, identifier
from .nbgrader import read_nbgrader
from .otter import read_otter
from .trusted import record
from .writer import code_cells, stub_otter, write

Kind = Literal["nbgrader", "otter"]
SKIPPED = {".ipynb_checkpoints", "__pycache__", ".git", ".DS_Store", "gradebook.db", "nbgrader_config.py"}
TOOL_MODULES = {"otter", "nbgrader", "IPython", "ipywidgets", "google"}


@dataclass
class Imported:
    folder: Path
    exercise_id: str
    lines: list[str] = field(default_factory=list)  # what became what
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what does not carry over


def _prepare(out: Path, source: Path, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise InputError("exists and is not a folder", out)
    if out.is_dir() and any(out.iterdir()):
        if not force:
            raise InputError("is not empty: choose a new folder, or add --force to replace what an earlier import "
                             "wrote there", out)
        for name in ("files", "exercise.py", "recorded.json", "solution.ipynb", "statement.en.md", "statement.es.md"):
            target = out / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
    if source.parent.resolve() == out.resolve() or out.resolve() in source.resolve().parents:
        raise InputError("the exercise folder cannot be the notebook's own folder", out)
    out.mkdir(parents=True, exist_ok=True)


def _copy_files(assignment: Assignment, out: Path) -> list[str]:
    """The support files into `out/files`: for nbgrader everything beside the notebook (other
    notebooks, caches and the output folder aside), for otter the files its configuration lists."""
    base = assignment.path.parent
    files = out / "files"
    if assignment.kind == "nbgrader":
        entries = [p for p in sorted(base.iterdir()) if p.name not in SKIPPED and not p.name.startswith(".")
                   and p.suffix != ".ipynb" and p.resolve() != out.resolve() and out.resolve() not in p.resolve().parents
                   and p.resolve() not in out.resolve().parents]
    else:
        entries = []
        for rel in assignment.files:
            path = (base / rel)
            if not path.exists():
                raise InputError(f"the ASSIGNMENT CONFIG lists {rel}, which is not there", assignment.path)
            entries.append(path)
    copied = []
    for path in entries:
        rel = path.relative_to(base) if path.is_relative_to(base) else Path(path.name)
        target = files / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.is_dir():
            shutil.copytree(path, target, ignore=shutil.ignore_patterns(*SKIPPED), dirs_exist_ok=True)
        else:
            shutil.copy2(path, target)
        copied.append(rel.as_posix() + ("/" if path.is_dir() else ""))
    if assignment.kind == "otter":
        stub_otter(files)
    return copied


def _plan(assignment: Assignment) -> tuple[dict[str, Any], dict[int, str]]:
    student = names.student_names([(c.role, c.source) for c in assignment.cells if c.role in ("given", "answer")])
    cells, keys = [], {}
    for index, cell in enumerate(assignment.cells):
        if cell.role in ("given", "answer"):
            cells.append({"kind": "code", "source": cell.source})
        elif cell.role == "test" and cell.test is not None:
            keys[index] = f"{cell.test.task}#{index}"
            cells.append({"kind": "test", "key": keys[index], "source": cell.test.source,
                          "public": cell.test.public_source, "hidden": [list(r) for r in cell.test.hidden],
                          "output": cell.test.output})
    return {"cells": cells, "student": sorted(student), "notebook": str(assignment.path)}, keys


def _requires(assignment: Assignment, copied: list[str]) -> tuple[str, ...]:
    helpers = {Path(p.rstrip("/")).stem if p.endswith(".py") else p.rstrip("/").split("/")[0] for p in copied}
    found: set[str] = set()
    for cell in code_cells(assignment):
        source = cell.test.source if cell.test is not None else cell.source
        tree = names.parse(source)
        if tree is not None:
            found |= _modules(tree)
    stdlib = set(sys.stdlib_module_names)
    return tuple(sorted(m for m in found if m not in stdlib and m not in helpers and m not in TOOL_MODULES))


def _modules(tree: Any) -> set[str]:
    import ast

    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def import_assignment(kind: Kind, source: Path, out: Path, lang: str = "en", timeout: float = 600.0,
                      force: bool = False) -> Imported:
    if not source.is_file():
        raise InputError("no such notebook", source)
    assignment = read_nbgrader(source) if kind == "nbgrader" else read_otter(source)
    _prepare(out, source, force)
    exercise_id = identifier(out.resolve().name, set(), "exercise")
    copied = _copy_files(assignment, out)
    plan, keys = _plan(assignment)
    files = out / "files"
    recording = record(plan, files if files.is_dir() else None, timeout)
    requires = _requires(assignment, copied)
    recorded = write(out, assignment, exercise_id, recording, keys, lang, requires, set(plan["student"]))
    done = Imported(out, exercise_id, notes=list(assignment.notes))
    _summarise(done, assignment, recording, recorded, keys, copied, lang)
    return done


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _summarise(done: Imported, assignment: Assignment, recording: dict[str, Any], recorded: dict[str, Any],
               keys: dict[int, str], copied: list[str], lang: str) -> None:
    roles = [c.role for c in assignment.cells]
    total = sum(case.points for cell in assignment.cells if cell.test for case in cell.test.tests) + \
        sum(cell.manual.points for cell in assignment.cells if cell.manual)
    done.lines.append(f"imported the {assignment.kind} notebook {assignment.path} into {done.folder} "
                      f"(exercise {done.exercise_id}, {total:g} points)")
    done.lines.append(f"  {'solution.ipynb':<24} {_count(roles.count('answer'), 'answer cell')} (solution regions), "
                      f"{_count(roles.count('given'), 'given cell')}, {_count(roles.count('test'), 'test cell')} "
                      f"(their public part, tagged raises-exception), {_count(roles.count('manual'), 'written answer')}")
    done.lines.append(f"  {'statement.' + lang + '.md':<24} the notebook's text "
                      f"({_count(roles.count('markdown'), 'markdown cell')})")
    shown = ", ".join(copied[:6]) + (f", … ({len(copied)} in all)" if len(copied) > 6 else "")
    done.lines.append(f"  {'files/':<24} {shown or 'nothing to copy'}" +
                      (" and an `otter` stand-in (otter's cells in released notebooks do nothing)"
                       if assignment.kind == "otter" else ""))
    unsafe = []
    for task_id, _, cases, manual in assignment.tasks():
        if manual is not None:
            done.lines.append(f"  {'task ' + task_id:<24} {manual.points:g} pts  written answer marked by hand: "
                              "pending until marked")
            continue
        for _, case in cases:
            entry = recorded["tests"][f"{task_id}/{case.name}"]
            where = "public" if case.public else "hidden"
            if entry["kind"] == "converted":
                count = len(entry["spec"]["judgments"])
                what = f"converted: {count} check{'s' if count != 1 else ''} computed in the grading process"
            else:
                what = f"runs in the student's process ({entry['why']})"
                unsafe.append(f"{task_id}/{case.name}")
            done.lines.append(f"  {'test ' + task_id + '/' + case.name:<24} {case.points:g} pts {where:<6} {what}")
    if unsafe:
        done.warnings.append(f"{len(unsafe)} test(s) run their code in the student's process, as nbgrader and otter "
                             f"do: {', '.join(unsafe)}. A student who patches numpy (or Python's builtins) could "
                             "pass them; the converted tests hold whatever a student patches.")
    size = (done.folder / "recorded.json").stat().st_size
    if size > 50 * 2**20:
        done.warnings.append(f"recorded.json holds {size // 2**20} MiB of recorded inputs and expected values: every "
                             "grading loads them; smaller test inputs keep grading quick")
    for problem in recording.get("cells", []):
        done.warnings.append(f"the solution's cell {problem['cell']} raised {problem['error']}")
    for index, key in keys.items():
        entry = recording["tests"].get(key, {})
        cell = assignment.cells[index]
        if entry.get("fails"):
            done.warnings.append(f"{cell.test.task}: the solution fails this test where it stands: {entry['fails']}")
        for part, problem in recording.get("end", {}).get(key, {}).items():
            if problem and not entry.get("fails"):
                done.warnings.append(f"{cell.test.task} ({part}): at the end of the notebook, where grading runs its "
                                     f"tests, the solution fails it: {problem}")
        stored = cell.test.stored_output if cell.test is not None else None
        program = (entry.get("programs") or {}).get("all")
        wants = [j.get("want") for j in (program or {}).get("spec", {}).get("judgments", []) if j.get("kind") == "output"]
        if stored is not None and wants and wants[-1] is not None and wants[-1] != stored.strip():
            done.warnings.append(f"{cell.test.task}: the notebook shows {stored.strip()[:80]!r} for a test case whose "
                                 f"solution now gives {wants[-1][:80]!r}; the solution's value is what is expected")
