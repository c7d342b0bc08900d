"""The command line: a thin layer over the library. Heavy modules are imported inside commands."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from . import __version__
from .errors import GraderError

LANG = click.Choice(["en", "es"])


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except GraderError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort, SystemExit):
            raise
        except Exception as exc:
            if os.environ.get("GRADER_DEBUG"):
                raise
            click.echo(f"internal error: {type(exc).__name__}: {exc} (set GRADER_DEBUG=1 for the traceback)",
                       err=True)
            ctx.exit(3)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="grader")
def main() -> None:
    """Grade neural-network coursework notebooks: safely, fast, with feedback students can act on."""


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--exercise", "-e", help="Exercise id or folder (overrides the notebook's metadata).")
@click.option("--out", "-o", type=click.Path(path_type=Path), default=Path("out"), show_default=True,
              help="Output folder: reports, results.json, grades.csv, gradebook.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, help="Parallel workers [default: cores].")
@click.option("--roster", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="CSV naming the students (columns: student, file, lms_id, name, email, sis_login_id, section).")
@click.option("--lang", type=LANG, default="en", show_default=True, help="Language of reports and messages.")
@click.option("--accept-weak-isolation", "accept_weak", is_flag=True, envvar="GRADER_ACCEPT_WEAK_ISOLATION",
              help="Grade even where the sandbox can only be \"basic\" (no namespaces): student code could then "
                   "read and change what your user can.")
@click.option("--manual", type=click.Path(path_type=Path), default=None,
              help="Instructor's marks (CSV or YAML) to store in the gradebook and merge into the grades.")
@click.option("--keys", type=click.Path(path_type=Path), default=None,
              help="The keys.csv `grader release --students` wrote: the order each student was shown the options "
                   "of shuffled choice questions in.")
@click.option("--cluster", envvar="GRADER_CLUSTER", default=None,
              help="Grade on Dask workers: a scheduler's address (tcp://host:8786) or local[:N] (N worker processes "
                   "here). Needs the cluster extra: pip install \"grader[cluster]\".")
@click.option("--worker-isolation", type=click.Choice(["full", "userns", "basic"]), default=None,
              help="With --cluster: the weakest isolation a worker may have to be given notebooks "
                   "[default: this machine's].")
def grade(path: Path, exercise: str | None, out: Path, jobs: int | None, lang: str, manual: Path | None,
          roster: Path | None = None, keys: Path | None = None, accept_weak: bool = False,
          cluster: str | None = None, worker_isolation: str | None = None) -> None:
    """Grade every notebook under PATH: a folder (searched recursively), one .ipynb, or an LMS download zip."""
    if cluster:
        worker_isolation = _cluster_ready(cluster, worker_isolation, accept_weak)
    else:
        _require_isolation(accept_weak)
    if manual is None and _unchanged(path, out, exercise, lang, roster, keys):
        return
    from .batch import Options, grade_batch
    from .sandbox.isolation import active_level, weaker_than_full

    note = weaker_than_full(active_level()) if not cluster else None
    if note is not None:
        click.echo(note, err=True)

    progress = _Progress(sys.stdout.isatty())
    outcome = grade_batch(path, Options(roster=roster, out=out, exercise=exercise, jobs=jobs or 0, lang=lang, manual=manual,
                                        keys=keys, cluster=cluster, worker_isolation=worker_isolation),
                          on_result=progress.update, on_start=progress.start,
                          on_warning=lambda text: click.echo(f"warning: {text}", err=True))
    progress.close()
    for notice in outcome.notices:
        click.echo(f"warning: {notice(lang)}", err=True)
    errors = sum(r.status == "error" for r in outcome.results)
    click.echo(f"graded {outcome.graded}, unchanged {outcome.reused}, errors {errors}, "
               f"in {outcome.seconds:.1f} s; reports in {out / 'index.html'}", err=True)


def _require_isolation(accepted: bool) -> None:
    """Untrusted notebooks are graded only where the sandbox holds, unless the risk is accepted."""
    if accepted:
        return
    from .sandbox.isolation import active_level, refusal

    refused = refusal(active_level())
    if refused is not None:
        raise click.UsageError(refused)


def _cluster_ready(address: str, worker_isolation: str | None, accepted: bool) -> str:
    """With --cluster: the address is one Dask takes, Dask is installed, and the level workers
    must have (this machine's by default) is not basic unless that risk is accepted."""
    from .cluster_address import missing, parse

    try:
        parse(address)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    absent = missing()
    if absent is not None:
        raise click.UsageError(absent)
    from .sandbox.isolation import active_level

    level = worker_isolation or active_level()
    if level == "basic" and not accepted:
        raise click.UsageError("with --cluster, workers must isolate notebooks at least as well as this machine "
                               "does, and here that is only \"basic\" (no namespaces). Ask for more with "
                               "--worker-isolation full (or userns), or accept basic workers with "
                               "--accept-weak-isolation.")
    return level


def _unchanged(path: Path, out: Path, exercise: str | None, lang: str, roster: Path | None,
               keys: Path | None = None) -> bool:
    """When nothing changed since the last complete run into OUT, say so from its results (no
    grading, no rendering, no heavy import) and return True."""
    import time

    from .unchanged import recorded, signature

    started = time.perf_counter()
    stored = recorded(out)
    if not stored:
        return False
    last, summary = stored
    if signature(path, exercise, lang, roster, keys=keys) != last:
        return False
    if not sys.stdout.isatty():
        for student, score, max_score, status in summary:
            _line(f"{student}\t{score:g}\t{max_score:g}\t{status}")
    errors = sum(status == "error" for *_, status in summary)
    click.echo(f"graded 0, unchanged {len(summary)}, errors {errors}, in {time.perf_counter() - started:.1f} s; "
               f"nothing changed since the last run; reports in {out / 'index.html'}", err=True)
    return True


def _line(text: str) -> None:
    """One line of parseable output. When its reader has gone (`grader grade … | head`), the
    grading goes on and the rest of the lines go nowhere."""
    try:
        click.echo(text)
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


class _Progress:
    """A progress bar on a terminal; one tab-separated line per submission otherwise."""

    def __init__(self, tty: bool) -> None:
        self.tty = tty
        self._bar = None
        self._task = None

    def start(self, total: int) -> None:
        if not self.tty:
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._bar = Progress(TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                             TextColumn("{task.description}"), transient=True)
        self._bar.start()
        self._task = self._bar.add_task("", total=total)

    def update(self, result: object, fresh: bool) -> None:
        from .results import SubmissionResult

        assert isinstance(result, SubmissionResult)
        if self._bar is not None:
            self._bar.update(self._task, advance=1, description=result.student)
        elif not self.tty:
            _line(f"{result.student}\t{result.score:g}\t{result.max_score:g}\t{result.status}")

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()


@main.command()
@click.argument("notebook", type=click.Path(path_type=Path))
@click.option("--exercise", "-e", help="Exercise id or folder (overrides the notebook's metadata).")
@click.option("--lang", type=LANG, default="en", show_default=True)
def check(notebook: Path, exercise: str | None, lang: str) -> None:
    """Run the public tests on one notebook; exit status 1 if any fails."""
    from .check import run_check

    sys.exit(run_check(notebook, exercise, lang))


@main.command()
@click.argument("exercises", nargs=-1)
@click.option("--cluster", envvar="GRADER_CLUSTER", default=None,
              help="List the workers of this Dask cluster instead (tcp://host:8786, or local[:N]).")
def doctor(exercises: tuple[str, ...], cluster: str | None = None) -> None:
    """Show which protections the sandbox has on this machine, the limits it applies, and which
    modules the exercises (EXERCISES, ids or folders; all bundled ones when none is named) require
    that are not installed; exit status 1 when one is missing. With --cluster, each worker of the
    cluster: its isolation, cores, memory, torch and CUDA (exit status 1 when one isolates less
    than this machine)."""
    if cluster:
        _cluster_ready(cluster, None, True)
        from .cluster_doctor import report as cluster_report

        text, weak = cluster_report(cluster)
        click.echo(text)
        if weak:
            raise SystemExit(1)
        return
    from .library import exercise_dirs, load, load_folder
    from .requirements import requirements_report
    from .sandbox.doctor import report

    click.echo(report())
    loaded = [load(e) for e in exercises] if exercises else [load_folder(p) for p in exercise_dirs()]
    text, missing = requirements_report([(ex.id, ex.requires, ex.path) for ex in loaded])
    click.echo(text)
    if missing:
        raise SystemExit(1)


@main.command("list")
@click.option("--lang", type=LANG, default="en", show_default=True)
def list_(lang: str) -> None:
    """List the bundled exercises."""
    from .library import exercise_dirs, load_folder

    for folder in exercise_dirs():
        ex = load_folder(folder)
        click.echo(f"{ex.id:<16} {ex.max_score:>5g} pts  {ex.title(lang)}")


@main.command()
@click.argument("exercise")
@click.option("--out", "-o", type=click.Path(path_type=Path), default=Path("release"), show_default=True)
@click.option("--students", type=click.Path(path_type=Path), default=None,
              help="Roster CSV (a 'student' column): one notebook per student, choice options shuffled "
                   "for each, the orders recorded in keys.csv.")
@click.option("--lang", type=LANG, default="en", show_default=True, help="Language of generated question cells.")
def release(exercise: str, out: Path, students: Path | None, lang: str) -> None:
    """Write the student notebook (solutions stripped) and its public-test bundle for EXERCISE."""
    from .library import load
    from .release import read_roster
    from .release import release as do_release

    roster = read_roster(students) if students else None
    for path in do_release(load(exercise), out, roster, lang):
        click.echo(str(path))


@main.command()
@click.argument("exercises", nargs=-1)
def validate(exercises: tuple[str, ...]) -> None:
    """Prove each exercise's tests: full marks on the solution and on every right/ variant, zero on
    the blank, every wrong/ variant caught by its intended test. All bundled exercises when none is
    named."""
    from .batch import default_jobs, preload_for, protected_paths
    from .library import exercise_dirs, load, load_folder
    from .requirements import missing_modules
    from .sandbox import Sandbox
    from .validate import validate_exercise

    loaded = [load(e) for e in exercises] if exercises else [load_folder(p) for p in exercise_dirs()]
    failed = 0
    for exercise in loaded:
        missing = missing_modules(exercise.id, exercise.requires, exercise.path)
        if missing is not None:
            click.echo(f"warning: {missing.describe()}", err=True)
    with Sandbox(workers=min(2, default_jobs()), preload=preload_for(loaded, [])) as sandbox:
        for exercise in loaded:
            hide = protected_paths(Path(exercise.path))
            for v in validate_exercise(exercise, sandbox, hide):
                mark = click.style("ok  ", fg="green") if v.ok else click.style("FAIL", fg="red")
                score = f"{v.score:g}/{v.max_score:g}" if v.score is not None and v.max_score is not None else ""
                click.echo(f"{mark} {v.exercise:<16} {v.case:<32} {score}".rstrip())
                for problem in v.problems:
                    click.echo(f"       {problem}")
                for note in v.notes:
                    click.echo(click.style("       note: ", fg="yellow") + note)
                failed += not v.ok
    if failed:
        raise SystemExit(1)


@main.group("import")
def import_() -> None:
    """Bring in an assignment written for nbgrader or otter-grader as an exercise folder."""


def _import(kind: str, source: Path, out: Path, lang: str, timeout: float, force: bool) -> None:
    from .importers.convert import import_assignment

    done = import_assignment(kind, source, out, lang, timeout, force)  # type: ignore[arg-type]
    for line in done.lines:
        click.echo(line)
    for note in done.notes:
        click.echo(click.style("note: ", fg="yellow") + f"not carried over: {note}")
    for warning in done.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"validating {out} …")
    click.get_current_context().invoke(validate, exercises=(str(out),))


