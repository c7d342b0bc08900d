"""`grader export`: grades and feedback from the gradebook, as files an LMS imports.

Reads the gradebook that `grader grade --out DIR` left in DIR (nothing is re-graded) and writes
under `DIR/exports/`:

- `csv`: `grades.csv` (student, score, max_score, status, file), as `grade` writes it;
- `json`: `results.json`, the versioned JSON of every result;
- `moodle`: the teacher's worksheet with Grade and Feedback comments filled in
  (`moodle/<worksheet's name>`) and `moodle/feedback.zip` for "Upload multiple feedback files";
- `canvas`: `canvas/gradebook.csv` to import and `canvas/feedback.zip` for "Upload submissions";
- `gradescope`: `gradescope/<student>/results.json`, one per submission.

Every file is written atomically.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from .errors import InputError
from .files import write_atomic
from .gradebook import FILENAME, Gradebook
from .manual import MarkStore, apply_marks
from .results import SubmissionResult, batch_export

FORMATS = ("moodle", "canvas", "gradescope", "csv", "json")


@dataclass(frozen=True)
class ExportOptions:
    format: str
    lang: str = "en"
    exercise: str | None = None
    worksheet: Path | None = None  # moodle: the grading worksheet the teacher downloaded
    folders: str = "modern"  # moodle: "modern" (≥ 4.1) or "legacy" (trailing "_") feedback folders
    column: str | None = None  # canvas: the assignment's column, "Title (id)"
    points: float | None = None  # canvas: points possible (default: the exercise's maximum)


@dataclass
class Written:
    files: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def write(self, path: Path, data: str | bytes) -> None:
        write_atomic(path, data)
        self.files.append(path)


def read_results(out: Path, exercise: str | None) -> list[SubmissionResult]:
    """The gradebook's results with the instructor's marks laid over them, as `grade` writes them."""
    if not (out / FILENAME).is_file():
        raise InputError(f"no gradebook here ({FILENAME}); run 'grader grade ... --out {out}' first", out)
    with Gradebook.in_folder(out) as gradebook:
        results = gradebook.all(exercise)
    with MarkStore(out / FILENAME) as store:
        marks = store.load()
    results = [apply_marks(r, marks) for r in results]
    if not results:
        raise InputError(f"no graded submissions{f' of {exercise}' if exercise else ''} in the gradebook", out)
    names = sorted({r.exercise for r in results if r.exercise})
    if exercise is None and len(names) > 1:
        raise InputError(f"the gradebook holds several exercises ({', '.join(names)}); choose one with --exercise",
                         out)
    return results


def export(out: Path, options: ExportOptions) -> Written:
    if options.format not in FORMATS:
        raise InputError(f"unknown export format {options.format!r} (one of {', '.join(FORMATS)})")
    for flag, value, fmt in (("--worksheet", options.worksheet, "moodle"), ("--column", options.column, "canvas"),
                             ("--points", options.points, "canvas")):
        if value is not None and options.format != fmt:
            raise InputError(f"{flag} is for --format {fmt}, not {options.format}")
    results = read_results(out, options.exercise)
    target = out / "exports"
    written = Written()
    if options.format == "csv":
        from .batch import grades_csv

        written.write(target / "grades.csv", grades_csv(results))
    elif options.format == "json":
        ids = {r.exercise for r in results if r.exercise}
        data = batch_export(ids.pop() if len(ids) == 1 else None, results, options.lang)
        written.write(target / "results.json", json.dumps(data, indent=1, ensure_ascii=False))
    elif options.format == "moodle":
        _moodle(results, options, target / "moodle", written)
    elif options.format == "canvas":
        _canvas(results, options, target / "canvas", written)
    else:
        _gradescope(results, options, target / "gradescope", written)
    return written


def _moodle(results: list[SubmissionResult], options: ExportOptions, target: Path, written: Written) -> None:
    from .lms import moodle
    from .lms.common import exercise_title

    if options.folders not in moodle.FOLDER_STYLES:
        raise InputError(f"--folders must be one of {', '.join(moodle.FOLDER_STYLES)}")
    if options.worksheet is not None:
        sheet = moodle.read_worksheet(options.worksheet)
        ids = {r.exercise for r in results if r.exercise}
        title = exercise_title(ids.pop() if len(ids) == 1 else None)
        outcome = moodle.fill_worksheet(sheet, results, title, options.lang)
        written.write(target / options.worksheet.name, outcome.data)
        written.warnings += outcome.warnings
    else:
        written.warnings.append("no --worksheet given: feedback files only (download the grading worksheet "
                                "from the assignment to export grades)")
    data, warnings = moodle.feedback_zip(results, options.lang, options.folders)
    written.write(target / "feedback.zip", data)
    written.warnings += [w for w in warnings if w not in written.warnings]


def _canvas(results: list[SubmissionResult], options: ExportOptions, target: Path, written: Written) -> None:
    from .lms import canvas

    if not options.column:
        raise InputError("--column is required for Canvas: the assignment's column as Canvas exports it, "
                         "'Title (id)'")
    canvas.check_column(options.column)
    maxima = {r.max_score for r in results if r.status == "graded"} or {r.max_score for r in results}
    try:
        points = Decimal(repr(float(options.points))) if options.points is not None else Decimal(repr(max(maxima)))
    except (InvalidOperation, ValueError):
        raise InputError(f"--points {options.points!r} is not a number") from None
    if points <= 0:
        raise InputError("--points must be positive")
    text, warnings = canvas.gradebook_csv(results, options.column, points)
    written.write(target / "gradebook.csv", text)
    data, more = canvas.feedback_zip(results, options.lang)
    written.write(target / "feedback.zip", data)
    written.warnings += warnings + [w for w in more if w not in warnings]


def _gradescope(results: list[SubmissionResult], options: ExportOptions, target: Path, written: Written) -> None:
    from .lms.gradescope import results_json
    from .report import report_name

    for result in results:
        folder = report_name(result.student).removesuffix(".html")
        try:
            data = results_json(result, options.lang)
        except Exception as exc:  # one student's file, never the whole export
            written.warnings.append(f"{result.student}: not exported ({type(exc).__name__}: {exc})")
            continue
        written.write(target / folder / "results.json", json.dumps(data, indent=1, ensure_ascii=False))
