"""`grader check`: a student's self-check on one notebook, public tests only, in seconds.

The public tests come from the release bundle beside the notebook (`<exercise>.checks.json`,
written by `grader release`) when there is one, else from the notebook's own metadata (where the
release packs them too), so a student's check needs neither the reference implementations nor the
hidden tests; otherwise from the installed exercise library.

`grader.check(...)` inside a notebook is another thing (`grader.live`); since importing this module
makes `grader.check` name it, the module answers that call too.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
import tempfile
import types
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from .bundle import (
    BUNDLE_SUFFIX,
    MAX_BUNDLE_BYTES,
    bundle_from_json,
    read_bundle,
    unpack,
)
from .errors import InputError
from .exercise import Exercise
from .grading import Submission, grade_planned
from .i18n import t
from .instructor import TEMPLATE_FILE, Template
from .keys import Orders
from .notebook import StudentNotebook, read_notebook
from .plan import PlannedTask, plan_exercise, student_seed
from .results import SubmissionResult
from .sandbox import Sandbox
from .sandbox.limits import CHECK_CEILING
from .untrusted import name_text

# A support file's name as the checks list it: one entry of the notebook's own folder.
_EXERCISE_FILE = re.compile(r"(?!\.\.?$)[^/\x00]{1,255}")
# A notebook's metadata may name only an exercise id; a folder is the caller's to give (--exercise).
_EXERCISE_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,63}")


def _plan(notebook_path: Path, ref: str, named_by_caller: bool,
          notebook: StudentNotebook | None = None) -> tuple[Exercise, tuple[PlannedTask, ...], str]:
    """The public tests to run. A name from the notebook's metadata is an exercise id, looked up in
    the checks file released beside the notebook or packed in its metadata (data only: read, capped,
    never run) or in the installed library; never a folder, never code found beside the notebook."""
    from .library import exercises_root, load, load_folder

    if not named_by_caller and not _EXERCISE_ID.fullmatch(ref):
        raise InputError(f"the notebook names exercise {ref[:80]!r}, which is not an exercise id "
                         "(check it with --exercise)", notebook_path)
    bundle = notebook_path.parent / f"{ref}{BUNDLE_SUFFIX}"
    if _EXERCISE_ID.fullmatch(ref) and bundle.is_file():
        if bundle.stat().st_size > MAX_BUNDLE_BYTES:
            raise InputError(f"larger than {MAX_BUNDLE_BYTES >> 20} MiB: not a checks file of ours", bundle)
        exercise, tasks = read_bundle(bundle)
        # A checks file is the student's to edit: it may not widen the sandbox's limits.
        return replace(exercise, limits=exercise.limits.within(CHECK_CEILING)), tasks, str(bundle)
    packed = notebook.metadata.get("checks") if notebook is not None and not named_by_caller else None
    if packed is not None:
        exercise, tasks = bundle_from_json(unpack(packed, notebook_path), notebook_path)
        if exercise.id == ref:
            return replace(exercise, limits=exercise.limits.within(CHECK_CEILING)), tasks, str(notebook_path)
    if named_by_caller:
        exercise = load(ref)
    else:
        folder = exercises_root() / ref
        if not (folder / "exercise.py").is_file():
            raise InputError(f"the notebook names exercise {ref!r}, which is not in the library and has no "
                             f"{ref}{BUNDLE_SUFFIX} beside it (check it with --exercise)", notebook_path)
        exercise = load_folder(folder)
    return exercise, plan_exercise(exercise, student_seed(exercise.id, "check"), public_only=True), exercise.path


def check_notebook(notebook_path: Path, exercise_ref: str | None) -> tuple[SubmissionResult, int]:
    notebook = read_notebook(notebook_path)
    ref = exercise_ref or notebook.exercise_id
    if ref is None:
        raise InputError(t("submission.unknown_exercise").en, notebook_path)
    exercise, tasks, source = _plan(notebook_path, ref, named_by_caller=exercise_ref is not None, notebook=notebook)
    with _support_beside(exercise, notebook_path, source) as exercise:
        return _check(notebook_path, notebook, exercise, tasks)


@contextlib.contextmanager
def _support_beside(exercise: Exercise, notebook_path: Path, source: str) -> Iterator[Exercise]:
    """Public tests from a checks file or the notebook's metadata: the support files `release`
    put beside the notebook (named in the checks) are the ones the notebook sees, read-only, as
    when it is graded. They are the student's own copies: shown to the sandboxed child only."""
    if not source or Path(source).is_dir() or Path(source) == Path(exercise.path or "/nonexistent"):
        yield exercise
        return
    try:
        data = json.loads(Path(source).read_text(encoding="utf-8")) if source.endswith(BUNDLE_SUFFIX) \
            else unpack(read_notebook(notebook_path).metadata.get("checks"), notebook_path)
        names = [n for n in data["exercise"].get("files", []) if isinstance(n, str) and _EXERCISE_FILE.fullmatch(n)]
        template = data["exercise"].get("template")
    except (OSError, ValueError, KeyError, TypeError, InputError):
        names, template = [], None
    present = [n for n in names if (notebook_path.parent / n).exists()]
    if not present and not isinstance(template, dict):
        yield exercise
        return
    with tempfile.TemporaryDirectory(prefix="grader-check-") as holder:
        files = Path(holder) / "files"
        files.mkdir()
        for name in present:
            (files / name).symlink_to(notebook_path.parent.resolve() / name)
        if isinstance(template, dict):  # which cells are the instructor's: their errors are not the student's
            (Path(holder) / TEMPLATE_FILE).write_text(json.dumps(Template.from_json(template).to_json()))
        yield replace(exercise, path=holder)


