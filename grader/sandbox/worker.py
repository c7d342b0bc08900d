"""The warm worker: imports the heavy libraries once, then forks one sandboxed child per job.

Started by the grading process as `python -m grader.sandbox.worker numpy torch …` with one
BLAS/OpenMP thread, it talks frames on its stdin/stdout; given `--sibling=JOB_FD:RESULT_FD`
arguments, it forks one more worker per pair once its imports are done, each talking on its pair. For each job it forks, lets the child
isolate itself and run the notebook, and supervises it: drains its output (keeping only the head
and tail), enforces the hard deadlines per cell, per probe and per notebook, caps what comes
back, kills whatever the child left behind, and reports every event in order. The worker never
runs student code and never imports the reference package or an exercise.
"""

from __future__ import annotations

import gc
import importlib
import os
import select
import selectors
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any

from . import cgroups, child, isolation
from .cgroups import Cgroup
from .limits import Limits
from .protocol import Frame, FrameBuffer, ProtocolError, read_frame, write_frame

PIPE_CHUNK = 1 << 16


class _Capture:
    """Keeps the first and last bytes of a stream and counts the rest."""

    def __init__(self, limit: int) -> None:
        self.head = bytearray()
        self.tail = bytearray()
        self.limit = limit
        self.total = 0

    def feed(self, data: bytes) -> None:
        self.total += len(data)
        room = self.limit - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        if data:
            self.tail += data
            del self.tail[: max(0, len(self.tail) - self.limit // 4)]

    def to_json(self) -> dict[str, Any]:
        omitted = self.total - len(self.head) - len(self.tail)
        text = self.head.decode("utf-8", "replace")
        if self.tail:
            text += f"\n… [{omitted} bytes omitted] …\n" if omitted > 0 else ""
            text += self.tail.decode("utf-8", "replace")
        return {"text": text, "bytes": self.total, "truncated": omitted > 0}


def keep_paths() -> tuple[str, ...]:
    """What the child needs to keep seeing: the interpreter, its libraries, and the folders of
    every shared library the worker has loaded (a library may load more of its own lazily)."""
    paths = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix,
                                           os.path.dirname(os.__file__))}
    for entry in sys.path:
        if entry and os.path.isdir(entry) and not isolation._holds_blocked_package(entry):
            paths.add(os.path.realpath(entry))
    try:
        with open("/proc/self/maps") as fh:
            mapped = {line.split(None, 5)[5].strip() for line in fh if len(line.split(None, 5)) == 6}
    except OSError:
        mapped = set()
    for name in mapped:
        folder = os.path.dirname(name)
        if name.startswith("/") and os.path.isfile(name) and not isolation._holds_blocked_package(folder):
            paths.add(os.path.realpath(folder))
    return tuple(sorted(paths))


def _alive_of(uid: int) -> list[int]:
    """Live (non-zombie) processes owned by `uid`."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.stat(f"/proc/{entry}").st_uid != uid:
                continue
            with open(f"/proc/{entry}/stat", "rb") as fh:
                state = fh.read().rsplit(b")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state not in (b"Z", b"X"):
            pids.append(int(entry))
    return pids


def _sweep(uid: int | None, group: Cgroup | None = None) -> None:
    """Under "full", kill every process the child left: the members of our control group but us
    (exact and cheap), else every process of the child's uid that escaped its process group."""
    if uid is None:
        return
    me = os.getpid()
    for _ in range(50):
        alive = [p for p in group.members() if p != me] if group is not None else _alive_of(uid)
        if not alive:
            return
        for pid in alive:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.002)


class ParentGone(Exception):
    """The grading process closed our stdin (it ended, or was killed): nothing is left to do."""


