"""Run a callable in a forked child with hard limits, and get its JSON result back.

The child gets ``RLIMIT_AS`` (memory above what the process already maps), ``RLIMIT_CPU``,
no core files and no file writes; the parent kills it after a wall-clock timeout, reads at most
``max_output`` bytes from a pipe, and decodes them as JSON. Nothing from the child is unpickled.

Forking (rather than spawning) is deliberate: the child starts with sympy already imported and
the spec already compiled, in milliseconds. The child only ever runs sympy and our own code.
POSIX only; the memory limit needs Linux's ``/proc/self/statm`` to know the current size.
"""

from __future__ import annotations

import json
import os
import resource
import select
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Literal, TypeAlias

__all__ = ["Limits", "BoundedResult", "Failure", "run_bounded", "JSONValue"]

JSONValue: TypeAlias = Any
"""What ``json.dumps`` accepts (kept loose: the child's result is validated by the caller)."""

Failure: TypeAlias = Literal["timeout", "cpu", "memory", "crashed", "output", "decode"]

_MiB: Final = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Hard bounds for one child. ``memory_bytes`` is added to the size the process already
    has when it forks (a grader that imported torch maps gigabytes it will never touch)."""

    wall_s: float = 20.0
    cpu_s: int = 15
    memory_bytes: int = 768 * _MiB
    max_output: int = 1 * _MiB


@dataclass(frozen=True)
class BoundedResult:
    """``value`` when the child finished (``failure is None``); else why it did not."""

    value: JSONValue = None
    failure: Failure | None = None
    detail: str = ""
    elapsed_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.failure is None


def _current_size() -> int | None:
    try:
        with open("/proc/self/statm", "rb") as fh:
            pages = int(fh.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")


def _child(fn: Callable[[], JSONValue], limits: Limits, write_fd: int) -> None:
    """Runs in the child; never returns (``os._exit``), so no parent code runs twice."""
    code = 0
    try:
        signal.signal(signal.SIGXCPU, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
        cpu = max(1, int(limits.cpu_s))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        size = _current_size()
        if size is not None:
            cap = size + limits.memory_bytes
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        try:
            payload = {"ok": True, "value": fn()}
            data = json.dumps(payload, allow_nan=False).encode()
        except MemoryError:
            data = b'{"ok": false, "failure": "memory"}'
        except BaseException as exc:  # noqa: BLE001 - anything the callable does is reported
            data = json.dumps(
                {"ok": False, "failure": "crashed", "detail": type(exc).__name__}
            ).encode()
        view = memoryview(data)
        while view:
            written = os.write(write_fd, view)
            view = view[written:]
    except BaseException:  # noqa: BLE001 - even a failing write must end in _exit
        code = 1
    finally:
        os._exit(code)


def run_bounded(fn: Callable[[], JSONValue], limits: Limits = Limits()) -> BoundedResult:
    """Call ``fn()`` in a forked child under ``limits``; return its JSON value or the failure.

    ``fn`` must return something ``json.dumps`` accepts (no NaN). An exception in the child is
    reported as ``crashed`` with the exception's type name only.
    """
    read_fd, write_fd = os.pipe()
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read_fd)
        _child(fn, limits, write_fd)
    os.close(write_fd)
    chunks: list[bytes] = []
    size = 0
    failure: Failure | None = None
    deadline = start + limits.wall_s
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                failure = "timeout"
                break
            ready, _, _ = select.select([read_fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(read_fd, 65536)
            if not chunk:
                break
            size += len(chunk)
            if size > limits.max_output:
                failure = "output"
                break
            chunks.append(chunk)
    finally:
        os.close(read_fd)
        if failure is not None:
            _kill(pid)
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:
            status = 0  # reaped elsewhere (SIGCHLD ignored by the host): judge by the output
    elapsed = time.monotonic() - start
    if failure is not None:
        return BoundedResult(failure=failure, detail=f"after {elapsed:.1f} s", elapsed_s=elapsed)
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        kind: Failure = "cpu" if sig in (signal.SIGXCPU, signal.SIGKILL) else "crashed"
        return BoundedResult(failure=kind, detail=f"signal {sig}", elapsed_s=elapsed)
    try:
        message = json.loads(b"".join(chunks))
    except (ValueError, RecursionError):
        return BoundedResult(failure="decode", detail="no valid JSON", elapsed_s=elapsed)
    if not isinstance(message, dict) or not isinstance(message.get("ok"), bool):
        return BoundedResult(failure="decode", detail="unexpected JSON", elapsed_s=elapsed)
    if message["ok"]:
        return BoundedResult(value=message.get("value"), elapsed_s=elapsed)
    reported = message.get("failure")
    detail = message.get("detail")
    return BoundedResult(
        failure="memory" if reported == "memory" else "crashed",
        detail=detail if isinstance(detail, str) else "",
        elapsed_s=elapsed,
    )


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
