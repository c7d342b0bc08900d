"""The harness that runs inside the sandboxed child: the student's cells, then the probes.

It reports to the worker as a stream of frames on its result pipe (`cell_start`, `cell_end`,
`probe_start`, `probe_end`, `done`), so when the child dies the worker knows exactly which cell
or probe it died in. Student code can tamper with anything in this process; that is why nothing
it sends is trusted by the parent beyond plain data.
"""

from __future__ import annotations

import builtins
import linecache
import os
import signal
import sys
import time
import traceback
from dataclasses import replace
from typing import Any, NoReturn

from . import codec, compat, isolation, seccomp
from .forbid import Forbidden
from .limits import Limits
from .probes import call_probe, read_printed, seed_everything
from .protocol import encode_frame, read_frame

# Bound before any student code runs, so a student rebinding these names changes nothing here.
_write = os.write
_monotonic = time.monotonic
_encode_frame = encode_frame
_encode_value = codec.encode
_decode_value = codec.decode
_setitimer = signal.setitimer
_exit = os._exit
_getpid = os.getpid

CELL_PREFIX = "<cell "


class _Timeout(BaseException):
    """Raised by the SIGALRM handler when a cell or probe exceeds its soft budget."""


def _on_alarm(signum: int, frame: Any) -> None:
    raise _Timeout()


class _Channel:
    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.owner = os.getpid()

    def send(self, header: dict[str, Any], blobs: list[bytes] | None = None) -> None:
        if _getpid() != self.owner:
            _exit(0)  # a process the student forked never speaks for the notebook
        data = memoryview(_encode_frame(header, blobs or []))
        try:
            while data:
                data = data[_write(self.fd, data):]
        except OSError:
            _exit(71)  # the worker is gone or the student closed our pipe: nothing left to do


