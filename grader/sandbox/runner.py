"""The grading process's side of the sandbox: a pool of warm workers and the re-run logic.

`Sandbox.execute(job)` returns an `Execution`: what happened to every cell and every probe.
When a child dies or is killed part-way (an infinite loop in C code, `os._exit`, a crash), the
cell or probe it died in is recorded with the reason and the job is run again without it, so
the rest of the notebook is still graded. Everything the child sent is decoded here with the
pickle-free codec; nothing is evaluated.
"""

from __future__ import annotations

import os
import queue
import select
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from . import codec
from .limits import Limits
from .protocol import Frame, ProtocolError, read_frame, write_frame

CellStatus = Literal["ok", "error", "timeout", "crashed", "skipped", "not_run"]
ProbeStatus = Literal["ok", "error", "timeout", "crashed", "missing", "not_callable", "unreadable", "not_run"]

MAX_ATTEMPTS = 4
RERUN_BUDGET = 2.0  # all attempts together stop re-running after this many notebook budgets
DEFAULT_PRELOAD = ("numpy", "torch", "sympy")


@dataclass(frozen=True)
class Probe:
    """One question put to the student's code, answered with plain data.

    kind "call": call `name(*args, **kwargs)`; "variable": read `name`; "script": run trusted
    `source` (which defines `probe(ns, *args, **kwargs)`) against the student's namespace `ns`.
    `forbid` lists dotted library functions whose use during this probe is recorded.
    """

    id: str
    kind: Literal["call", "variable", "script"]
    name: str = ""
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    source: str | None = None
    forbid: tuple[str, ...] = ()
    timeout: float | None = None
    capture: bool = False  # keep what the code prints during this probe (ProbeRun.printed)
    # Its inputs are the student's to know already (a public test's, which the released checks
    # hold; a picture's grid): it may reach the child before the probes ahead of it end. Any other
    # probe's inputs reach the child only when every probe before it has ended.
    public: bool = False


@dataclass(frozen=True)
class Job:
    cells: tuple[tuple[int, str], ...]  # (cell index in the notebook, Python source)
    probes: tuple[Probe, ...] = ()
    seed: int = 0
    limits: Limits = Limits()
    hide: tuple[str, ...] = ()
    files: str | None = None  # a folder whose entries appear, read-only, in the working directory
    compat: tuple[str, ...] = ()  # compatibility shims applied in the child (e.g. "numpy1")


@dataclass(frozen=True)
class ErrorInfo:
    type: str
    message: str
    traceback: str


@dataclass(frozen=True)
class CellRun:
    index: int
    status: CellStatus
    seconds: float = 0.0
    error: ErrorInfo | None = None
    reason: str = ""  # why a cell crashed or was skipped (killed, process ended, …)


@dataclass(frozen=True)
class ProbeRun:
    id: str
    status: ProbeStatus
    value: Any = None
    seconds: float = 0.0
    error: ErrorInfo | None = None
    reason: str = ""
    forbidden_used: tuple[str, ...] = ()
    printed: str = ""  # what the code printed during the probe, when the probe asked to capture it


@dataclass(frozen=True)
class Output:
    text: str
    bytes: int
    truncated: bool


@dataclass(frozen=True)
class Execution:
    cells: dict[int, CellRun]
    probes: dict[str, ProbeRun]
    stdout: Output
    stderr: Output
    attempts: int
    wall: float  # seconds across attempts, fork to reap
    student_seconds: float  # time inside the student's cells and probes (last attempt)
    level: str
    notes: tuple[str, ...] = ()
    tree_budget: int | None = None  # bytes the notebook's whole process tree could use (None: not held)

    def first_error(self) -> CellRun | None:
        for index in sorted(self.cells):
            if self.cells[index].status in ("error", "timeout", "crashed"):
                return self.cells[index]
        return None


def clean_text(value: Any, limit: int) -> str:
    """A string from the child made safe to store and print: capped, and valid UTF-8 (a lone
    surrogate in a student's exception message must not break the writing of results)."""
    text = value if isinstance(value, str) else str(value)
    text = text[:limit]
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


def _error(data: Any) -> ErrorInfo | None:
    if not isinstance(data, dict):
        return None
    return ErrorInfo(clean_text(data.get("type", ""), 100), clean_text(data.get("message", ""), 2000),
                     clean_text(data.get("traceback", ""), 10000))


CHILD_EVENTS = frozenset({"ready", "setup_failed", "cell_start", "cell_end", "cells_done", "probe_start",
                          "probe_end", "done"})