def _import_options(fn: object) -> object:
    for option in reversed([
        click.argument("source", type=click.Path(path_type=Path)),
        click.option("--out", "-o", required=True, type=click.Path(path_type=Path),
                     help="The exercise folder to write (a new or empty folder)."),
        click.option("--lang", type=LANG, default="en", show_default=True,
                     help="The language the notebook is written in: the statement is written as statement.LANG.md."),
        click.option("--timeout", type=click.FloatRange(min=1), default=600.0, show_default=True,
                     help="Seconds the instructor's solution may run while its tests are recorded."),
        click.option("--force", is_flag=True, help="Replace what an earlier import wrote in --out."),
    ]):
        fn = option(fn)  # type: ignore[operator]
    return fn


@import_.command("nbgrader")
@_import_options  # type: ignore[arg-type]
def import_nbgrader(source: Path, out: Path, lang: str, timeout: float, force: bool) -> None:
    """An nbgrader SOURCE notebook (the instructor's version, with solutions and hidden tests)."""
    _import("nbgrader", source, out, lang, timeout, force)


@import_.command("otter")
@_import_options  # type: ignore[arg-type]
def import_otter(source: Path, out: Path, lang: str, timeout: float, force: bool) -> None:
    """An otter-grader master notebook (Otter Assign's format v1)."""
    _import("otter", source, out, lang, timeout, force)


