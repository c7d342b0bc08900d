"""The supervisor: the worker's half that talks to the grading process, one job at a time.

Each job's child is forked by the zygote (worker.py), never by the supervisor, and before the job
exists anywhere but here; so the child's memory is the zygote's (imports only) plus what it is
sent: its set-up, the notebook's cells, then each probe's inputs at its turn, never another
test's and never an expected value. The supervisor drains the child's output (keeping head and
tail), enforces the deadlines per cell, per probe and per notebook, caps what comes back, kills
whatever the child left behind, and reports every event in order. It never runs student code
and never imports the reference package or an exercise.
"""

from __future__ import annotations

import json
import os
import select
import selectors
import shutil
import signal
import socket
import tempfile
import time
from dataclasses import dataclass, field, replace
from typing import Any

from . import cgroups, child, forbid, isolation
from .cgroups import Cgroup
from .limits import Limits
from .protocol import (
    Frame,
    FrameBuffer,
    ProtocolError,
    encode_frame,
    read_frame,
    write_frame,
)

PIPE_CHUNK = 1 << 16
# What the child may say; anything else it writes on the channel is dropped here.
CHILD_EVENTS = frozenset({"ready", "setup_failed", "cell_start", "cell_end", "cells_done", "probe_end", "done"})


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


@dataclass(frozen=True)
class Context:
    """What every job of a worker shares, fixed before the first fork."""

    level: str
    keep: tuple[str, ...]
    always_hidden: tuple[str, ...]
    group: Cgroup | None
    seccomp: bytes | None
    spare_pid_namespace: bool  # the supervisor can make the child process 1 of a new PID namespace


@dataclass(frozen=True)
class Setup:
    """What a prepared child depends on, sent before the job: nothing of any student."""

    hide: tuple[str, ...] = ()
    tmpfs_bytes: int = Limits().tmpfs_bytes
    files: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"hide": list(self.hide), "tmpfs_bytes": self.tmpfs_bytes, "files": self.files}

    @classmethod
    def from_json(cls, data: Any) -> Setup:
        if not isinstance(data, dict):
            return cls()
        hide = tuple(str(p) for p in data.get("hide", ()) if isinstance(p, str))
        files = data.get("files") if isinstance(data.get("files"), str) else None
        return cls(hide, int(data.get("tmpfs_bytes") or Limits().tmpfs_bytes), files)


MAX_FILES = 1000  # entries at the top of a support folder (each is one mount)


def files_of(folder: str | None) -> tuple[tuple[str, str], ...]:
    """(host path, name) of each entry of an exercise's support folder."""
    if not folder or not os.path.isdir(folder):
        return ()
    names = sorted(name for name in os.listdir(folder) if not name.startswith("."))[:MAX_FILES]
    # Resolved here, on the host's side: inside the child's half-built root, a link's absolute
    # target would point into the new root, not the host's.
    return tuple((os.path.realpath(os.path.join(folder, name)), name) for name in names)


def fork_child(ctx: Context) -> tuple[int, int, str, list[int]]:
    """In the zygote: fork one child, waiting for its set-up on its job pipe. Returns its pid, a
    pidfd the zygote keeps, its working directory, and what the supervisor gets: the parent ends of
    its pipes (results, stdout, stderr, job) and a pidfd of its own."""
    level = ctx.level
    workdir = "/tmp/work" if level != "basic" else tempfile.mkdtemp(prefix="grader-child-")
    # One uid per worker, from the zygote's pid: unique among the live workers of every grader on
    # the machine, so RLIMIT_NPROC and the sweep concern this worker's child alone.
    uid = isolation.SANDBOX_UID_BASE + os.getpid() if level == "full" else None
    plan = isolation.Plan(level=level, hide=(), keep=ctx.keep, uid=uid, workdir=workdir, seccomp=ctx.seccomp)
    r_res, w_res = os.pipe()
    r_out, w_out = os.pipe()
    r_err, w_err = os.pipe()
    r_job, w_job = os.pipe()
    pid_one = False
    if ctx.spare_pid_namespace:
        try:
            isolation.unshare_pid()  # our next child becomes process 1 of a new PID namespace
            pid_one = True
        except OSError:
            pass
    pid = os.fork()
    if pid == 0:
        try:
            for fd in (r_res, r_out, r_err, w_job):
                os.close(fd)
            child.run(r_job, w_res, w_out, w_err, plan, pid_one=pid_one)
        finally:
            os._exit(70)
    for fd in (w_res, w_out, w_err, r_job):
        os.close(fd)
    return pid, os.pidfd_open(pid), workdir, [r_res, r_out, r_err, w_job, os.pidfd_open(pid)]


