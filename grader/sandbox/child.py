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
import random
import signal
import sys
import time
import traceback
from typing import Any, NoReturn

from . import codec, isolation
from .limits import Limits
from .protocol import Frame, encode_frame, read_frame

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
    random.seed(seed)
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed(seed % 2**32)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.manual_seed(seed)
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


class _Forbidden:
    """Wraps forbidden library functions to record their use during the probe that forbids them."""

    def __init__(self, names: set[str]) -> None:
        self.names = names
        self.active: frozenset[str] = frozenset()
        self.used: set[str] = set()
        self.originals: dict[int, str] = {}
        self.wrappers: dict[str, Any] = {}

    def install(self) -> None:
        for dotted in self.names:
            if dotted in self.wrappers:
                continue
            owner, attr = self._resolve(dotted)
            if owner is None:
                continue
            original = getattr(owner, attr)
            wrapper = self._wrap(dotted, original)
            try:
                setattr(owner, attr, wrapper)
            except (AttributeError, TypeError):
                continue
            self.originals[id(original)] = dotted
            self.wrappers[dotted] = wrapper

    def rebind(self, namespace: dict[str, Any]) -> None:
        """Names the student imported directly (`from scipy.special import expit`)."""
        for key, value in list(namespace.items()):
            dotted = self.originals.get(id(value))
            if dotted is not None:
                namespace[key] = self.wrappers[dotted]

    def _resolve(self, dotted: str) -> tuple[Any, str]:
        parts = dotted.split(".")
        obj: Any = sys.modules.get(parts[0])
        for i, part in enumerate(parts[1:-1], start=1):
            if obj is None:
                return None, ""
            obj = getattr(obj, part, None) or sys.modules.get(".".join(parts[: i + 1]))
        if obj is None or not hasattr(obj, parts[-1]):
            return None, ""
        return obj, parts[-1]

    def _wrap(self, dotted: str, original: Any) -> Any:
        recorder = self

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if dotted in recorder.active:
                recorder.used.add(dotted)
            return original(*args, **kwargs)

        wrapper.__name__ = getattr(original, "__name__", dotted.rsplit(".", 1)[-1])
        wrapper.__doc__ = getattr(original, "__doc__", None)
        return wrapper


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


def _call_probe(probe: dict[str, Any], namespace: dict[str, Any], args: Any, kwargs: Any) -> tuple[str, Any]:
    kind = probe["kind"]
    if kind == "script":
        scope: dict[str, Any] = {"__builtins__": builtins, "__name__": "probe"}
        for module in ("numpy", "torch"):
            if module in sys.modules:
                scope["np" if module == "numpy" else module] = sys.modules[module]
        exec(compile(probe["source"], "<probe>", "exec", dont_inherit=True), scope)
        return "ok", scope["probe"](namespace, *args, **kwargs)
    name = probe["name"]
    if name not in namespace:
        return "missing", None
    target = namespace[name]
    if kind == "variable":
        sympy = sys.modules.get("sympy")
        if sympy is not None and isinstance(target, sympy.Basic):
            return "ok", {"sympy": str(target)}
        return "ok", target
    if not callable(target):
        return "not_callable", {"$type": codec._safe_type_name(target)}
    return "ok", target(*args, **kwargs)


def _run_probes(channel: _Channel, probes: list[dict[str, Any]], blobs: list[bytes], namespace: dict[str, Any],
                limits: Limits, forbidden: _Forbidden) -> None:
    for probe in probes:
        if probe.get("skip"):
            continue
        channel.send({"event": "probe_start", "id": probe["id"]})
        started = _monotonic()
        status, value, error = "error", None, None
        forbidden.active = frozenset(probe.get("forbid", ()))
        forbidden.used = set()
        try:
            _arm(probe.get("timeout") or limits.probe_seconds)
            try:
                args = _decode_value(probe.get("args", {"$tuple": []}), blobs)
                kwargs = _decode_value(probe.get("kwargs", {"$dict": []}), blobs)
                status, result = _call_probe(probe, namespace, args, kwargs)
                value = _encode_value(result)
            finally:
                _disarm()
        except _Timeout:
            status = "timeout"
        except BaseException as exc:
            status, error = "error", _error(exc)
        forbidden.active = frozenset()
        tree, value_blobs = value if value is not None else (None, [])
        channel.send({"event": "probe_end", "id": probe["id"], "status": status, "value": tree, "error": error,
                      "seconds": _monotonic() - started, "forbidden_used": sorted(forbidden.used)}, value_blobs)


def _close_all_but(keep: set[int]) -> None:
    low = 3
    for fd in sorted(keep) + [65536]:
        if fd >= low:
            os.closerange(low, fd)
            low = fd + 1


def run(job_fd: int, result_fd: int, stdout_fd: int, stderr_fd: int, plan: isolation.Plan,
        setup: Limits, pid_one: bool = False) -> NoReturn:
    """Entry point in the freshly forked child. Never returns.

    The child isolates itself first (namespaces, masks, its own uid, scrubbed interpreter: none
    of it depends on the job, `setup` only sizes /tmp), then waits for the job on `job_fd`. So a
    worker can fork the next child while the current one runs, and hand it the job ready made.

    With `pid_one`, the worker forked us as process 1 of a new PID namespace and we run the
    notebook ourselves; otherwise, with a new namespace made here, the notebook runs in a
    grandchild (`enter_pid_namespace`).
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
        if pid_one:
            isolation.apply_namespaces(plan, setup, pid_namespace=False)
            isolation.mount_proc()
        elif isolation.apply_namespaces(plan, setup):
            isolation.enter_pid_namespace()
            channel.owner = _getpid()  # the notebook runs in a grandchild, inside the namespace
        isolation.drop_privileges(plan)
        isolation.finish_privileges()
        isolation.scrub_process(plan)
        signal.signal(signal.SIGALRM, _on_alarm)
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGPIPE):
            signal.signal(sig, signal.SIG_DFL)
        _prepare_builtins()
    except BaseException as exc:
        channel.send({"event": "setup_failed", "error": _error(exc)})
        _exit(72)
    try:
        job = read_frame(job_fd)
        os.close(job_fd)
    except BaseException:
        _exit(73)  # the worker went away, or gave this child up
    _execute(job, channel, plan)


def _execute(job: Frame, channel: _Channel, plan: isolation.Plan) -> NoReturn:
    try:
        header = job.header
        limits = Limits.from_json(header["limits"])
        isolation.apply_rlimits(limits, plan.level)
        forbidden = _Forbidden({name for p in header["probes"] for name in p.get("forbid", ())})
        forbidden.install()
        isolation.install_audit_hook(plan)
        _seed(int(header["seed"]))
        sys.stdout = open(1, "w", encoding="utf-8", errors="replace", closefd=False, buffering=1)
        sys.stderr = open(2, "w", encoding="utf-8", errors="replace", closefd=False, buffering=1)
        channel.send({"event": "ready", "level": plan.level})
    except BaseException as exc:
        channel.send({"event": "setup_failed", "error": _error(exc)})
        _exit(72)

    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
    _run_cells(channel, header["cells"], namespace, limits)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:
        pass
    channel.send({"event": "cells_done"})
    # What the student's functions print while probed stays private: it could echo hidden inputs.
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.dup2(null, 2)
    except OSError:
        pass
    forbidden.install()
    forbidden.rebind(namespace)
    _run_probes(channel, header["probes"], job.blobs, namespace, limits, forbidden)
    channel.send({"event": "done"})
    _exit(0)