@main.command("export")
@click.option("--out", "-o", type=click.Path(path_type=Path), default=Path("out"), show_default=True,
              help="The output folder of 'grader grade' (its gradebook); exports go to OUT/exports/.")
@click.option("--format", "-f", "format_", required=True,
              type=click.Choice(["moodle", "canvas", "gradescope", "csv", "json"]), help="Which LMS file(s) to write.")
@click.option("--worksheet", type=click.Path(path_type=Path, dir_okay=False),
              help="Moodle: the grading worksheet CSV downloaded from the assignment.")
@click.option("--folders", type=click.Choice(["modern", "legacy"]), default="modern", show_default=True,
              help="Moodle: feedback folder names of Moodle >= 4.1 (modern) or 3.1-4.0 (legacy, trailing '_').")
@click.option("--column", help="Canvas: the assignment's gradebook column, 'Title (id)'.")
@click.option("--points", type=click.FloatRange(min=0, min_open=True),
              help="Canvas: the assignment's points possible [default: the exercise's maximum].")
@click.option("--exercise", "-e", help="The exercise to export, when the gradebook holds several.")
@click.option("--lang", type=LANG, default="en", show_default=True, help="Language of feedback.")
def export_(out: Path, format_: str, worksheet: Path | None, folders: str, column: str | None,
            points: float | None, exercise: str | None, lang: str) -> None:
    """Write grades and feedback for an LMS from the gradebook in OUT, without re-grading."""
    from .export import ExportOptions, export

    written = export(out, ExportOptions(format=format_, lang=lang, exercise=exercise, worksheet=worksheet,
                                        folders=folders, column=column, points=points))
    for warning in written.warnings:
        click.echo(f"warning: {warning}", err=True)
    for path in written.files:
        click.echo(str(path))