class Zygote:
    """The supervisor's line to its zygote: children on request, and how each one ended."""

    def __init__(self, line: socket.socket) -> None:
        self.line = line
        self.ended: dict[int, dict[str, Any]] = {}

    def fork(self) -> tuple[int, str, list[int]]:
        self.line.send(b"fork")
        while True:
            message, fds, _, _ = socket.recv_fds(self.line, 4096, 8)
            if not message:
                raise OSError("the zygote is gone")
            data = json.loads(message)
            if "reaped" in data:
                self.ended[int(data["reaped"])] = data
                continue
            return int(data["pid"]), str(data["workdir"]), list(fds)

    def reaped(self, pid: int) -> dict[str, Any]:
        """How `pid` ended (the zygote reaps it and says so; we wait for that word)."""
        while pid not in self.ended:
            message = self.line.recv(4096)
            if not message:
                raise OSError("the zygote is gone")
            data = json.loads(message)
            if "reaped" in data:
                self.ended[int(data["reaped"])] = data
        return self.ended.pop(pid)


@dataclass
class Spare:
    """A child forked ahead of its job: it waits for its set-up, isolates itself, then waits for
    the job, all on `w_job`."""

    pid: int
    pidfd: int
    r_res: int
    r_out: int
    r_err: int
    w_job: int
    plan: isolation.Plan
    ctx: Context
    zygote: Zygote
    setup: Setup | None = None

    @classmethod
    def fork(cls, ctx: Context, zygote: Zygote) -> Spare:
        pid, workdir, fds = zygote.fork()
        r_res, r_out, r_err, w_job, pidfd = fds
        uid = isolation.SANDBOX_UID_BASE + os.getppid() if ctx.level == "full" else None
        plan = isolation.Plan(level=ctx.level, hide=(), keep=ctx.keep, uid=uid, workdir=workdir, seccomp=ctx.seccomp)
        return cls(pid, pidfd, r_res, r_out, r_err, w_job, plan, ctx, zygote)

    def prepare(self, setup: Setup) -> None:
        """Hand the child what isolating itself depends on. Under "full" and "userns" it learns
        no path of the grader's: only masks inside folders it sees anyway, and its support files."""
        hidden = tuple(dict.fromkeys(setup.hide + self.ctx.always_hidden))
        if self.plan.level != "basic":
            kept = tuple(os.path.realpath(k) for k in self.ctx.keep)
            hidden = tuple(h for h in (os.path.realpath(p) for p in hidden)
                           if any(h != k and h.startswith(k.rstrip("/") + "/") for k in kept))
        files = files_of(setup.files)
        self.plan = replace(self.plan, hide=hidden, files=files)
        try:
            write_frame(self.w_job, {"cmd": "setup", "hide": list(hidden), "files": [list(f) for f in files],
                                     "tmpfs_bytes": setup.tmpfs_bytes})
        except OSError:
            pass  # the child is gone: the job will find it so
        self.setup = setup

    def alive(self) -> bool:
        return not select.select([self.pidfd], [], [], 0)[0]

    def discard(self) -> None:
        try:
            signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
        except ProcessLookupError:
            pass
        for fd in (self.r_res, self.r_out, self.r_err, self.w_job, self.pidfd):
            try:
                os.close(fd)
            except OSError:
                pass
        try:
            self.zygote.reaped(self.pid)
        except OSError:
            pass
        if self.plan.level == "basic":
            shutil.rmtree(self.plan.workdir, ignore_errors=True)


class ParentGone(Exception):
    """The grading process closed our stdin (it ended, or was killed): nothing is left to do."""


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
    """Under "full", kill every process the child left: the members of our control group but the
    zygote and us (exact and cheap), else every process of the child's uid."""
    if uid is None:
        return
    ours = {os.getpid(), os.getppid()}
    for _ in range(50):
        alive = [p for p in group.members() if p not in ours] if group is not None else _alive_of(uid)
        if not alive:
            return
        for pid in alive:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.002)


@dataclass
class _Outbox:
    """Frames for the child, written as its pipe takes them (a slow reader never blocks us)."""

    fd: int
    pending: bytearray = field(default_factory=bytearray)

    def put(self, header: dict[str, Any], blobs: list[bytes] | None = None) -> None:
        self.pending += encode_frame(header, blobs or [])

    def flush(self) -> None:
        while self.pending:
            try:
                written = os.write(self.fd, self.pending)
            except BlockingIOError:
                return
            except OSError:  # the child closed its end: it will be reaped as it ended
                self.pending.clear()
                return
            del self.pending[:written]