def _student_traceback(exc: BaseException) -> str:
    """The traceback cut to frames in the student's own cells, plus the exception line."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(CELL_PREFIX)]
    lines = traceback.format_list(frames) if frames else []
    lines += traceback.format_exception_only(type(exc), exc)
    text = "".join(lines)
    return text if len(text) < 8000 else text[:3000] + "\n…\n" + text[-3000:]


def _error(exc: BaseException) -> dict[str, Any]:
    try:
        message = str(exc)
    except BaseException:
        message = "<unprintable exception>"
    return {"type": type(exc).__name__[:100], "message": message[:2000], "traceback": _student_traceback(exc)}


def _arm(seconds: float) -> None:
    _setitimer(signal.ITIMER_REAL, max(seconds, 0.001))


def _disarm() -> None:
    _setitimer(signal.ITIMER_REAL, 0)


def _seed(seed: int) -> None:
    seed_everything(seed)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)


def _refuse_input(prompt: Any = "") -> str:
    raise RuntimeError("input() cannot be answered while grading: give the value in the code instead")


class _NoIPython:
    """Stands in for get_ipython(): every magic call is a no-op."""

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


def _prepare_builtins() -> None:
    builtins.input = _refuse_input  # type: ignore[assignment]
    builtins.display = lambda *args, **kwargs: None  # type: ignore[attr-defined]
    builtins.get_ipython = lambda: _NoIPython()  # type: ignore[attr-defined]


def _run_cells(channel: _Channel, cells: list[dict[str, Any]], namespace: dict[str, Any], limits: Limits) -> None:
    for cell in cells:
        index = cell["index"]
        if cell.get("skip"):
            continue
        channel.send({"event": "cell_start", "index": index})
        filename = f"{CELL_PREFIX}{index + 1}>"  # numbered as the student counts cells
        source = cell["source"]
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        started = _monotonic()
        status, error = "ok", None
        try:
            code = compile(source, filename, "exec", dont_inherit=True)
            _arm(limits.cell_seconds)
            try:
                exec(code, namespace)
            finally:
                _disarm()
        except _Timeout:
            status = "timeout"
        except BaseException as exc:  # SystemExit and KeyboardInterrupt too: the cell failed
            status, error = "error", _error(exc)
        channel.send({"event": "cell_end", "index": index, "status": status, "error": error,
                      "seconds": _monotonic() - started})


def _run_probe(channel: _Channel, probe: dict[str, Any], blobs: list[bytes], namespace: dict[str, Any],
               limits: Limits, forbidden: Forbidden) -> None:
    started = _monotonic()
    status, value, error = "error", None, None
    forbidden.active = frozenset(probe.get("forbid", ()))
    forbidden.used = set()
    printed = _Printed() if probe.get("capture") else None
    try:
        _arm(probe.get("timeout") or limits.probe_seconds)
        try:
            args = _decode_value(probe.get("args", {"$tuple": []}), blobs)
            kwargs = _decode_value(probe.get("kwargs", {"$dict": []}), blobs)
            with forbidden.recording():
                if printed is not None:
                    printed.start()
                status, result = call_probe(probe["kind"], probe.get("name", ""), probe.get("source"), namespace,
                                                    args, kwargs)
            value = _encode_value(result)
        finally:
            _disarm()
    except _Timeout:
        status = "timeout"
    except BaseException as exc:
        status, error = "error", _error(exc)
    text = printed.stop() if printed is not None else ""
    forbidden.active = frozenset()
    tree, value_blobs = value if value is not None else (None, [])
    channel.send({"event": "probe_end", "id": probe.get("id"), "status": status, "value": tree, "error": error,
                  "seconds": _monotonic() - started, "forbidden_used": sorted(forbidden.used), "printed": text},
                 value_blobs)


class _Printed:
    """What the code prints (stdout) during one probe, kept in memory and read back capped."""

    LIMIT = 64 * 1024

    def __init__(self) -> None:
        self.fd = -1

    def start(self) -> None:
        self.fd = os.memfd_create("printed", os.MFD_CLOEXEC)
        os.dup2(self.fd, 1)

    def stop(self) -> str:
        if self.fd < 0:
            return ""
        text = read_printed(self.fd, self.LIMIT)
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 1)
            os.close(null)
            os.close(self.fd)
        except OSError:
            pass
        return text


def _close_all_but(keep: set[int]) -> None:
    low = 3
    for fd in sorted(keep) + [65536]:
        if fd >= low:
            os.closerange(low, fd)
            low = fd + 1


def run(job_fd: int, result_fd: int, stdout_fd: int, stderr_fd: int, plan: isolation.Plan,
        pid_one: bool = False) -> NoReturn:
    """Entry point in the freshly forked child. Never returns.

    The child waits for its set-up (masks, support files, the size of /tmp: nothing of any
    student), isolates itself (namespaces, its own root, its own uid, scrubbed interpreter,
    seccomp filter), then waits for the notebook on `job_fd`. So a supervisor forks the child
    before it reads anything, and the child is ready before its job arrives.

    With `pid_one`, the supervisor forked us as process 1 of a new PID namespace; otherwise the
    namespaces are made here and we continue in process 1 of a new one, a relay left outside.
    """
    channel = _Channel(result_fd)
    try:
        os.setsid()
        os.dup2(stdout_fd, 1)
        os.dup2(stderr_fd, 2)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        _close_all_but({result_fd, job_fd})
        isolation.die_with_parent()
        isolation.first_to_go()
    except BaseException:
        _exit(72)
    try:
        setup = read_frame(job_fd).header
        plan = replace(plan, hide=tuple(str(p) for p in setup.get("hide", ())),
                       files=tuple((str(a), str(b)) for a, b in setup.get("files", ())))
        tmpfs = Limits(tmpfs_bytes=int(setup.get("tmpfs_bytes") or Limits().tmpfs_bytes))
        del setup
    except BaseException:
        _exit(73)  # the worker went away, or gave this child up
    try:
        base = isolation.processes_now(plan.level)
        isolation.apply_namespaces(plan, tmpfs, pid_one)
        channel.owner = _getpid()  # after a fork into a new PID namespace, the notebook is us
        isolation.drop_privileges(plan)
        isolation.finish_privileges()
        if plan.seccomp is not None:
            seccomp.load(plan.seccomp)
        isolation.scrub_process(plan)
        isolation.link_files(plan)
        signal.signal(signal.SIGALRM, _on_alarm)
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGPIPE):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a file over its size cap fails to grow; no kill
        _prepare_builtins()
    except BaseException as exc:
        channel.owner = _getpid()
        channel.send({"event": "setup_failed", "error": _error(exc)})
        _exit(72)
    _execute(job_fd, channel, plan, base)


def _execute(job_fd: int, channel: _Channel, plan: isolation.Plan, base: int) -> NoReturn:
    try:
        header = read_frame(job_fd).header
    except BaseException:
        _exit(73)
    try:
        limits = Limits.from_json(header["limits"])
        isolation.apply_rlimits(limits, plan.level, base)
        survey = header.get("forbid_survey")
        forbidden = Forbidden({str(name) for name in header.get("forbid", ())},
                              survey if isinstance(survey, dict) else None)
        forbidden.install()
        compat.apply(tuple(header.get("compat", ())))
        isolation.install_audit_hook(plan)
        _seed(int(header["seed"]))
        sys.stdout = open(1, "w", encoding="utf-8", errors="replace", closefd=False, buffering=1)
        sys.stderr = open(2, "w", encoding="utf-8", errors="replace", closefd=False, buffering=1)
        channel.send({"event": "ready", "level": plan.level})
    except BaseException as exc:
        channel.send({"event": "setup_failed", "error": _error(exc)})
        _exit(72)

    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
    cells = header.get("cells", [])
    del header  # no frame of ours keeps the job; the cells' code stays, as in any notebook
    _run_cells(channel, cells, namespace, limits)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:
        pass
    # What the student's functions print while probed stays private unless a probe keeps it: it
    # could echo hidden inputs.
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.dup2(null, 2)
    except OSError:
        pass
    forbidden.install()
    forbidden.rebind(namespace)
    channel.send({"event": "cells_done"})
    # Each probe arrives only when its turn comes: its inputs and nothing of the others.
    while True:
        try:
            frame = read_frame(job_fd)
        except BaseException:
            _exit(73)
        if frame.header.get("cmd") != "probe":
            break
        _run_probe(channel, frame.header["probe"], frame.blobs, namespace, limits, forbidden)
        del frame
    channel.send({"event": "done"})
    _exit(0)
