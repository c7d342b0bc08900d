"""The warm worker: imports the heavy libraries once, then serves jobs as a clean zygote.

Started by the grading process as `python -P -m grader.sandbox.worker numpy torch …` with one
BLAS/OpenMP thread and a minimal environment, it talks frames on its stdin/stdout; given
`--sibling=JOB_FD:RESULT_FD` arguments, it forks one more worker per pair once its imports are
done, each talking on its pair.

Once its imports are done, a worker splits in two. The supervisor (supervisor.py) talks to the
grading process: it reads each job, hands it to a child and supervises it. The zygote reads
nothing from the grading process: when the supervisor asks, it forks a child (before that
child's job exists anywhere but in the supervisor), passes it over (its pipes and a pidfd, on a
Unix socket) and reaps it when it ends. So every child starts from the memory of a process that
only imported and forked: nothing of an earlier student, of the grading process's environment,
command line or paths. The worker never runs student code and
never imports the reference package or an exercise.
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import select
import signal
import socket
import sys

from . import cgroups, forbid, isolation, seccomp
from .cgroups import Cgroup
from .supervisor import Context, Zygote, fork_child, serve


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
    ready = {"event": "ready", "level": level, "preloaded": preloaded, "pid": os.getpid(),
             "cgroup": group is not None, "oom_protected": oom_protected, "seccomp": filter_program is not None}
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    # The supervisor: a copy of this process made before any job, the only one that talks to the
    # grading process from now on. The zygote (this process) keeps only its line to it.
    supervisor = os.fork()
    if supervisor == 0:
        ours.close()
        isolation.die_with_parent()
        os._exit(serve(proto_in, proto_out, ctx, Zygote(theirs), ready))
    theirs.close()
    os.close(proto_in)
    os.close(proto_out)
    try:
        return _zygote(ours, ctx, supervisor)
    finally:
        if group is not None:
            group.remove()


def _zygote(line: socket.socket, ctx: Context, supervisor: int) -> int:
    """Fork a child whenever the supervisor asks, hand it over (its pipes and a pidfd), and reap
    it when it ends (reporting how). The zygote reads nothing else: every child of every job
    starts from this memory, which holds no job."""
    children: dict[int, int] = {}  # pidfd -> pid
    watch = os.pidfd_open(supervisor)
    while True:
        ready, _, _ = select.select([line, watch, *children], [], [])
        if watch in ready:
            _kill_all(children)
            return 0
        for pidfd in [fd for fd in ready if fd in children]:
            pid = children.pop(pidfd)
            try:
                os.killpg(pid, signal.SIGKILL)  # what it started in its group, while its pid is held
            except (ProcessLookupError, PermissionError):
                pass
            _, status, usage = os.wait4(pid, 0)
            os.close(pidfd)
            message = {"reaped": pid, "status": status, "cpu": usage.ru_utime + usage.ru_stime,
                       "maxrss_kb": usage.ru_maxrss}
            try:
                line.send(json.dumps(message).encode())
            except OSError:
                _kill_all(children)
                return 0
        if line in ready:
            try:
                request = line.recv(64)
            except OSError:
                request = b""
            if request != b"fork":
                _kill_all(children)
                return 0
            pid, pidfd, workdir, handed = fork_child(ctx)
            children[pidfd] = pid
            try:
                socket.send_fds(line, [json.dumps({"pid": pid, "workdir": workdir}).encode()], handed)
            except OSError:
                _kill_all(children)
                return 0
            finally:
                for fd in handed:
                    os.close(fd)


def _kill_all(children: dict[int, int]) -> None:
    for pidfd, pid in children.items():
        try:
            signal.pidfd_send_signal(pidfd, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass


if __name__ == "__main__":
    status = main(sys.argv[1:])
    # Nothing is left to flush or clean once main returns; skipping the interpreter's teardown of
    # torch and numpy saves a noticeable fraction of a second per worker at the end of a batch.
    os._exit(status)
