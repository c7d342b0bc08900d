"""The warm worker: imports the heavy libraries once, then serves jobs as a clean zygote.

Started by the grading process as `python -P -m grader.sandbox.worker numpy torch …` with one
BLAS/OpenMP thread and a minimal environment, it talks frames on its stdin/stdout; given
`--sibling=JOB_FD:RESULT_FD` arguments, it forks one more worker per pair once its imports are
done, each talking on its pair.

A worker never reads anything from the grading process after its start. For each job it forks a
supervisor (supervisor.py), which forks the notebook's child before it reads anything, then hands
it its set-up and its job, supervises it and reports; then the supervisor ends, taking the job
with it. So every child starts from the memory of a process that only imported and forked:
nothing of an earlier student, of the grading process's environment, command line or paths. The worker never runs student code and
never imports the reference package or an exercise.
"""

from __future__ import annotations

import gc
import importlib
import os
import sys

from . import cgroups, forbid, isolation, seccomp
from .cgroups import Cgroup
from .protocol import ProtocolError, read_frame, write_frame
from .supervisor import Context, ParentGone, Setup, Spare, supervise

# How a supervisor ends: its job done, or the grading process gone (the worker ends too).
DONE, STOP = 0, 3


def keep_paths() -> tuple[str, ...]:
    """What the child needs to keep seeing: the interpreter, its libraries, and the folders of
    every shared library the worker has loaded (a library may load more of its own lazily)."""
    paths = {os.path.abspath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix,
                                          os.path.dirname(os.__file__))}
    for entry in sys.path:
        if entry and os.path.isdir(entry) and not isolation._holds_blocked_package(entry):
            paths.add(os.path.abspath(entry))
    try:
        with open("/proc/self/maps") as fh:
            mapped = {line.split(None, 5)[5].strip() for line in fh if len(line.split(None, 5)) == 6}
    except OSError:
        mapped = set()
    for name in mapped:
        folder = os.path.dirname(name)
        if name.startswith("/") and os.path.isfile(name) and not isolation._holds_blocked_package(folder):
            paths.add(os.path.realpath(folder))
    # Both spellings of each: as the import path names it (through links) and where it really is.
    return tuple(sorted(paths | {os.path.realpath(p) for p in paths}))


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
    forbid.warm()
    level = isolation.active_level()
    keep = keep_paths()
    filter_program = seccomp.program()
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
        except OSError:
            group.remove()
            group = None
    oom_protected = False
    try:
        with open("/proc/self/oom_score_adj", "w") as fh:
            fh.write("-1000")  # the worker is never the one the OOM killer picks, when we may say so
        oom_protected = True
    except OSError:
        pass
    ctx = Context(level=level, keep=keep, always_hidden=always_hidden, group=group, seccomp=filter_program,
                  spare_pid_namespace=level == "full" and isolation.pid_namespace_works(level))
    write_frame(proto_out, {"event": "ready", "level": level, "preloaded": preloaded, "pid": os.getpid(),
                            "cgroup": group is not None, "oom_protected": oom_protected,
                            "seccomp": filter_program is not None})
    try:
        return _zygote(proto_in, proto_out, ctx)
    finally:
        if group is not None:
            group.remove()


def _zygote(proto_in: int, proto_out: int, ctx: Context) -> int:
    """Fork one supervisor per job and wait for it. The zygote reads nothing from the grading
    process: every child of every job starts from this memory."""
    while True:
        pid = os.fork()
        if pid == 0:
            code = STOP
            try:
                code = _supervisor(proto_in, proto_out, ctx)
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(status) != DONE:
            return 0  # the grading process is gone, or a supervisor failed: our pipes close with us


def _supervisor(proto_in: int, proto_out: int, ctx: Context) -> int:
    """One job: fork its child at once, hand it its set-up as soon as the grading process sends it
    (ahead of the job, while the previous result is judged), then the job; supervise; report."""
    isolation.die_with_parent()
    spare = Spare.fork(ctx)
    try:
        while True:
            try:
                frame = read_frame(proto_in)
            except (EOFError, ProtocolError, OSError):
                return STOP
            command = frame.header.get("cmd")
            if command == "setup":
                wanted = Setup.from_json(frame.header.get("setup"))
                if spare.setup is not None and (wanted != spare.setup or not spare.alive()):
                    spare.discard()  # set up for other paths: another child, before any job is read
                    spare = Spare.fork(ctx)
                if spare.setup is None:
                    spare.prepare(wanted)
            elif command == "run":
                break
            else:
                return STOP
        if spare.setup is None:
            spare.prepare(Setup())
        try:
            header, blobs = supervise(frame, spare, ctx, parent=proto_in)
        except ParentGone:
            return STOP
        spare = None
        try:
            write_frame(proto_out, header, blobs)
        except OSError:
            return STOP
        return DONE
    finally:
        if spare is not None:
            spare.discard()


if __name__ == "__main__":
    status = main(sys.argv[1:])
    # Nothing is left to flush or clean once main returns; skipping the interpreter's teardown of
    # torch and numpy saves a noticeable fraction of a second per worker at the end of a batch.
    os._exit(status)
