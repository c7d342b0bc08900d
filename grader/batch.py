"""Grading a class: intake, the sandbox pool, the gradebook, reports and exports, in one pass.

One broken notebook never stops the batch: each submission is graded in its own try-block and
anything unexpected becomes that student's error result (and a line in `grader.log`). Each
result is committed to the gradebook as soon as it is known, and its report is written
atomically; a re-run grades only what changed.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .errors import ExerciseError, InputError
from .manual import MarkStore, apply_marks, check_marks, read_marks, template_rows
from .comparison import Background
from .similarity import Findings, work_of
from .spreadsheet import csv_text
from .unchanged import forget, record, signature
from .untrusted import clean
from .exercise import Exercise
from .files import write_atomic
from .gradebook import Gradebook
from .keys import orders_for, read_keys, released_per_student
from .grading import Submission, error_result, grade_notebook
from .i18n import Text, t
from .intake import intake, refresh_meta
from .library import bundle_dir, exercises_root, folder_fingerprint, load_folder, resolve
from .notebook import StudentNotebook, imported_modules, read_notebook
from .plan import ExpectedCache
from .report import render_index, render_student, report_name
from .results import SubmissionResult, batch_export
from .requirements import declared_requires, environment_module, missing_modules, safe_preload, support_files
from .sandbox import Sandbox, isolation
from .sandbox.magics import neutralise
from .symbolic.service import SymbolicPool

# Modules a worker may import before forking (no threads started at import time); besides these,
# the modules exercises require that pass `grader.requirements.safe_preload`.
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
    keys: Path | None = None  # the release's keys.csv: the order each student was shown choice options in
    cluster: str | None = None  # grade on Dask workers (grader.cluster_client): a scheduler's address, or local[:N]
    worker_isolation: str | None = None  # the weakest isolation a cluster worker may have (default: this machine's)


@dataclass
class BatchOutcome:
    results: list[SubmissionResult]
    graded: int = 0
    reused: int = 0
    seconds: float = 0.0
    level: str = ""
    exercise: str | None = None
    notices: list[Text] = field(default_factory=list)  # what the instructor must see: refused members, ambiguous rows
    similarity: Findings = field(default_factory=Findings)  # groups of similar submissions
    phases: dict[str, float] = field(default_factory=dict)  # seconds spent in each step, for benchmarks
    trace: list[Any] = field(default_factory=list)  # on a cluster: when each notebook went, ran and came back


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


def preload_for(exercises: list[Exercise], notebooks: list[StudentNotebook], *, folders: Sequence[Path] = (),
                avoid: Sequence[Path] = ()) -> tuple[str, ...]:
    """What the warm workers import before forking: the usual heavy modules the notebooks or
    exercises use, and the modules the exercises (loaded, or `folders` not yet loaded) require,
    when that is safe. Nothing is chosen that a file in the current folder or in `avoid` (the
    submissions) could stand in for, nor an exercise's own helper module."""
    requires: list[str] = [m for exercise in exercises for m in exercise.requires]
    helpers: set[str] = set()
    for exercise in exercises:
        helpers |= support_files(exercise.path).modules
    for folder in folders:
        requires += declared_requires(folder / "exercise.py")
        helpers |= support_files(str(folder)).modules
    wanted = {"numpy", *(m.split(".")[0] for m in requires)}
    wanted.update(imported_modules([neutralise(c.source).source for nb in notebooks for c in nb.code_cells]))
    chosen = [name for name in PRELOADABLE if name.split(".")[0] in wanted and environment_module(name, avoid)]
    tops = {name.split(".")[0] for name in chosen}
    rest = [m for m in dict.fromkeys(requires) if m.split(".")[0] not in tops]
    return tuple(chosen) + safe_preload(rest, helpers, avoid)


class _Log:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def write(self, text: str) -> None:
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8", errors="replace") as fh:
                fh.write(time.strftime("%Y-%m-%d %H:%M:%S ") + text.rstrip() + "\n")


@dataclass
class _Entry:
    sub: Submission
    notebook: StudentNotebook | None = None
    folder: Path | None = None  # the exercise's folder
    exercise: Exercise | None = None
    result: SubmissionResult | None = None  # known before grading: unreadable, or unchanged
    early: bool = False  # the result is an error found before grading


