"""Run a callable in a forked child with hard limits, and get its JSON result back;
:func:`run_each` runs several, each in a child of its own under limits of its own, a few at a time.

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, TypeAlias

__all__ = ["BoundedResult", "Failure", "JSONValue", "Limits", "run_bounded", "run_each"]

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
    return run_each([fn], limits, parallel=1)[0]


@dataclass
class _Running:
    """A child the parent is reading from."""

    index: int
    pid: int
    fd: int
    start: float
    chunks: list[bytes] = field(default_factory=list)
    size: int = 0


def run_each(
    fns: Sequence[Callable[[], JSONValue]], limits: Limits = Limits(), *, parallel: int = 2
) -> list[BoundedResult]:
    """Call each of ``fns`` in a forked child of its own, each under the whole of ``limits``, at
    most ``parallel`` at a time; the results come back in order.

    One call that uses up its limits costs only its own budget: the others run beside it (or
    after it) with budgets of their own, so n calls take at most about n budgets / ``parallel``.
    """
    results: list[BoundedResult | None] = [None] * len(fns)
    waiting = list(range(len(fns)))
    waiting.reverse()
    running: dict[int, _Running] = {}
    try:
        while waiting or running:
            while waiting and len(running) < max(1, parallel):
                child = _start(waiting.pop(), fns, limits)
                running[child.fd] = child
            now = time.monotonic()
            for child in [c for c in running.values() if now - c.start >= limits.wall_s]:
                del running[child.fd]
                results[child.index] = _finish(child, limits, "timeout")
            if not running:
                continue
            left = min(c.start + limits.wall_s for c in running.values()) - now
            ready, _, _ = select.select(list(running), [], [], max(left, 0.0))
            for fd in ready:
                child = running[fd]
                chunk = os.read(fd, 65536)
                child.size += len(chunk)
                if chunk and child.size <= limits.max_output:
                    child.chunks.append(chunk)
                    continue
                del running[fd]
                results[child.index] = _finish(child, limits, None if not chunk else "output")
    finally:
        for child in running.values():  # only on an exception of our own: leave no child behind
            _finish(child, limits, "crashed")
    return [r if r is not None else BoundedResult(failure="crashed") for r in results]


def _start(index: int, fns: Sequence[Callable[[], JSONValue]], limits: Limits) -> _Running:
    read_fd, write_fd = os.pipe()
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read_fd)
        _child(fns[index], limits, write_fd)
    os.close(write_fd)
    return _Running(index, pid, read_fd, start)


def _finish(child: _Running, limits: Limits, failure: Failure | None) -> BoundedResult:
    """Close the child's pipe, reap it (killed first when it failed), and read its verdict."""
    os.close(child.fd)
    if failure is not None:
        _kill(child.pid)
    try:
        _, status = os.waitpid(child.pid, 0)
    except ChildProcessError:
        status = 0  # reaped elsewhere (SIGCHLD ignored by the host): judge by the output
    elapsed = time.monotonic() - child.start
    if failure is not None:
        return BoundedResult(failure=failure, detail=f"after {elapsed:.1f} s", elapsed_s=elapsed)
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        kind: Failure = "cpu" if sig in (signal.SIGXCPU, signal.SIGKILL) else "crashed"
        return BoundedResult(failure=kind, detail=f"signal {sig}", elapsed_s=elapsed)
    try:
        message = json.loads(b"".join(child.chunks))
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
