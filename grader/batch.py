"""Grading a class: intake, the sandbox pool, the gradebook, reports and exports, in one pass.

One broken notebook never stops the batch: each submission is graded in its own try-block and
anything unexpected becomes that student's error result (and a line in `grader.log`). Each
result is committed to the gradebook as soon as it is known, and its report is written
atomically; a re-run grades only what changed.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import os
import re
import sys
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path

from .errors import ExerciseError, GraderError, InputError
from .manual import MarkStore, apply_marks, check_marks, read_marks, template_rows
from .release import student_notebook
from .similarity import Pair, Work, find_similar
from .unchanged import forget, record, signature
from .exercise import Exercise
from .files import write_atomic
from .gradebook import Gradebook
from .grading import Submission, error_result, grade_notebook
from .i18n import Text, t
from .intake import intake, refresh_meta
from .library import bundle_dir, exercises_root, fingerprint, load, load_folder
from .notebook import StudentNotebook, imported_modules, read_notebook
from .plan import ExpectedCache
from .report import render_index, render_student, report_name
from .results import SubmissionResult, batch_export
from .sandbox import Sandbox
from .sandbox.magics import neutralise
from .symbolic.service import SymbolicPool

# Modules a worker may import before forking (no threads started at import time).
PRELOADABLE = ("numpy", "torch", "sympy", "scipy", "matplotlib.pyplot", "pandas")


@dataclass(frozen=True)
class Options:
    out: Path
    exercise: str | None = None
    jobs: int = 0  # 0: one worker per core
    lang: str = "en"
    reports: bool = True
    roster: Path | None = None  # a CSV naming the students (grader.lms.roster)
    manual: Path | None = None  # instructors' marks (CSV or YAML) to store and merge


@dataclass
class BatchOutcome:
    results: list[SubmissionResult]
    graded: int = 0
    reused: int = 0
    seconds: float = 0.0
    level: str = ""
    exercise: str | None = None
    notes: list[str] = field(default_factory=list)
    similar_pairs: list[Pair] = field(default_factory=list)


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def protected_paths(*extra: Path) -> tuple[str, ...]:
    """What a child must never see: our code, the exercises, the inputs and outputs, home."""
    paths = {Path(__file__).resolve().parent, exercises_root().resolve(), bundle_dir("templates").resolve(),
             Path.home().resolve()}
    spec = importlib.util.find_spec("reference")
    if spec is not None and spec.submodule_search_locations:
        paths.update(Path(p).resolve() for p in spec.submodule_search_locations)
    paths.update(p.resolve() for p in extra)
    return tuple(sorted(str(p) for p in paths))


def preload_for(exercises: list[Exercise], notebooks: list[StudentNotebook]) -> tuple[str, ...]:
    wanted = {"numpy"}
    for exercise in exercises:
        wanted.update(exercise.requires)
    wanted.update(imported_modules([neutralise(c.source).source for nb in notebooks for c in nb.code_cells]))
    chosen = []
    for name in PRELOADABLE:
        if name.split(".")[0] in wanted and importlib.util.find_spec(name.split(".")[0]) is not None:
            chosen.append(name)
    return tuple(chosen)


class _Log:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def write(self, text: str) -> None:
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(time.strftime("%Y-%m-%d %H:%M:%S ") + text.rstrip() + "\n")


def grade_batch(path: Path, options: Options,
                on_result: Callable[[SubmissionResult, bool], None] | None = None,
                on_start: Callable[[int], None] | None = None) -> BatchOutcome:
    started = time.perf_counter()
    out = options.out
    log = _Log(out / "grader.log")
    subs = intake(path, workdir=out, roster=options.roster, log=log.write)
    if on_start is not None:
        on_start(len(subs))
    out.mkdir(parents=True, exist_ok=True)
    batch_signature = signature(subs, options.exercise, options.lang, options.roster)
    forget(out)
    outcome = BatchOutcome(results=[])

    # Read every notebook and resolve its exercise first: errors here are that student's result.
    prepared: list[tuple[Submission, StudentNotebook | None, Exercise | None, SubmissionResult | None]] = []
    exercises: dict[str, Exercise] = {}
    for sub in subs:
        try:
            notebook = read_notebook(sub.path)
        except InputError as exc:
            prepared.append((sub, None, None, error_result(sub, Text.of(str(exc)))))
            continue
        ref = options.exercise or notebook.exercise_id
        if ref is None:
            prepared.append((sub, notebook, None, error_result(sub, t("submission.unknown_exercise"),
                                                               content_hash=notebook.content_hash)))
            continue
        if ref not in exercises:
            try:
                # --exercise may name any folder; a notebook's metadata only an exercise of the
                # library (a path there would make us run a student's exercise.py).
                exercises[ref] = load(ref) if options.exercise else load_folder(_bundled(ref))
            except ExerciseError as exc:
                if options.exercise:
                    raise  # an unknown exercise is the instructor's error: stop here
                prepared.append((sub, notebook, None, error_result(sub, Text.of(str(exc)),
                                                                   content_hash=notebook.content_hash)))
                continue
        prepared.append((sub, notebook, exercises[ref], None))

    if len(exercises) == 1 or options.exercise:
        # A file that could not be read still belongs to the batch's exercise: score 0 of its max.
        only = next(iter(exercises.values()), None) if not options.exercise else exercises.get(options.exercise)
        if only is None and options.exercise:
            only = exercises[options.exercise] = load(options.exercise)
        prepared = [(sub, nb, ex, replace(early, exercise=only.id, exercise_version=only.version,
                                          max_score=only.max_score) if early is not None and early.exercise is None
                     else early) for sub, nb, ex, early in prepared]

    marks = _store_marks(out, options, exercises)

    results: dict[int, SubmissionResult] = {}
    todo: list[int] = []
    with Gradebook.in_folder(out) as gradebook:
        prints = {ref: fingerprint(ex) for ref, ex in exercises.items()}
        for i, (sub, notebook, exercise, early) in enumerate(prepared):
            if early is not None:
                results[i] = early
                continue
            assert notebook is not None and exercise is not None
            stored = gradebook.lookup(sub.student, exercise.id, notebook.content_hash,
                                      prints[options.exercise or notebook.exercise_id or ""])
            if stored is not None:
                results[i] = replace(stored.with_identity(sub.student, str(sub.path)),
                                     meta=refresh_meta(stored.meta, sub.meta))
                if results[i] != stored:  # moved or named anew (roster, LMS): exports read the gradebook
                    gradebook.save(results[i], prints[options.exercise or notebook.exercise_id or ""])
                outcome.reused += 1
            else:
                todo.append(i)

        def finish(i: int, result: SubmissionResult, fresh: bool) -> None:
            exercise = prepared[i][2]
            if fresh:
                gradebook.save(result, prints[_ref(options, prepared[i][1])] if exercise else "")
            result = results[i] = apply_marks(result, marks)
            if options.reports:
                title = exercise.title if exercise else Text("Notebook", "Cuaderno")
                write_atomic(out / "reports" / report_name(result.student), render_student(result, title, options.lang))
            if on_result is not None:
                on_result(result, fresh)

        for i in sorted(results):
            early = prepared[i][3] is not None
            if early:
                gradebook.save(results[i], "")  # unreadable notebooks are recorded too
            finish(i, results[i], False)

        if todo:
            jobs = min(options.jobs or default_jobs(), len(todo))
            hide = protected_paths(path.resolve(), out.resolve(), *(Path(ex.path) for ex in exercises.values()))
            preload = preload_for(list(exercises.values()), [prepared[i][1] for i in todo])  # type: ignore[misc]
            cache = ExpectedCache()
            with Sandbox(workers=jobs, preload=preload) as sandbox, SymbolicPool() as symbolic, \
                    ThreadPoolExecutor(jobs) as pool:
                def work(i: int) -> SubmissionResult:
                    sub, notebook, exercise, _ = prepared[i]
                    assert notebook is not None and exercise is not None
                    try:
                        return grade_notebook(sub, notebook, exercise, sandbox, cache=cache, hide=hide,
                                              symbolic=symbolic)
                    except Exception as exc:  # a grader fault: recorded, never the batch's end
                        log.write(f"internal error grading {sub.path}:\n{traceback.format_exc()}")
                        return error_result(sub, Text(f"internal grader error ({type(exc).__name__}: {exc})",
                                                      f"error interno del corrector ({type(exc).__name__}: {exc})"),
                                            exercise, notebook.content_hash)

                futures = {pool.submit(work, i): i for i in todo}
                for future in as_completed(futures):
                    i = futures[future]
                    results[i] = future.result()
                    outcome.graded += 1
                    finish(i, results[i], True)
                outcome.level = sandbox.level

    outcome.results = [results[i] for i in range(len(prepared))]
    outcome.similar_pairs = similar_work(prepared, exercises)
    ids = {r.exercise for r in outcome.results if r.exercise}
    outcome.exercise = ids.pop() if len(ids) == 1 else None
    write_outputs(out, outcome, options.lang, exercises)
    if options.manual is None:
        record(out, batch_signature)  # complete: an identical re-run may answer from these outputs
    outcome.seconds = time.perf_counter() - started
    return outcome


def _store_marks(out: Path, options: Options, exercises: dict[str, Exercise]
                 ) -> dict[tuple[str, str], dict[tuple[str, str], tuple[float, str]]]:
    """Store the instructor's marks given with --manual (checked first), then load all stored marks."""
    with MarkStore(out / "gradebook.sqlite") as store:
        if options.manual is not None:
            if len(exercises) != 1:
                raise InputError("marks can be merged into a batch of exactly one exercise", options.manual)
            exercise = next(iter(exercises.values()))
            new = read_marks(options.manual)
            check_marks(new, exercise, options.manual)
            store.store(exercise.id, new, str(options.manual))
        return store.load()