def grade_batch(path: Path, options: Options,
                on_result: Callable[[SubmissionResult, bool], None] | None = None,
                on_start: Callable[[int], None] | None = None,
                on_warning: Callable[[str], None] | None = None) -> BatchOutcome:
    """Grade the batch at `path`. `on_warning` hears, before any notebook runs, what the grading
    environment lacks (modules an exercise requires that are not installed)."""
    started = time.perf_counter()
    out = options.out
    log = _Log(out / "grader.log")
    keys = read_keys(options.keys) if options.keys is not None else None  # a bad keys file stops here
    batch_signature = signature(path, options.exercise, options.lang, options.roster, keys=options.keys)
    outcome = BatchOutcome(results=[])

    def notice(problem: Text) -> None:
        log.write(problem.en)
        outcome.notices.append(problem)

    subs = intake(path, workdir=out, roster=options.roster, log=log.write, notice=notice)
    if on_start is not None:
        on_start(len(subs))
    out.mkdir(parents=True, exist_ok=True)
    forget(out)
    mark = time.perf_counter()

    def phase(name: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        outcome.phases[name] = round(outcome.phases.get(name, 0.0) + now - mark, 3)
        mark = now

    entries = _read(subs, options)
    # A grade made under other keys (or none) is not reused: the letters may read differently.
    prints = {f: folder_fingerprint(f) + (f":keys:{keys.digest[:16]}" if keys is not None else "")
              for f in {e.folder for e in entries if e.folder is not None}}
    phase("read")

    with ExitStack() as stack:
        gradebook = stack.enter_context(Gradebook.in_folder(out))
        todo = []
        for i, e in enumerate(entries):
            if e.result is not None:
                continue
            assert e.notebook is not None and e.folder is not None
            stored = gradebook.lookup(e.sub.student, None, e.notebook.content_hash, prints[e.folder])
            if stored is None or stored.environment:  # the environment may have been fixed since
                todo.append(i)
                continue
            e.result = replace(stored.with_identity(e.sub.student, e.sub.file),
                               meta=refresh_meta(stored.meta, e.sub.meta))
            if e.result != stored:  # moved or named anew (roster, LMS): exports read the gradebook
                gradebook.save(e.result, prints[e.folder])
            outcome.reused += 1

        # What takes long to start, started first: the workers import numpy and torch while this
        # process loads the exercises and their references.
        jobs = min(options.jobs or default_jobs(), len(todo))
        folders = sorted({e.folder for e in entries if e.folder is not None})
        pending = sorted({f for i in todo if (f := entries[i].folder) is not None})
        preload = preload_for([], [entries[i].notebook for i in todo], folders=pending,  # type: ignore[misc]
                              avoid=[path if path.is_dir() else path.parent]) if todo else ()
        remote = stack.enter_context(_remote(options, preload, log, on_warning)) if todo and options.cluster else None
        sandbox = stack.enter_context(Sandbox(workers=jobs, preload=preload)) if todo and remote is None else None
        exercises = _load(entries, folders, options)
        unheld = isolation.unheld(sandbox.facts) if sandbox is not None else None
        if unheld is not None:
            log.write(unheld)
            if on_warning is not None:
                on_warning(unheld)
        for exercise in exercises.values():
            missing = missing_modules(exercise.id, exercise.requires, exercise.path)
            if missing is not None:
                log.write(missing.describe())
                if on_warning is not None:
                    on_warning(missing.describe())
        phase("start_and_load")
        # Started once the exercises are loaded, not to compete with that for the processors; it
        # ends well within the grading.
        background = Background([([work_of(e.sub.student, [c.source for c in e.notebook.code_cells],
                                           [(c.tags, c.source, c.answer if c.prompt else c.source)
                                            for c in e.notebook.cells if c.kind == "markdown"])
                                   for e in entries if e.folder == f and e.notebook is not None], f)
                                 for f in folders])
        marks = _store_marks(out, options, exercises)

        undelivered = False  # a student whose outputs could not be written: the batch is not complete

        def deliver(e: _Entry, result: SubmissionResult, store: bool, fingerprint: str) -> SubmissionResult:
            if store:
                gradebook.save(result, fingerprint)
            result = apply_marks(result, marks)
            if options.reports:
                title = e.exercise.title if e.exercise else Text("Notebook", "Cuaderno")
                write_atomic(out / "reports" / report_name(result.student), render_student(result, title, options.lang))
            return result

        def finish(i: int, result: SubmissionResult, fresh: bool) -> None:
            """Store and write one student's outputs. Whatever fails here is that student's
            error, never the batch's: their result becomes an error (stored with no fingerprint,
            so the next run grades them again) and the rest of the class goes on."""
            nonlocal undelivered
            e = entries[i]
            # Unreadable notebooks are recorded too, with no fingerprint: never taken for graded.
            fingerprint = prints[e.folder] if e.folder is not None and not e.early else ""
            try:
                # A result read from the gradebook was cleaned as it was read; a new one is cleaned here.
                e.result = deliver(e, result.cleaned() if fresh or e.early else result, fresh or e.early, fingerprint)
            except Exception as exc:
                undelivered = True
                log.write(f"internal error writing the results of {e.sub.file}:\n{traceback.format_exc()}")
                why = f"{type(exc).__name__}: {clean(str(exc))[:300]}"
                e.result = error_result(e.sub, Text(f"internal grader error while writing the results ({why})",
                                                    f"error interno del corrector al escribir los resultados ({why})"),
                                        e.exercise, result.content_hash, exercise_id=result.exercise)
                try:
                    e.result = deliver(e, e.result, True, "")
                except Exception:
                    log.write(f"the error result of {e.sub.file} could not be written either:\n"
                              f"{traceback.format_exc()}")
            if on_result is not None:
                on_result(e.result, fresh)

        for i, e in enumerate(entries):
            if e.result is not None:
                finish(i, e.result, False)
        phase("reused")

        if remote is not None:
            remote.send_exercises(pending)
            phase("send")
            for i, result in remote.grade([_work(i, entries[i], keys) for i in todo]):
                outcome.graded += 1
                finish(i, result, True)
            outcome.level, outcome.trace = remote.level, remote.trace
            phase("grade")
        if sandbox is not None:
            hide = protected_paths(path.resolve(), out.resolve(), *folders)
            cache = ExpectedCache()
            symbolic = stack.enter_context(SymbolicPool())
            pool = stack.enter_context(ThreadPoolExecutor(jobs))

            def work(i: int) -> SubmissionResult:
                e = entries[i]
                assert e.notebook is not None and e.exercise is not None
                try:
                    orders = orders_for(keys, e.sub.student, e.exercise, released_per_student(e.notebook.metadata))
                    return grade_notebook(e.sub, e.notebook, e.exercise, sandbox, cache=cache, hide=hide,
                                          symbolic=symbolic, orders=orders)
                except Exception as exc:  # a grader fault: recorded, never the batch's end
                    log.write(f"internal error grading {e.sub.path}:\n{traceback.format_exc()}")
                    return error_result(e.sub, Text(f"internal grader error ({type(exc).__name__}: {exc})",
                                                    f"error interno del corrector ({type(exc).__name__}: {exc})"),
                                        e.exercise, e.notebook.content_hash)

            futures = {pool.submit(work, i): i for i in todo}
            for future in as_completed(futures):
                outcome.graded += 1
                finish(futures[future], future.result(), True)
            outcome.level = sandbox.level
            phase("grade")
    phase("close")

    outcome.results = [e.result for e in entries]  # type: ignore[misc]
    outcome.similarity = background.result()
    if background.error:
        log.write(f"similarity could not be computed:\n{background.error}")
    phase("similarity")
    ids = {r.exercise for r in outcome.results if r.exercise}
    outcome.exercise = ids.pop() if len(ids) == 1 else None
    write_outputs(out, outcome, options.lang, {ex.id: ex for ex in exercises.values()})
    phase("outputs")
    # A batch that met environment problems is not answered from its outputs next time: the
    # environment may be fixed by then, and those notebooks are graded again.
    if options.manual is None and not undelivered and not any(r.environment for r in outcome.results):
        summary = [[r.student, r.score, r.max_score, r.status] for r in outcome.results]
        record(out, batch_signature, summary)  # complete: an identical re-run may answer from these outputs
    outcome.seconds = time.perf_counter() - started
    return outcome


def _remote(options: Options, preload: tuple[str, ...], log: _Log, on_warning: Callable[[str], None] | None) -> Any:
    """The connection to the cluster (Dask is imported only here, only when asked for)."""
    from .cluster_client import Remote

    return Remote(options.cluster or "", preload, options.worker_isolation or isolation.active_level(), log.write,
                  on_warning)


def _work(i: int, e: _Entry, keys: Any) -> Any:
    from .cluster_client import Work

    assert e.notebook is not None and e.exercise is not None and e.folder is not None
    orders = orders_for(keys, e.sub.student, e.exercise, released_per_student(e.notebook.metadata))
    return Work(i, e.sub, e.notebook, e.exercise, e.folder, orders)


def _read(subs: list[Submission], options: Options) -> list[_Entry]:
    """Every notebook read and its exercise's folder found: problems here are that student's result."""
    # --exercise may name any folder (an unknown one is the instructor's error: it stops here);
    # a notebook's metadata only an exercise of the library (a path there would make us run a
    # student's exercise.py).
    forced = resolve(options.exercise) if options.exercise else None
    entries = []
    for sub in subs:
        e = _Entry(sub)
        entries.append(e)
        try:
            e.notebook = read_notebook(sub.path)
        except InputError as exc:
            e.result, e.early = error_result(sub, Text.of(str(exc))), True
            continue
        ref = options.exercise or e.notebook.exercise_id
        if ref is None:
            e.result, e.early = error_result(sub, t("submission.unknown_exercise"),
                                             content_hash=e.notebook.content_hash), True
            continue
        try:
            e.folder = forced or _bundled(ref)
        except ExerciseError as exc:
            e.result, e.early = error_result(sub, Text.of(str(exc)), content_hash=e.notebook.content_hash), True
    if forced is not None:
        for e in entries:
            e.folder = forced  # an unreadable file still belongs to the exercise being graded
    return entries


def _load(entries: list[_Entry], folders: list[Path], options: Options) -> dict[Path, Exercise]:
    exercises = {folder: load_folder(folder) for folder in folders}
    only = next(iter(exercises.values())) if len(exercises) == 1 else None
    for e in entries:
        e.exercise = exercises.get(e.folder) if e.folder is not None else None
        ex = e.exercise or only
        if e.early and e.result is not None and e.result.exercise is None and ex is not None:
            # A file that could not be read still belongs to the batch's exercise: score 0 of its max.
            e.result = replace(e.result, exercise=ex.id, exercise_version=ex.version, max_score=ex.max_score)
    return exercises


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
    return csv_text([["student", "score", "max_score", "status", "file"]] +
                    [[r.student, f"{r.score:g}", f"{r.max_score:g}", r.status, r.file] for r in results])


def _exported(results: list[SubmissionResult], lang: str) -> tuple[list[SubmissionResult], list[dict[str, Any]]]:
    """Each result's row of results.json, made inside that student's own error handling: a row
    that cannot be made becomes that student's error, never the end of the batch's outputs."""
    kept, rows = [], []
    for r in results:
        try:
            rows.append(r.export(lang))
        except Exception as exc:
            why = f"{type(exc).__name__}: {clean(str(exc))[:300]}"
            r = replace(r, status="error", tasks=(), cell_issues=(), stdout="", meta={},
                        error=Text(f"internal grader error while writing the results ({why})",
                                   f"error interno del corrector al escribir los resultados ({why})"))
            rows.append(r.export(lang))
        kept.append(r)
    return kept, rows


def write_outputs(out: Path, outcome: BatchOutcome, lang: str, exercises: dict[str, Exercise]) -> None:
    results, rows = _exported(outcome.results, lang)
    extra = {"similarity": outcome.similarity.to_json()}
    data = batch_export(outcome.exercise, [], lang, extra)
    data["submissions"] = rows
    if outcome.notices:
        data["notices"] = [n(lang) for n in outcome.notices]
    write_atomic(out / "results.json", json.dumps(data, indent=1, ensure_ascii=False))
    if any(test.status == "pending" for r in results for _, test in r.tests()):
        write_atomic(out / "marks_template.csv", template_rows(results))
    write_atomic(out / "grades.csv", grades_csv(results))
    titles = {ex.id: ex.title(lang) for ex in exercises.values()}
    title = titles.get(outcome.exercise or "", "") or ", ".join(sorted(titles.values())) or "grader"
    links = {r.student: f"reports/{report_name(r.student)}" for r in results}
    write_atomic(out / "index.html", render_index(results, title, lang, links, extra["similarity"],
                                                  notices=[n(lang) for n in outcome.notices]))