def _check(notebook_path: Path, notebook: StudentNotebook, exercise: Exercise,
           tasks: tuple[PlannedTask, ...]) -> tuple[SubmissionResult, int]:
    tasks = tuple(replace(task, plots=()) for task in tasks)  # text output: no pictures to draw
    from .batch import preload_for, protected_paths

    preload = preload_for([], [notebook])

    hide = protected_paths(notebook_path.resolve().parent, *([Path(exercise.path)] if exercise.path else []))
    with Sandbox(workers=1, preload=preload) as sandbox:
        result = grade_planned(Submission(name_text(notebook_path.stem), notebook_path), notebook, exercise, tasks,
                               sandbox, hide=hide, orders=Orders(read_only=True)).cleaned()  # what the code printed may hold unwritable text
    hidden = sum(task.hidden_tests for task in tasks)
    return result, hidden


def run_check(notebook_path: Path, exercise_ref: str | None, lang: str) -> int:
    result, hidden = check_notebook(notebook_path, exercise_ref)
    echo = click.echo
    failures = 0
    total = 0
    for issue in result.cell_issues:
        if issue.kind != "neutralised":
            echo(click.style("! ", fg="yellow") + issue.message(lang))
            if issue.traceback:
                echo(_indent(issue.traceback.rstrip()))
    for task in result.tasks:
        for test in task.tests:
            total += 1
            name = f"{task.id} / {test.title(lang) if test.title else test.name}"
            if test.passed:
                echo(click.style("✓ ", fg="green") + name)
                if test.message(lang):
                    echo(_indent(test.message(lang)))  # e.g. how a derivation answer was read
                continue
            failures += 1
            echo(click.style("✗ ", fg="red") + name)
            echo(_indent(test.message(lang)))
            for label, value in (("input", test.input), ("expected", test.expected), ("got", test.got)):
                if value:
                    echo(_indent(f"{label}: {value}"))
            if test.hint is not None:
                echo(_indent(("hint: " if lang == "en" else "pista: ") + test.hint(lang)))
            if test.traceback:
                echo(_indent(test.traceback.rstrip(), 6))
    passed = total - failures
    summary = (f"public tests: {passed}/{total} passed" if lang == "en"
               else f"pruebas públicas: {passed}/{total} superadas")
    if hidden:
        summary += "; " + t("test.hidden_not_run", count=hidden)(lang)
    echo(summary)
    return 1 if failures else 0


def _indent(text: str, by: int = 4) -> str:
    pad = " " * by
    return "\n".join(pad + line for line in text.splitlines())


class _CallableModule(types.ModuleType):
    """`import grader; grader.check("sigmoid")` in a notebook must work even after something imported
    this module (which then stands where `grader.check` the function stood)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from .live import check

        return check(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