class _Probes:
    """The job's probes, handed to the child one at a time, each only when its turn comes."""

    def __init__(self, job: Frame) -> None:
        self.items = [p for p in job.header.get("probes", ()) if not p.get("skip")]
        self.blobs = job.blobs
        self.next = 0

    def frame(self, index: int) -> tuple[dict[str, Any], list[bytes]]:
        """The probe with its own blobs only (renumbered from 0)."""
        probe = dict(self.items[index])
        used: dict[int, int] = {}

        def remap(tree: Any) -> Any:
            if isinstance(tree, list):
                return [remap(v) for v in tree]
            if isinstance(tree, dict):
                if "$nd" in tree and isinstance(tree["$nd"], int):
                    return dict(tree, **{"$nd": used.setdefault(tree["$nd"], len(used))})
                return {k: remap(v) for k, v in tree.items()}
            return tree

        probe["args"], probe["kwargs"] = remap(probe.get("args")), remap(probe.get("kwargs"))
        blobs = [b"" for _ in used]
        for original, position in used.items():
            blobs[position] = self.blobs[original]
        return {"cmd": "probe", "probe": probe}, blobs


def supervise(job: Frame, spare: Spare, ctx: Context, parent: int | None = None) -> tuple[dict[str, Any], list[bytes]]:
    """Run one job in its prepared child; `parent` is our stdin, watched so that a grading process
    that dies mid-job takes the child with it (ParentGone, after the child is killed)."""
    limits = Limits.from_json(job.header["limits"])
    group = ctx.group
    oom_before = 0
    budget: int | None = None  # the memory budget of the notebook's whole process tree, when held
    if group is not None:
        try:
            group.prepare(limits.memory_bytes + cgroups.SLACK, limits.processes + 8)
            oom_before = group.oom_kills()
            budget = limits.memory_bytes + cgroups.SLACK
        except OSError:
            group = None
    started = time.monotonic()
    plan, pid, pidfd = spare.plan, spare.pid, spare.pidfd
    r_res, r_out, r_err = spare.r_res, spare.r_out, spare.r_err
    os.set_blocking(spare.w_job, False)
    outbox = _Outbox(spare.w_job)
    probes = _Probes(job)
    names = sorted({str(name) for p in probes.items for name in p.get("forbid", ())})
    outbox.put({"cmd": "run", "cells": job.header.get("cells", []), "seed": job.header.get("seed", 0),
                "limits": job.header["limits"], "forbid": names, "forbid_survey": forbid.survey(set(names)),
                "compat": job.header.get("compat", [])})

    selector = selectors.DefaultSelector()
    for fd in (r_res, r_out, r_err, pidfd):
        selector.register(fd, selectors.EVENT_READ)
    selector.register(outbox.fd, selectors.EVENT_WRITE)
    if parent is not None:
        selector.register(parent, selectors.EVENT_READ)
    orphaned = False
    captures = {r_out: _Capture(limits.output_bytes), r_err: _Capture(limits.output_bytes)}
    frames = FrameBuffer(max_blobs=limits.result_bytes)
    events: list[dict[str, Any]] = []
    blobs: list[bytes] = []
    current: dict[str, Any] | None = None
    phase = "cells"  # then "probes", then "ending"
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

    queue: list[dict[str, Any]] = []  # probes handed to the child, in order, not yet ended

    def advance() -> None:
        """Hand over what may go now, and start the clock of the probe the child is on. A hidden
        probe goes only when nothing is ahead of it; public ones (inputs the student holds anyway)
        go at once, so they cost no wait."""
        nonlocal current, item_deadline, phase
        while probes.next < len(probes.items):
            probe = probes.items[probes.next]
            if not probe.get("public") and queue:
                break
            header, probe_blobs = probes.frame(probes.next)
            probes.next += 1
            outbox.put(header, probe_blobs)
            queue.append(probe)
            if not probe.get("public"):
                break
        if not queue:
            current, item_deadline = None, float("inf")
            if phase == "probes":
                phase = "ending"
                outbox.put({"cmd": "end"})
            return
        # The probe's clock starts when the child can be on it, not when the child says it began.
        probe = queue[0]
        current = {"kind": "probe", "id": probe.get("id")}
        events.append({"event": "probe_start", "id": probe.get("id"), "t": time.monotonic() - started})
        budget = float(probe.get("timeout") or limits.probe_seconds)
        item_deadline = time.monotonic() + budget + limits.grace_seconds

    while True:
        outbox.flush()
        if not outbox.pending and outbox.fd in selector.get_map():
            selector.unregister(outbox.fd)
        elif outbox.pending and outbox.fd not in selector.get_map():
            selector.register(outbox.fd, selectors.EVENT_WRITE)
        now = time.monotonic()
        watched = len(selector.get_map()) - (parent is not None and not orphaned) - (outbox.fd in selector.get_map())
        if exited_at is not None and (watched == 0 or now > exited_at + 0.25):
            break
        wake = min(item_deadline, total_deadline, exited_at + 0.25 if exited_at is not None else float("inf"))
        for key, _ in selector.select(max(0.0, wake - now)):
            fd = key.fd
            if fd == outbox.fd:
                continue
            if fd == parent:
                # The grading process never writes while a job runs: readable means it is gone.
                selector.unregister(fd)
                orphaned = True
                kill("parent_gone")
                continue
            if fd == pidfd:
                exited_at = time.monotonic()
                selector.unregister(fd)
                if outbox.fd in selector.get_map():
                    selector.unregister(outbox.fd)
                outbox.pending.clear()
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
                event = header.get("event")
                if event not in CHILD_EVENTS:
                    continue  # a probe_start, or anything else the student wrote on our channel
                header["t"] = time.monotonic() - started
                # The student can write frames here too: a start counts only when nothing runs and
                # an end only when it matches what runs. Forged cell pairs can restart a cell's
                # clock; the notebook's deadline bounds them all.
                item = {"kind": str(event).split("_")[0], "id": header.get("index", header.get("id"))}
                if event == "probe_end" and (phase != "probes" or current != item):
                    continue
                events.append(header)
                blobs.extend(frame.blobs)
                if event == "cell_start" and current is None and phase == "cells":
                    current = item
                    item_deadline = time.monotonic() + limits.cell_seconds + limits.grace_seconds
                elif event == "cell_end" and current == item:
                    current, item_deadline = None, float("inf")
                elif event == "cells_done" and phase == "cells":
                    current, item_deadline, phase = None, float("inf"), "probes"
                    advance()
                elif event == "probe_end":
                    queue.pop(0)
                    advance()
        if exited_at is None:
            now = time.monotonic()
            if now >= total_deadline:
                kill("notebook_timeout")
            elif now >= item_deadline:
                kill("timeout")

    try:
        signal.pidfd_send_signal(pidfd, signal.SIGKILL)
    except ProcessLookupError:
        pass
    ended = spare.zygote.reaped(pid)  # the zygote kills its process group, reaps it and says how
    status = int(ended["status"])
    _sweep(plan.uid, group)
    if group is not None and killed is None and group.oom_kills() > oom_before:
        killed = "memory"  # the kernel ended a process of the tree: the notebook's memory ran out
    for fd in (r_res, r_out, r_err, pidfd, outbox.fd):
        try:
            os.close(fd)
        except OSError:
            pass
    selector.close()
    if plan.level == "basic":
        shutil.rmtree(plan.workdir, ignore_errors=True)
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
        "cpu": float(ended.get("cpu", 0.0)),
        "maxrss_kb": int(ended.get("maxrss_kb", 0)),
        "level": ctx.level,
        "tree_budget": budget,
    }
    return response, blobs