def similar_work(prepared: list[tuple[Submission, StudentNotebook | None, Exercise | None, SubmissionResult | None]],
                 exercises: dict[str, Exercise]) -> list[Pair]:
    """Flag near-duplicate code and prose within each exercise of the batch (never a grade change)."""
    pairs: list[Pair] = []
    for exercise in exercises.values():
        works = []
        for sub, notebook, ex, _ in prepared:
            if notebook is None or ex is None or ex.id != exercise.id:
                continue
            code = "\n\n".join(neutralise(c.source).source for c in notebook.code_cells)
            texts = tuple(((c.tags[0] if c.tags else f"cell {c.index + 1}"), c.answer if c.prompt else c.source)
                          for c in notebook.cells if c.kind == "markdown" and c.source.strip())
            works.append(Work(sub.student, code, texts))
        if len(works) < 1:
            continue
        try:
            template = student_notebook(exercise)
        except GraderError:
            template = {"cells": []}
        template_code = "\n\n".join(_cell_text(c) for c in template["cells"] if c.get("cell_type") == "code")
        template_texts = tuple(_cell_text(c) for c in template["cells"] if c.get("cell_type") == "markdown")
        pairs += find_similar(works, template_code, template_texts)
    return pairs


def _cell_text(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _bundled(ref: str) -> Path:
    """The library folder of the exercise a notebook's metadata names."""
    folder = exercises_root() / ref
    if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,63}", ref) or not (folder / "exercise.py").is_file():
        raise ExerciseError(f"the notebook names exercise {ref[:80]!r}, which is not in the library "
                            "(grade it with --exercise)")
    return folder


