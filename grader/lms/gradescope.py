"""Gradescope: `results.json` for one submission, and the autograder's run inside Gradescope.

Mapping (Gradescope's `results.json` specification):

- one Gradescope test per grader test, named "<task title> — <test title>", numbered
  "<task>.<test>", with its score, max_score and status (`passed`, else `failed`);
- visibility: a public test (one students can run with `grader check`) is `visible`; a hidden
  test is `after_published`: its result appears once the instructor publishes grades, as the
  grader's own reports hand it out. `hidden` is never used, because any hidden test hides the
  student's total score;
- output: what the student report shows of the test (`grader.report.student_view`): message,
  hint, and for public tests the input, expected value and value obtained, and the traceback
  where the test's visibility allows it. A hidden test's output never holds its inputs or
  expected values; a test whose visibility is "score" has no output;
- formats are `text`, so nothing a student's code printed is read as HTML;
- a submission that could not be graded has one visible "Grading failed" test worth the whole
  exercise, with the reason; if the grader itself fails, the same plus a hidden test holding the
  traceback for the instructor. A results.json is always written.

`python -m grader.lms.gradescope --exercise ID [--root DIR] [--lang es|en]` is what the
autograder's `run_autograder` calls: it grades the newest notebook in `<root>/submission` and
writes `<root>/results/results.json`. The root is `/autograder` unless `--root` or the
`GRADER_AUTOGRADER_ROOT` environment variable says otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any

from ..results import SubmissionResult, TaskResult, TestResult

FORMATS = ("text", "html", "simple_format", "md", "ansi")
VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
HIDDEN_TEST_VISIBILITY = "after_published"

WORDS = {
    "en": {"failed": "Grading failed", "input": "Input", "expected": "Expected", "got": "Got", "hint": "Hint",
           "traceback": "Traceback", "score": "Score", "internal": "Grader error (instructors only)",
           "no_notebook": "No notebook (.ipynb) was found in the submission.",
           "crash": "The grader could not grade this submission; your instructor has the details.",
           "chosen": "Several notebooks were submitted; graded the newest, {name}."},
    "es": {"failed": "Corrección fallida", "input": "Entrada", "expected": "Esperado", "got": "Obtenido",
           "hint": "Pista", "traceback": "Traza", "score": "Nota", "internal": "Error del corrector (solo profesores)",
           "no_notebook": "No se encontró ningún cuaderno (.ipynb) en la entrega.",
           "crash": "El corrector no pudo corregir esta entrega; tu profesor tiene los detalles.",
           "chosen": "Se entregaron varios cuadernos; se corrigió el más reciente, {name}."},
}


def _number(value: float) -> float | int:
    rounded = round(float(value), 6)
    return int(rounded) if rounded == int(rounded) else rounded


def test_output(test: TestResult, lang: str) -> str:
    from ..report import student_view

    view = student_view(test, lang)
    words = WORDS[lang]
    lines = [view.message] if view.message else []
    for label, value in ((words["input"], view.input), (words["expected"], view.expected), (words["got"], view.got)):
        if value is not None:
            lines.append(f"{label}: {value}")
    if view.hint:
        lines.append(f"{words['hint']}: {view.hint}")
    if view.traceback:
        lines.append(f"{words['traceback']}:\n{view.traceback}")
    return "\n".join(lines)


def gradescope_test(task: TaskResult, test: TestResult, number: str, lang: str) -> dict[str, Any]:
    title = test.title(lang) if test.title else test.name
    entry: dict[str, Any] = {
        "number": number, "name": f"{task.title(lang) or task.id} — {title}",
        "score": _number(test.score), "max_score": _number(test.max_score),
        "status": "passed" if test.status == "passed" else "failed",
        "visibility": "visible" if test.public else HIDDEN_TEST_VISIBILITY,
        "tags": [task.id],
    }
    output = test_output(test, lang)
    if output:
        entry["output"] = output
        entry["output_format"] = "text"
    return entry


def failed_test(reason: str, max_score: float, lang: str) -> dict[str, Any]:
    return {"name": WORDS[lang]["failed"], "score": 0, "max_score": _number(max_score), "status": "failed",
            "visibility": "visible", "output": reason, "output_format": "text"}


def results_json(result: SubmissionResult, lang: str, note: str = "") -> dict[str, Any]:
    """Gradescope's results.json for one graded (or ungradable) submission."""
    from .. import __version__

    title = f"{result.exercise or 'grader'}: {WORDS[lang]['score']} {_number(result.score)}/{_number(result.max_score)}"
    data: dict[str, Any] = {
        "score": _number(result.score),
        "output": "\n".join(x for x in (title, note) if x),
        "output_format": "text", "test_output_format": "text", "test_name_format": "text",
        "visibility": "visible",
        "extra_data": {"grader": __version__, "exercise": result.exercise, "status": result.status,
                       "content_hash": result.content_hash},
    }
    if "wall" in result.timings:
        data["execution_time"] = _number(result.timings["wall"])
    if result.status == "error":
        reason = result.error(lang) if result.error is not None else WORDS[lang]["crash"]
        data["tests"] = [failed_test(reason, result.max_score, lang)]
        return data
    data["tests"] = [gradescope_test(task, test, f"{i}.{j}", lang)
                     for i, task in enumerate(result.tasks, start=1) for j, test in enumerate(task.tests, start=1)]
    first = result.first_error
    if first is not None:
        data["output"] += "\n" + first.message(lang)
    return data