def _events(job: Job, frame: Frame) -> list[tuple[dict[str, Any], list[bytes]]]:
    """The child's events with their blobs, keeping only well-formed ones.

    The child's code is the student's: it can write frames of its own on the result pipe. Any
    event that names a cell or probe the job does not have, or has fields of the wrong type,
    is dropped here, so nothing later has to trust its shape.
    """
    cells = {index for index, _ in job.cells}
    probes = {probe.id for probe in job.probes}
    out = []
    position = 0
    raw = frame.header.get("events", [])
    for event in raw if isinstance(raw, list) else []:
        if not isinstance(event, dict):
            continue
        sizes = event.get("blobs", [])
        count = len(sizes) if isinstance(sizes, list) else 0
        blobs = frame.blobs[position:position + count]
        position += count
        name = event.get("event")
        if name not in CHILD_EVENTS:
            continue
        if name in ("cell_start", "cell_end"):
            index = event.get("index")
            if type(index) is not int or index not in cells:
                continue
        if name in ("probe_start", "probe_end"):
            ident = event.get("id")
            if not isinstance(ident, str) or ident not in probes:
                continue
        if name in ("cell_end", "probe_end"):
            seconds = event.get("seconds", 0.0)
            if type(seconds) not in (int, float) or not 0 <= seconds < 1e6:
                event = dict(event, seconds=0.0)
            if not isinstance(event.get("status"), str):
                continue
        out.append((event, blobs))
    return out


def _setup_frame(job: Job) -> dict[str, Any]:
    """What the worker's next child depends on, sent ahead of the job (nothing of the student)."""
    return {"cmd": "setup", "setup": {"hide": list(job.hide), "tmpfs_bytes": job.limits.tmpfs_bytes,
                                      "files": job.files}}


def _job_frame(job: Job, skip_cells: set[int], skip_probes: set[str]) -> tuple[dict[str, Any], list[bytes]]:
    blobs: list[bytes] = []
    probes = []
    for probe in job.probes:
        args_tree, args_blobs = codec.encode(tuple(probe.args))
        kwargs_tree, kwargs_blobs = codec.encode(dict(probe.kwargs))
        args_tree = codec.shift(args_tree, len(blobs))
        blobs += args_blobs
        kwargs_tree = codec.shift(kwargs_tree, len(blobs))
        blobs += kwargs_blobs
        probes.append({"id": probe.id, "kind": probe.kind, "name": probe.name, "args": args_tree,
                       "kwargs": kwargs_tree, "source": probe.source, "forbid": list(probe.forbid),
                       "timeout": probe.timeout, "capture": probe.capture, "public": probe.public,
                       "skip": probe.id in skip_probes})
    header = {
        "cmd": "run",
        "cells": [{"index": i, "source": src, "skip": i in skip_cells} for i, src in job.cells],
        "probes": probes,
        "seed": job.seed,
        "limits": job.limits.to_json(),
        "compat": list(job.compat),
    }
    return header, blobs


WORKER_ENVIRONMENT = ("LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "TZ", "PYTHONPATH", "PYTHONHOME", "LD_LIBRARY_PATH",
                      "CUDA_VISIBLE_DEVICES", "CUDA_HOME", "CUDA_PATH", "NVIDIA_VISIBLE_DEVICES", "GRADER_DEBUG")