@dataclass
class Spare:
    """A child forked and isolated ahead of its job, waiting for it on `w_job`."""

    key: tuple[Any, ...]
    pid: int
    pidfd: int
    r_res: int
    r_out: int
    r_err: int
    w_job: int
    plan: isolation.Plan

    def alive(self) -> bool:
        return not select.select([self.pidfd], [], [], 0)[0]

    def discard(self) -> None:
        try:
            signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
        for fd in (self.r_res, self.r_out, self.r_err, self.w_job, self.pidfd):
            try:
                os.close(fd)
            except OSError:
                pass
        if self.plan.level == "basic":
            shutil.rmtree(self.plan.workdir, ignore_errors=True)


def spare_key(job: Frame, always_hidden: tuple[str, ...]) -> tuple[Any, ...]:
    """What a prepared child depends on: the paths it hides and the size of its /tmp."""
    limits = Limits.from_json(job.header["limits"])
    return (tuple(dict.fromkeys(tuple(job.header.get("hide", ())) + always_hidden)), limits.tmpfs_bytes)


def spawn(key: tuple[Any, ...], level: str, keep: tuple[str, ...],
          pid_namespaces: isolation.PidNamespaces | None) -> Spare:
    hide, tmpfs_bytes = key
    workdir = "/tmp/work" if level != "basic" else tempfile.mkdtemp(prefix="grader-child-")
    # One uid per worker, from its pid: unique among the live workers of every grader on the
    # machine, so RLIMIT_NPROC and the sweep concern this worker's child alone.
    uid = isolation.SANDBOX_UID_BASE + os.getpid() if level == "full" else None
    plan = isolation.Plan(level=level, hide=hide, keep=keep, uid=uid, workdir=workdir)
    r_res, w_res = os.pipe()
    r_out, w_out = os.pipe()
    r_err, w_err = os.pipe()
    r_job, w_job = os.pipe()
    fresh = pid_namespaces is not None and level == "full" and pid_namespaces.before_fork()
    pid = os.fork()
    if pid == 0:
        try:
            for fd in (r_res, r_out, r_err, w_job):
                os.close(fd)
            child.run(r_job, w_res, w_out, w_err, plan, Limits(tmpfs_bytes=tmpfs_bytes), pid_one=fresh)
        finally:
            os._exit(70)
    if fresh:
        pid_namespaces.after_fork()  # type: ignore[union-attr]
    for fd in (w_res, w_out, w_err, r_job):
        os.close(fd)
    return Spare(key, pid, os.pidfd_open(pid), r_res, r_out, r_err, w_job, plan)


