"""Run callables in forked children with hard limits, and get their JSON results back.

:func:`run_each` runs several calls, each under limits of its own: a few worker children (forked
once, so that what one call leaves in sympy's caches helps the next) take the calls one at a time
from the parent, which gives each call its own wall-clock deadline and each worker a processor
limit that restarts with every call. A call that passes its deadline or its limit takes its worker
down with it, and a fresh worker carries on with the calls still waiting: a call costs at most its
own budget, and costs no other call anything but a share of the machine.

A worker gets ``RLIMIT_AS`` (memory above what the process already maps), ``RLIMIT_CPU``, no
core files and no file writes; the parent reads at most ``max_output`` bytes of each result and
decodes them as JSON. Nothing from a child is unpickled.

Forking (rather than spawning) is deliberate: the child starts with sympy already imported and
the spec already compiled, in milliseconds. The child only ever runs sympy and our own code.
POSIX only; the memory limit needs Linux's ``/proc/self/statm`` to know the current size.
"""

from __future__ import annotations

import json
import math
import os
import resource
import select
import signal
import struct
import time
from collections import deque
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


def _worker(fns: Sequence[Callable[[], JSONValue]], limits: Limits, tasks_fd: int, results_fd: int) -> None:
    """Runs in a worker child: answers each call index the parent sends with one framed result.
    Never returns (``os._exit``), so no parent code runs twice."""
    code = 0
    try:
        signal.signal(signal.SIGXCPU, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
        size = _current_size()
        if size is not None:
            cap = size + limits.memory_bytes
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        _, cpu_hard = resource.getrlimit(resource.RLIMIT_CPU)
        while True:
            wanted = _read_exactly(tasks_fd, 4)
            if wanted is None:
                break
            (index,) = struct.unpack(">I", wanted)
            # Each call gets the whole processor budget, counted from what the worker has used.
            used = resource.getrusage(resource.RUSAGE_SELF)
            soft = math.ceil(used.ru_utime + used.ru_stime) + max(1, int(limits.cpu_s))
            resource.setrlimit(resource.RLIMIT_CPU, (soft if cpu_hard == resource.RLIM_INFINITY
                                                     else min(soft, cpu_hard), cpu_hard))
            _write_all(results_fd, _framed(_call(fns[index])))
    except BaseException:  # noqa: BLE001 - even a failing write must end in _exit
        code = 1
    finally:
        os._exit(code)


def _call(fn: Callable[[], JSONValue]) -> bytes:
    try:
        return json.dumps({"ok": True, "value": fn()}, allow_nan=False).encode()
    except MemoryError:
        return b'{"ok": false, "failure": "memory"}'
    except BaseException as exc:  # noqa: BLE001 - anything the callable does is reported
        return json.dumps({"ok": False, "failure": "crashed", "detail": type(exc).__name__}).encode()


def _framed(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def _read_exactly(fd: int, n: int) -> bytes | None:
    data = b""
    while len(data) < n:
        chunk = os.read(fd, n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def run_bounded(fn: Callable[[], JSONValue], limits: Limits = Limits()) -> BoundedResult:
    """Call ``fn()`` in a forked child under ``limits``; return its JSON value or the failure.

    ``fn`` must return something ``json.dumps`` accepts (no NaN). An exception in the child is
    reported as ``crashed`` with the exception's type name only.
    """
    return run_each([fn], limits, parallel=1)[0]


@dataclass
class _Worker:
    """A worker child, seen from the parent: the call it is on and what it has sent of the result."""

    pid: int
    tasks_fd: int
    results_fd: int
    index: int = -1
    started: float = 0.0
    buffer: bytearray = field(default_factory=bytearray)

    @classmethod
    def start(cls, fns: Sequence[Callable[[], JSONValue]], limits: Limits) -> _Worker:
        tasks_read, tasks_write = os.pipe()
        results_read, results_write = os.pipe()
        pid = os.fork()
        if pid == 0:  # child
            os.close(tasks_write)
            os.close(results_read)
            _worker(fns, limits, tasks_read, results_write)
        os.close(tasks_read)
        os.close(results_write)
        return cls(pid, tasks_write, results_read)

    def give(self, index: int) -> bool:
        """Send the next call; False when the worker is gone."""
        self.index, self.started = index, time.monotonic()
        self.buffer.clear()
        try:
            _write_all(self.tasks_fd, struct.pack(">I", index))
        except OSError:
            return False
        return True

    def result(self, limits: Limits) -> bytes | None:
        """The current call's result, once all of it has arrived."""
        if len(self.buffer) < 4:
            return None
        (size,) = struct.unpack(">I", self.buffer[:4])
        if size > limits.max_output:
            raise OverflowError(size)
        if len(self.buffer) < 4 + size:
            return None
        return bytes(self.buffer[4:4 + size])

    def end(self) -> int:
        """Stop the worker (it has nothing left to do, or must not go on) and reap it."""
        for fd in (self.tasks_fd, self.results_fd):
            try:
                os.close(fd)
            except OSError:
                pass
        _kill(self.pid)
        try:
            _, status = os.waitpid(self.pid, 0)
        except ChildProcessError:
            status = 0  # reaped elsewhere (SIGCHLD ignored by the host)
        return status


def run_each(
    fns: Sequence[Callable[[], JSONValue]], limits: Limits = Limits(), *, parallel: int = 2
) -> list[BoundedResult]:
    """Call each of ``fns`` under the whole of ``limits`` in at most ``parallel`` worker children
    (see the module's docstring); the results come back in the order of ``fns``.

    n calls take at most about n budgets / ``parallel``, and a call that uses up its budget
    changes no other call's result.
    """
    results: list[BoundedResult | None] = [None] * len(fns)
    waiting = deque(range(len(fns)))
    workers: dict[int, _Worker] = {}

    def finish(worker: _Worker, result: BoundedResult, stop: bool) -> None:
        results[worker.index] = result
        if stop or not waiting:
            del workers[worker.results_fd]
            worker.end()
        elif not worker.give(waiting.popleft()):
            waiting.appendleft(worker.index)
            del workers[worker.results_fd]
            worker.end()

    try:
        while waiting or workers:
            while waiting and len(workers) < max(1, parallel):
                worker = _Worker.start(fns, limits)
                workers[worker.results_fd] = worker
                if not worker.give(waiting.popleft()):
                    waiting.appendleft(worker.index)
                    del workers[worker.results_fd]
                    worker.end()
            now = time.monotonic()
            for worker in [w for w in workers.values() if now - w.started >= limits.wall_s]:
                finish(worker, BoundedResult(failure="timeout", detail=f"after {now - worker.started:.1f} s",
                                             elapsed_s=now - worker.started), stop=True)
            if not workers:
                continue
            left = min(w.started + limits.wall_s for w in workers.values()) - time.monotonic()
            ready, _, _ = select.select(list(workers), [], [], max(left, 0.0))
            for fd in ready:
                worker = workers[fd]
                chunk = os.read(fd, 65536)
                elapsed = time.monotonic() - worker.started
                if not chunk:  # the worker died on this call
                    del workers[fd]
                    results[worker.index] = _death(worker.end(), elapsed)
                    continue
                worker.buffer += chunk
                try:
                    data = worker.result(limits)
                except OverflowError:
                    finish(worker, BoundedResult(failure="output", elapsed_s=elapsed), stop=True)
                    continue
                if data is not None:
                    finish(worker, _decode(data, elapsed), stop=False)
    finally:
        for worker in workers.values():  # only on an exception of our own: leave no child behind
            worker.end()
    return [r if r is not None else BoundedResult(failure="crashed") for r in results]


def _death(status: int, elapsed: float) -> BoundedResult:
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        kind: Failure = "cpu" if sig in (signal.SIGXCPU, signal.SIGKILL) else "crashed"
        return BoundedResult(failure=kind, detail=f"signal {sig}", elapsed_s=elapsed)
    return BoundedResult(failure="crashed", detail="no result", elapsed_s=elapsed)


def _decode(data: bytes, elapsed: float) -> BoundedResult:
    try:
        message = json.loads(data)
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