def serve(proto_in: int, proto_out: int, ctx: Context, zygote: Zygote, ready: dict[str, Any]) -> int:
    """The supervisor's life: say the worker is ready, then for each job take the child prepared
    for it, hand over its set-up (sent ahead, while the previous result is judged) and the job,
    supervise it and report; prepare the next child at once."""
    try:
        write_frame(proto_out, ready)
        spare = Spare.fork(ctx, zygote)
    except OSError:
        return 0
    while True:
        try:
            frame = read_frame(proto_in)
        except (EOFError, ProtocolError, OSError):
            spare.discard()
            return 0
        command = frame.header.get("cmd")
        if command == "setup":
            wanted = Setup.from_json(frame.header.get("setup"))
            if spare.setup is not None and (wanted != spare.setup or not spare.alive()):
                spare.discard()  # prepared for other paths: another child, before any job is read
                spare = Spare.fork(ctx, zygote)
            if spare.setup is None:
                spare.prepare(wanted)
            continue
        if command != "run":
            spare.discard()
            return 0
        if not spare.alive():  # it ended while waiting (nothing of a student had run): another
            setup = spare.setup or Setup()
            spare.discard()
            spare = Spare.fork(ctx, zygote)
            spare.prepare(setup)
        if spare.setup is None:
            spare.prepare(Setup())
        try:
            header, blobs = supervise(frame, spare, ctx, parent=proto_in)
        except ParentGone:
            return 0
        del frame
        try:
            write_frame(proto_out, header, blobs)
            spare = Spare.fork(ctx, zygote)  # the next child, forked while this result is judged
        except OSError:
            return 0