def supervise(job: Frame, level: str, keep: tuple[str, ...], always_hidden: tuple[str, ...],
              parent: int | None = None, group: Cgroup | None = None,
              pid_namespaces: isolation.PidNamespaces | None = None,
              spare: Spare | None = None) -> tuple[dict[str, Any], list[bytes]]:
    """Run one job in a prepared child (`spare`, when it fits) or a fresh one; `parent` is our
    stdin, watched so that a grading process that dies mid-job takes the child with it
    (ParentGone, after the child is killed)."""
    limits = Limits.from_json(job.header["limits"])
    key = spare_key(job, always_hidden)
    if spare is not None and (spare.key != key or not spare.alive()):
        spare.discard()
        spare = None
    oom_before = 0
    if group is not None:
        try:
            group.prepare(limits.memory_bytes + cgroups.SLACK, limits.processes + 8)
            oom_before = group.oom_kills()
        except OSError:
            group = None
    for attempt in range(2):
        if spare is None:
            spare = spawn(key, level, keep, pid_namespaces)
        started = time.monotonic()
        try:
            write_frame(spare.w_job, job.header, job.blobs)
            os.close(spare.w_job)
            spare.w_job = -1
            break
        except OSError:  # the prepared child is gone: prepare another
            spare.discard()
            spare = None
    else:
        raise OSError("no child could be started")
    plan, pid, pidfd = spare.plan, spare.pid, spare.pidfd
    r_res, r_out, r_err = spare.r_res, spare.r_out, spare.r_err
    uid, workdir = plan.uid, plan.workdir

    selector = selectors.DefaultSelector()
    for fd in (r_res, r_out, r_err, pidfd):
        selector.register(fd, selectors.EVENT_READ)
    if parent is not None:
        selector.register(parent, selectors.EVENT_READ)
    orphaned = False
    captures = {r_out: _Capture(limits.output_bytes), r_err: _Capture(limits.output_bytes)}
    frames = FrameBuffer(max_blobs=limits.result_bytes)
    events: list[dict[str, Any]] = []
    blobs: list[bytes] = []
    current: dict[str, Any] | None = None
    item_deadline = float("inf")
    total_deadline = started + limits.notebook_seconds + limits.grace_seconds
    exited_at: float | None = None
    killed: str | None = None
    during: dict[str, Any] | None = None

    def kill(reason: str) -> None:
        nonlocal killed, during
        if killed is None:
            killed, during = reason, current
        try:
            signal.pidfd_send_signal(pidfd, signal.SIGKILL)
        except ProcessLookupError:
            pass

    while True:
        now = time.monotonic()
        watched = len(selector.get_map()) - (parent is not None and not orphaned)
        if exited_at is not None and (watched == 0 or now > exited_at + 0.25):
            break
        wake = min(item_deadline, total_deadline, exited_at + 0.25 if exited_at is not None else float("inf"))
        for key, _ in selector.select(max(0.0, wake - now)):
            fd = key.fd
            if fd == parent:
                # The grading process never writes while a job runs: readable means it is gone.
                selector.unregister(fd)
                orphaned = True
                kill("parent_gone")
                continue
            if fd == pidfd:
                exited_at = time.monotonic()
                selector.unregister(fd)
                continue
            try:
                data = os.read(fd, PIPE_CHUNK)
            except OSError:
                data = b""
            if not data:
                selector.unregister(fd)
                continue
            if fd != r_res:
                captures[fd].feed(data)
                continue
            try:
                received = frames.feed(data)
            except ProtocolError as exc:
                received = exc.frames
                kill("protocol")
                selector.unregister(fd)
            if frames.total > limits.result_bytes:
                kill("result_too_large")
            for frame in received:
                header = frame.header
                header["t"] = time.monotonic() - started
                events.append(header)
                blobs.extend(frame.blobs)
                # The student can write frames on this pipe too: a start only counts when nothing
                # is running and an end only when it matches. Forged pairs can still restart an
                # item's clock; the notebook's deadline bounds them all.
                event = header.get("event")
                item = {"kind": str(event).split("_")[0], "id": header.get("index", header.get("id"))}
                if event in ("cell_start", "probe_start") and current is None:
                    budget = limits.cell_seconds if event == "cell_start" else _probe_budget(job, header, limits)
                    current = item
                    item_deadline = time.monotonic() + budget + limits.grace_seconds
                elif event in ("cell_end", "probe_end") and current == item:
                    current, item_deadline = None, float("inf")
        if exited_at is None:
            now = time.monotonic()
            if now >= total_deadline:
                kill("notebook_timeout")
            elif now >= item_deadline:
                kill("timeout")

    try:
        os.killpg(pid, signal.SIGKILL)  # before reaping, while the pid cannot be reused
    except (ProcessLookupError, PermissionError):
        pass
    _, status, usage = os.wait4(pid, 0)
    _sweep(uid, group)
    if group is not None and killed is None and group.oom_kills() > oom_before:
        killed = "memory"  # the kernel ended a process of the tree: the notebook's memory ran out
    for fd in (r_res, r_out, r_err, pidfd):
        try:
            os.close(fd)
        except OSError:
            pass
    selector.close()
    if level == "basic":
        shutil.rmtree(workdir, ignore_errors=True)
    if orphaned:
        raise ParentGone()
    code = os.waitstatus_to_exitcode(status)
    response = {
        "events": events,
        "exit": {"code": code if code >= 0 else None, "signal": -code if code < 0 else None,
                 "killed": killed, "during": during},
        "stdout": captures[r_out].to_json(),
        "stderr": captures[r_err].to_json(),
        "wall": time.monotonic() - started,
        "cpu": usage.ru_utime + usage.ru_stime,
        "maxrss_kb": usage.ru_maxrss,
        "level": level,
    }
    return response, blobs