def crash_json(details: str, max_score: float, lang: str) -> dict[str, Any]:
    """What Gradescope gets when the grader itself failed: a visible failure, the traceback hidden."""
    return {"score": 0, "output": WORDS[lang]["crash"], "output_format": "text", "visibility": "visible",
            "tests": [failed_test(WORDS[lang]["crash"], max_score, lang),
                      {"name": WORDS[lang]["internal"], "score": 0, "max_score": 0, "status": "failed",
                       "visibility": "hidden", "output": details[-20_000:], "output_format": "text"}]}


# --- inside Gradescope ---------------------------------------------------------------------------


def _student(root: Path) -> str:
    """A stable id for the submitter (it seeds the random test inputs): Gradescope's user id."""
    try:
        meta = json.loads((root / "submission_metadata.json").read_text(encoding="utf-8"))
        user = (meta.get("users") or [{}])[0]
        ident = str(user.get("id") or user.get("email") or "")
    except (OSError, ValueError, AttributeError, IndexError):
        ident = ""
    ident = re.sub(r"[^A-Za-z0-9@.-]+", "-", ident).strip(".-")  # no "_": never read as an LMS name
    return f"gradescope-{ident}" if ident else "submission"


def grade_submission(root: Path, exercise: str, lang: str) -> dict[str, Any]:
    from ..batch import Options, grade_batch
    from ..intake import find_notebooks

    submission = root / "submission"
    notebooks = find_notebooks(submission) if submission.is_dir() else []
    if not notebooks:
        from ..library import load

        return {"score": 0, "output": WORDS[lang]["no_notebook"], "output_format": "text", "visibility": "visible",
                "tests": [failed_test(WORDS[lang]["no_notebook"], load(exercise).max_score, lang)]}
    newest = max(notebooks, key=lambda p: (p.stat().st_mtime, str(p)))
    note = WORDS[lang]["chosen"].format(name=newest.relative_to(submission)) if len(notebooks) > 1 else ""
    with tempfile.TemporaryDirectory(prefix="grader-gradescope-") as tmp:
        inbox = Path(tmp) / "in"
        inbox.mkdir()
        copy = inbox / f"{_student(root)}.ipynb"
        shutil.copyfile(newest, copy)
        outcome = grade_batch(copy, Options(out=Path(tmp) / "out", exercise=exercise, jobs=1, lang=lang,
                                            reports=False))
    return results_json(outcome.results[0], lang, note)


def run(root: Path, exercise: str, lang: str = "en") -> Path:
    """Grade `<root>/submission` and write `<root>/results/results.json`, whatever happens."""
    from ..files import write_atomic

    target = root / "results" / "results.json"
    try:
        data = grade_submission(root, exercise, lang)
    except BaseException:  # a results.json must exist even when the grader itself fails
        details = traceback.format_exc()
        print(details, file=sys.stderr)
        try:
            from ..library import load

            max_score = load(exercise).max_score
        except BaseException:
            max_score = 0.0
        data = crash_json(details, max_score, lang)
    write_atomic(target, json.dumps(data, ensure_ascii=False, indent=1))
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.lms.gradescope",
                                     description="Grade a Gradescope submission into results/results.json.")
    parser.add_argument("--exercise", required=True, help="exercise id or folder")
    parser.add_argument("--root", type=Path, default=Path(os.environ.get("GRADER_AUTOGRADER_ROOT", "/autograder")))
    parser.add_argument("--lang", choices=("en", "es"), default="en")
    args = parser.parse_args(argv)
    print(f"results written to {run(args.root, args.exercise, args.lang)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