def _ref(options: Options, notebook: StudentNotebook | None) -> str:
    return options.exercise or (notebook.exercise_id if notebook else None) or ""


def grades_csv(results: list[SubmissionResult]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["student", "score", "max_score", "status", "file"])
    for r in results:
        writer.writerow([r.student, f"{r.score:g}", f"{r.max_score:g}", r.status, r.file])
    return buf.getvalue()


def write_outputs(out: Path, outcome: BatchOutcome, lang: str, exercises: dict[str, Exercise]) -> None:
    results = outcome.results
    extra = {"similar_pairs": [p.to_json() for p in outcome.similar_pairs]}
    write_atomic(out / "results.json", json.dumps(batch_export(outcome.exercise, results, lang, extra), indent=1,
                                                  ensure_ascii=False))
    if any(test.status == "pending" for r in results for _, test in r.tests()):
        write_atomic(out / "marks_template.csv", template_rows(results))
    write_atomic(out / "grades.csv", grades_csv(results))
    titles = {ex.id: ex.title(lang) for ex in exercises.values()}
    title = titles.get(outcome.exercise or "", "") or ", ".join(sorted(titles.values())) or "grader"
    links = {r.student: f"reports/{report_name(r.student)}" for r in results}
    write_atomic(out / "index.html", render_index(results, title, lang, links, extra["similar_pairs"]))