def worker_environment(slot: int, isolation: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in WORKER_ENVIRONMENT}
    env.update(PATH="/usr/local/bin:/usr/bin:/bin", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1", GRADER_WORKER_SLOT=str(slot), PYTHONDONTWRITEBYTECODE="1")
    level = isolation or os.environ.get("GRADER_ISOLATION")
    if level:
        env["GRADER_ISOLATION"] = level
    return env


class WorkerDied(Exception):
    """The worker process ended or broke its protocol (it is restarted)."""


class _Worker:
    """One worker as the grading process sees it: a pipe for jobs, a pipe for results.

    Started as a process of its own, it may be asked to fork `siblings` more workers once its
    imports are done (`siblings` holds them); a sibling is not this process's child, so it is
    watched through a pidfd.
    """

    def __init__(self, slot: int, preload: tuple[str, ...], isolation: str | None, siblings: int = 0) -> None:
        env = worker_environment(slot, isolation)
        pipes = [(os.pipe(), os.pipe()) for _ in range(siblings)]  # ((job r, job w), (result r, result w))
        theirs = [fd for (job_r, _), (_, result_w) in pipes for fd in (job_r, result_w)]
        try:
            self.proc: subprocess.Popen[bytes] | None = subprocess.Popen(
                # -P: the current folder (a student's, perhaps) is not on the worker's import path.
                [sys.executable, "-P", "-m", "grader.sandbox.worker", *preload,
                 *(f"--sibling={job_r}:{result_w}" for (job_r, _), (_, result_w) in pipes)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, pass_fds=theirs, cwd="/",
                stderr=None if os.environ.get("GRADER_DEBUG") else subprocess.DEVNULL)
        finally:
            for fd in theirs:
                os.close(fd)
        self.job_fd = self.proc.stdin.fileno()  # type: ignore[union-attr]
        self.result_fd = self.proc.stdout.fileno()  # type: ignore[union-attr]
        self.pidfd: int | None = None
        self.ready: dict[str, Any] | None = None
        self.sent_setup: dict[str, Any] | None = None
        self.siblings = [_Worker._sibling(job_w, result_r) for (_, job_w), (result_r, _) in pipes]

    @classmethod
    def _sibling(cls, job_fd: int, result_fd: int) -> _Worker:
        worker = cls.__new__(cls)
        worker.proc, worker.job_fd, worker.result_fd = None, job_fd, result_fd
        worker.pidfd, worker.ready, worker.siblings, worker.sent_setup = None, None, [], None
        return worker

    def _wait_ready(self) -> dict[str, Any]:
        if self.ready is None:
            try:
                self.ready = read_frame(self.result_fd).header
            except (EOFError, ProtocolError, OSError) as exc:
                raise WorkerDied(f"worker failed to start: {exc}") from None
            if self.proc is None and isinstance(self.ready.get("pid"), int):
                try:
                    self.pidfd = os.pidfd_open(self.ready["pid"])
                except OSError:
                    self.pidfd = None
        return self.ready

    def run(self, setup: dict[str, Any], header: dict[str, Any], blobs: list[bytes]) -> Frame:
        self._wait_ready()
        try:
            if setup != self.sent_setup:
                write_frame(self.job_fd, setup)
            write_frame(self.job_fd, header, blobs)
            result = read_frame(self.result_fd)
            # The next job's child can isolate itself now, while this result is judged.
            self.sent_setup = None
            write_frame(self.job_fd, setup)
            self.sent_setup = setup
            return result
        except (EOFError, ProtocolError, OSError, BrokenPipeError) as exc:
            raise WorkerDied(str(exc)) from None

    def stop(self) -> None:
        """Tell the worker to finish (it ends when its job pipe closes)."""
        try:
            if self.proc is not None:
                self.proc.stdin.close()  # type: ignore[union-attr]
            elif self.job_fd >= 0:
                os.close(self.job_fd)
        except OSError:
            pass
        self.job_fd = -1

    def close(self) -> None:
        self.stop()
        if self.proc is not None:
            try:
                self.proc.wait(timeout=2)
            except Exception:
                self.proc.kill()
                self.proc.wait()
            return
        # A sibling has ended when its end of the result pipe is closed.
        ended = False
        try:
            while not ended and select.select([self.result_fd], [], [], 2.0)[0]:
                ended = not os.read(self.result_fd, 1 << 16)
        except OSError:
            ended = True
        if not ended and self.pidfd is not None:
            try:
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
            except OSError:
                pass
        for fd in (self.result_fd, self.pidfd):
            if fd is not None and fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.result_fd, self.pidfd = -1, None


class Sandbox:
    """A pool of warm workers; `execute` is safe to call from several threads at once."""

    def __init__(self, workers: int = 1, preload: tuple[str, ...] = DEFAULT_PRELOAD,
                 isolation: str | None = None) -> None:
        self.preload = preload
        self.isolation = isolation
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: list[_Worker] = []
        self._lock = threading.Lock()
        first = _Worker(0, preload, isolation, siblings=max(1, workers) - 1)
        for worker in (first, *first.siblings):
            self._all.append(worker)
            self._idle.put(worker)

    @property
    def level(self) -> str:
        return str(self.facts.get("level", "basic"))

    @property
    def facts(self) -> dict[str, Any]:
        """What a worker found when it started: its isolation level, whether its control group
        (`cgroup`), OOM protection (`oom_protected`) and seccomp filter (`seccomp`) are in place."""
        worker = self._idle.get()
        try:
            return dict(worker._wait_ready())
        finally:
            self._idle.put(worker)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            for worker in self._all:  # every worker is told first, so they all wind down together
                worker.stop()
            for worker in self._all:
                worker.close()
            self._all.clear()

    def _run_once(self, setup: dict[str, Any], header: dict[str, Any], blobs: list[bytes]) -> Frame:
        worker = self._idle.get()
        try:
            return worker.run(setup, header, blobs)
        except WorkerDied:
            # A fresh worker takes the slot; the caller decides whether to retry the job.
            slot = self._all.index(worker) if worker in self._all else 0
            worker.close()
            replacement = _Worker(slot, self.preload, self.isolation)
            with self._lock:
                if worker in self._all:
                    self._all[self._all.index(worker)] = replacement
            worker = replacement
            raise
        finally:
            self._idle.put(worker)

    def execute(self, job: Job) -> Execution:
        skip_cells: dict[int, CellRun] = {}
        skip_probes: dict[str, ProbeRun] = {}
        notes: list[str] = []
        wall = 0.0
        worker_deaths = 0
        attempt = 0
        while True:
            attempt += 1
            header, blobs = _job_frame(job, set(skip_cells), set(skip_probes))
            try:
                frame = self._run_once(_setup_frame(job), header, blobs)
            except WorkerDied as exc:
                worker_deaths += 1
                if worker_deaths < 2:
                    continue
                notes.append(f"the grading worker stopped twice while running this notebook ({exc})")
                return _abandoned(job, skip_cells, skip_probes, attempt, wall, notes)
            if _never_started(frame):
                # The child ended before it could start the notebook (no student code had run):
                # the sandbox's fault, not the student's. Once more, with a fresh child.
                worker_deaths += 1
                if worker_deaths < 2:
                    continue
                if not any(isinstance(e, dict) and e.get("event") == "setup_failed"
                           for e in frame.header.get("events", [])):
                    notes.append("the sandbox's process ended twice before the notebook could start "
                                 f"({_reason(frame.header.get('exit', {}))})")
            wall += float(frame.header.get("wall", 0.0))
            result = _collect(job, frame, skip_cells, skip_probes, attempt, wall, notes)
            culprit = _culprit(job, frame)
            if culprit is None or attempt >= MAX_ATTEMPTS:
                return result
            kind, ident, reason = culprit
            # Re-runs re-execute every cell: they get the notebook's budget once more, not forever.
            if reason == "notebook_timeout" or wall >= RERUN_BUDGET * job.limits.notebook_seconds:
                return result
            if kind == "cell":
                skip_cells[int(ident)] = CellRun(int(ident), "timeout" if "timeout" in reason else "crashed",
                                                 reason=reason)
            elif kind == "probe":
                skip_probes[str(ident)] = ProbeRun(str(ident), "timeout" if "timeout" in reason else "crashed",
                                                   reason=reason)
                # A function that took the process down is not called again with the next inputs:
                # each call would cost a kill and a re-run, and the other functions must be graded.
                for later in _later_calls(job.probes, str(ident)):
                    skip_probes.setdefault(later, ProbeRun(later, "not_run", reason=f"after:{ident}"))
            else:
                return result


def _later_calls(probes: tuple[Probe, ...], ident: str) -> list[str]:
    """Probes after `ident` that call the same function."""
    ids = [p.id for p in probes]
    if ident not in ids:
        return []
    culprit = probes[ids.index(ident)]
    if culprit.kind != "call":
        return []
    return [p.id for p in probes[ids.index(ident) + 1:] if p.kind == "call" and p.name == culprit.name]


def _never_started(frame: Frame) -> bool:
    """Whether the child ended before the notebook could start (it never said it was ready):
    nothing of the student's had run, so the run is the sandbox's to repeat."""
    events = frame.header.get("events")
    return isinstance(events, list) and not any(isinstance(e, dict) and e.get("event") == "ready" for e in events)


def _culprit(job: Job, frame: Frame) -> tuple[str, Any, str] | None:
    """The cell or probe a child died in, if it did not finish: (kind, id, reason)."""
    events = [event for event, _ in _events(job, frame)]
    exit_info = frame.header.get("exit", {})
    # A "done" the child wrote and then died after is no finish: the exit status decides.
    if any(e.get("event") == "done" for e in events) and exit_info.get("code") == 0 \
            and not exit_info.get("killed"):
        return None
    started: dict[str, Any] | None = None
    for event in events:
        name = event.get("event")
        item = {"kind": str(name).split("_")[0], "id": event.get("index", event.get("id"))}
        if name in ("cell_start", "probe_start") and started is None:
            started = item
        elif name in ("cell_end", "probe_end") and started == item:
            started = None
    if started is None:
        return ("setup", None, _reason(exit_info))
    return (started["kind"], started["id"], _reason(exit_info))


def _reason(exit_info: dict[str, Any]) -> str:
    killed = exit_info.get("killed")
    if killed in ("timeout", "notebook_timeout"):
        return killed
    if killed == "result_too_large":
        return "result_too_large"
    if killed in ("protocol", "memory"):
        return killed
    if exit_info.get("signal"):
        return f"signal:{exit_info['signal']}"
    return f"exit:{exit_info.get('code')}"


def _collect(job: Job, frame: Frame, skip_cells: dict[int, CellRun], skip_probes: dict[str, ProbeRun],
             attempt: int, wall: float, notes: list[str]) -> Execution:
    header = frame.header
    cells: dict[int, CellRun] = dict(skip_cells)
    probes: dict[str, ProbeRun] = dict(skip_probes)
    student = 0.0
    for event, event_blobs in _events(job, frame):
        name = event.get("event")
        if name == "cell_end":
            index = int(event.get("index", -1))
            seconds = float(event.get("seconds", 0.0))
            student += seconds
            cells[index] = CellRun(index, _cell_status(event.get("status")), seconds, _error(event.get("error")))
        elif name == "probe_end":
            ident = str(event.get("id"))
            seconds = float(event.get("seconds", 0.0))
            student += seconds
            status = str(event.get("status"))
            value: Any = None
            if status == "ok":
                try:
                    value = codec.decode(event.get("value"), event_blobs)
                except codec.CodecError as exc:
                    status, value = "unreadable", str(exc)
            elif status == "not_callable":
                value = event.get("value") if isinstance(event.get("value"), dict) else None
            used = event.get("forbidden_used", [])
            printed = event.get("printed", "")
            probes[ident] = ProbeRun(ident, _probe_status(status), value, seconds, _error(event.get("error")),
                                     forbidden_used=tuple(clean_text(x, 200) for x in
                                                          (used if isinstance(used, list) else [])[:20]),
                                     printed=clean_text(printed, 1 << 16) if isinstance(printed, str) else "")
        elif name == "setup_failed":
            error = event["error"] if isinstance(event.get("error"), dict) else {}
            notes.append("the sandbox could not start: " + clean_text(error.get("message", ""), 2000))
    culprit = _culprit(job, frame)
    if culprit is not None and culprit[0] != "setup":
        kind, ident, reason = culprit
        if kind == "cell":
            cells[int(ident)] = CellRun(int(ident), "timeout" if "timeout" in reason else "crashed", reason=reason)
        else:
            probes[str(ident)] = ProbeRun(str(ident), "timeout" if "timeout" in reason else "crashed", reason=reason)
    unfinished = culprit[2] if culprit is not None else ""
    for index, _ in job.cells:
        cells.setdefault(index, CellRun(index, "not_run", reason=unfinished))
    for probe in job.probes:
        probes.setdefault(probe.id, ProbeRun(probe.id, "not_run", reason=unfinished))
    out, err = header.get("stdout", {}), header.get("stderr", {})
    return Execution(
        cells=cells, probes=probes,
        stdout=Output(clean_text(out.get("text", ""), 1 << 20), int(out.get("bytes", 0)), bool(out.get("truncated"))),
        stderr=Output(clean_text(err.get("text", ""), 1 << 20), int(err.get("bytes", 0)), bool(err.get("truncated"))),
        attempts=attempt, wall=wall, student_seconds=student, level=str(header.get("level", "")),
        notes=tuple(notes),
        tree_budget=header["tree_budget"] if type(header.get("tree_budget")) is int else None,
    )


def _abandoned(job: Job, skip_cells: dict[int, CellRun], skip_probes: dict[str, ProbeRun], attempt: int,
               wall: float, notes: list[str]) -> Execution:
    cells = {i: skip_cells.get(i, CellRun(i, "not_run", reason="worker")) for i, _ in job.cells}
    probes = {p.id: skip_probes.get(p.id, ProbeRun(p.id, "not_run", reason="worker")) for p in job.probes}
    empty = Output("", 0, False)
    return Execution(cells, probes, empty, empty, attempt, wall, 0.0, "", tuple(notes))


def _cell_status(value: Any) -> CellStatus:
    return value if value in ("ok", "error", "timeout") else "crashed"  # type: ignore[return-value]


def _probe_status(value: Any) -> ProbeStatus:
    allowed = ("ok", "error", "timeout", "missing", "not_callable", "unreadable")
    return value if value in allowed else "crashed"  # type: ignore[return-value]


__all__ = ["CellRun", "ErrorInfo", "Execution", "Job", "Limits", "Output", "Probe", "ProbeRun", "Sandbox",
           "replace"]