@main.command()
@click.argument("out", type=click.Path(path_type=Path, file_okay=False))
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="The port to listen on (0: any free one).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to listen on. Any other than this machine's loopback lets others on the network "
                   "reach the server, over plain HTTP.")
@click.option("--exercise", "-e", help="The exercise to mark, when the gradebook holds several.")
def serve(out: Path, port: int, host: str, exercise: str | None) -> None:
    """Mark in the browser: a local web application over the gradebook that 'grade' left in OUT."""
    from .serve import missing_stack
    from .serve import serve as run_server

    missing = missing_stack()
    if missing is not None:
        raise click.UsageError(missing)
    run_server(out, host=host, port=port, exercise=exercise)


@main.command()
@click.argument("exercise")
@click.option("--out", "-o", type=click.Path(path_type=Path, dir_okay=False),
              help="The zip to write [default: EXERCISE-gradescope.zip].")
@click.option("--lang", type=LANG, default="en", show_default=True, help="Language of the feedback students see.")
def gradescope(exercise: str, out: Path | None, lang: str) -> None:
    """Build the Gradescope autograder zip (setup.sh, run_autograder) that grades EXERCISE."""
    from .files import write_atomic
    from .lms.autograder import build

    data, members = build(exercise, lang)
    target = out or Path(f"{Path(exercise).name}-gradescope.zip")
    write_atomic(target, data)
    click.echo(f"{target} ({', '.join(m for m in members if '/' not in m)})")


def run() -> None:
    """The `grader` command. Once a command has finished (its files written, synced and closed),
    the process ends without the interpreter's teardown, which with torch and numpy loaded takes
    about half a second; an unexpected exception still ends the normal way, with its traceback."""
    try:
        main()
    except SystemExit as exc:
        code = exc.code
        if code is not None and not isinstance(code, int):
            print(code, file=sys.stderr)
            code = 1
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except OSError:
                pass  # a reader that went away (`| head`) has all it wanted
        os._exit(code or 0)


if __name__ == "__main__":
    run()