def _probe_budget(job: Frame, header: dict[str, Any], limits: Limits) -> float:
    for probe in job.header.get("probes", ()):
        if probe.get("id") == header.get("id"):
            return float(probe.get("timeout") or limits.probe_seconds)
    return limits.probe_seconds


def main(argv: list[str]) -> int:
    proto_in, proto_out = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(2, 1)  # a stray print must never corrupt the frame stream
    siblings = [tuple(int(fd) for fd in arg.split("=", 1)[1].split(":")) for arg in argv if arg.startswith("--sibling=")]
    preloaded = []
    for name in (arg for arg in argv if not arg.startswith("--")):
        try:
            importlib.import_module(name)
            preloaded.append(name)
        except Exception:
            pass
    if "numpy" in sys.modules:
        importlib.import_module("numpy.random")  # lazily loaded, and every child seeds it
    if "matplotlib" in sys.modules:
        sys.modules["matplotlib"].use("Agg")
    level = isolation.active_level()
    keep = keep_paths()
    # Everything imported so far is shared with every child copy-on-write. Freezing it keeps the
    # children's garbage collector from walking (and so copying) those pages.
    gc.collect()
    gc.freeze()
    always_hidden = isolation.outside_system(keep)
    # The other workers of the pool are copies of this one, made now: the imports above are paid
    # once per pool, not once per worker. Each keeps only its own pair of pipes to the grading process.
    for i, (job_fd, result_fd) in enumerate(siblings):
        if os.fork() == 0:
            for fd in (proto_in, proto_out, *(fd for pair in siblings[i + 1:] for fd in pair)):
                os.close(fd)  # the pipes of the workers forked before this one are closed already
            proto_in, proto_out = job_fd, result_fd
            break
        os.close(job_fd)
        os.close(result_fd)
    group = Cgroup.create(f"{cgroups.PREFIX}{os.getpid()}") if level == "full" else None
    if group is not None:
        try:
            group.join()
            with open("/proc/self/oom_score_adj", "w") as fh:
                fh.write("-1000")  # the worker is never the one the OOM killer picks
        except OSError:
            group.remove()
            group = None
    write_frame(proto_out, {"event": "ready", "level": level, "preloaded": preloaded, "pid": os.getpid(),
                            "cgroup": group is not None})
    try:
        return _serve(proto_in, proto_out, level, keep, always_hidden, group)
    finally:
        if group is not None:
            group.remove()


def _serve(proto_in: int, proto_out: int, level: str, keep: tuple[str, ...], always_hidden: tuple[str, ...],
           group: Cgroup | None) -> int:
    pid_namespaces = isolation.PidNamespaces() if level == "full" else None
    spare: Spare | None = None
    try:
        while True:
            try:
                frame = read_frame(proto_in)
            except (EOFError, ProtocolError):
                return 0
            if frame.header.get("cmd") != "run":
                return 0
            given, spare = spare, None
            try:
                header, blobs = supervise(frame, level, keep, always_hidden, parent=proto_in, group=group,
                                          pid_namespaces=pid_namespaces, spare=given)
            except ParentGone:
                return 0
            try:
                write_frame(proto_out, header, blobs)
            except OSError:
                return 0
            # Prepare the next child now, while the grading process judges this one's answers.
            try:
                spare = spawn(spare_key(frame, always_hidden), level, keep, pid_namespaces)
            except OSError:
                spare = None
    finally:
        if spare is not None:
            spare.discard()


if __name__ == "__main__":
    status = main(sys.argv[1:])
    # Nothing is left to flush or clean once main returns; skipping the interpreter's teardown of
    # torch and numpy saves a noticeable fraction of a second per worker at the end of a batch.
    os._exit(status)
