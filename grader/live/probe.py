"""One probe of `grader.check()`: the student's function called in a forked child of the kernel.

The child inherits the kernel's memory, so it sees every function and variable as the student
left them, saved or not. It runs under the exercise's rlimits (memory, CPU, processes, file
size, open files), with a soft alarm for Python loops; the kernel kills its whole process group
when the wall-clock deadline passes, and reads back one frame of plain data over a pipe (the
sandbox's codec: JSON and raw numeric arrays, never pickle). So an endless loop, a memory bomb or
`os._exit` costs that one test, never the kernel.

Where there is no `fork` (Windows), the probe runs in the kernel itself, stopped by a timer that
interrupts Python code (a long call into native code is not stopped), with no memory limit; the
report says so.
"""

from __future__ import annotations

import _thread
import builtins
import faulthandler
import io
import os
import random
import select
import signal
import sys
import tempfile
import threading
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from ..sandbox import codec
from ..sandbox.limits import Limits
from ..sandbox.probes import call_probe as shared_call_probe
from ..sandbox.probes import read_printed, seed_everything
from ..sandbox.protocol import FrameBuffer, ProtocolError, encode_frame
from ..sandbox.runner import ErrorInfo, Probe, ProbeRun, clean_text
from .kernel import running_shell

CAN_FORK = hasattr(os, "fork") and sys.platform != "win32"
PRINTED_LIMIT = 64 * 1024
_GRADER = str(Path(__file__).resolve().parent.parent)


class _Timeout(BaseException):
    """The soft alarm fired inside the child."""


class _Exit(BaseException):
    """`os._exit` called by a probe that runs inside the kernel."""


def call_probe(probe: Probe, namespace: dict[str, Any]) -> tuple[str, Any]:
    """What the sandbox's child does with one probe, against `namespace`: call the function, read
    the variable, or run the trusted script (one implementation for both)."""
    return shared_call_probe(probe.kind, probe.name, probe.source, namespace, probe.args, probe.kwargs)


def _cell_name(filename: str) -> str:
    """"Cell In[5]" for a kernel's cell file, as IPython writes it; the file name otherwise."""
    shell = running_shell()
    namer = getattr(getattr(shell, "compile", None), "format_code_name", None)
    if namer is not None:
        try:
            named = namer(filename)
            if named:
                return f"{named[0]} {named[1]}"
        except Exception:
            pass
    return filename


def _theirs(filename: str) -> bool:
    """A frame of the student's: a cell or a module of theirs, not Python's, a package's or ours."""
    if filename.startswith("<") and not filename.startswith("<ipython-input-"):
        return False
    prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix, _GRADER}
    return not any(filename.startswith(p + os.sep) for p in prefixes if p)


def error_info(exc: BaseException) -> dict[str, Any]:
    try:
        message = str(exc)
    except BaseException:
        message = "<unprintable exception>"
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if _theirs(f.filename)]
    lines = [f'  {_cell_name(f.filename)}, line {f.lineno}, in {f.name}\n' + (f"    {f.line}\n" if f.line else "")
             for f in frames]
    lines += traceback.format_exception_only(type(exc), exc)
    text = "".join(lines)
    text = text if len(text) < 8000 else text[:3000] + "\n…\n" + text[-3000:]
    return {"type": type(exc).__name__[:100], "message": message[:2000], "traceback": text}


@dataclass
class Runner:
    """Runs the probes of one check, each with its own deadline, all within the check's budget."""

    namespace: dict[str, Any]
    limits: Limits
    seed: int
    forbid: frozenset[str]
    fork: bool = CAN_FORK
    student_seconds: float = 0.0

    def __post_init__(self) -> None:
        self.budget_end = time.monotonic() + self.limits.notebook_seconds
        self.processes = 0
        if self.fork:
            # Imported and counted once here rather than in every child.
            from ..sandbox import forbid, isolation  # noqa: F401

            try:
                self.processes = isolation.processes_now("basic")
            except OSError:
                pass

    def run(self, probe: Probe) -> ProbeRun:
        if time.monotonic() >= self.budget_end:
            return ProbeRun(probe.id, "crashed", reason="notebook_timeout")
        started = time.monotonic()
        try:
            return self._forked(probe) if self.fork else self._here(probe)
        finally:
            self.student_seconds += time.monotonic() - started

    # -- in a child of the kernel ---------------------------------------------------------------

    def _forked(self, probe: Probe) -> ProbeRun:
        timeout = probe.timeout or self.limits.probe_seconds
        read_fd, write_fd = os.pipe()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # a kernel has threads; the child uses none of theirs
            pid = os.fork()
        if pid == 0:
            try:
                os.close(read_fd)
                _child(probe, self.namespace, self.limits, self.seed, self.forbid, timeout, write_fd, self.processes)
            finally:
                os._exit(70)
        os.close(write_fd)
        try:
            os.setpgid(pid, pid)  # also done in the child: whichever runs first
        except OSError:
            pass
        started = time.monotonic()
        deadline = min(started + timeout + self.limits.grace_seconds, self.budget_end)
        buffer = FrameBuffer(max_blobs=self.limits.result_bytes)
        frames: list[Any] = []
        stopped = ""
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    stopped = "timeout" if deadline < self.budget_end else "notebook_timeout"
                    break
                ready, _, _ = select.select([read_fd], [], [], left)
                if not ready:
                    continue
                chunk = os.read(read_fd, 1 << 20)
                if not chunk:
                    break
                if buffer.total + len(chunk) > self.limits.result_bytes + (1 << 20):
                    stopped = "result_too_large"
                    break
                try:
                    frames += buffer.feed(chunk)
                except ProtocolError:
                    stopped = "protocol"
                    break
        finally:
            os.close(read_fd)
            if stopped:
                _kill(pid)
            status = _reap(pid, deadline)
        seconds = time.monotonic() - started
        if stopped == "timeout":
            return ProbeRun(probe.id, "timeout", seconds=seconds, reason="timeout")
        if stopped:
            return ProbeRun(probe.id, "crashed", seconds=seconds, reason=stopped)
        answer = next((f for f in reversed(frames) if f.header.get("event") == "probe_end"), None)
        if answer is None:
            return ProbeRun(probe.id, "crashed", seconds=seconds, reason=_why_ended(status))
        return _decoded(probe.id, answer.header, answer.blobs, seconds)

    # -- in the kernel itself -------------------------------------------------------------------

    def _here(self, probe: Probe) -> ProbeRun:
        timeout = probe.timeout or self.limits.probe_seconds
        fired = threading.Event()

        def stop() -> None:
            fired.set()
            _thread.interrupt_main()

        timer = threading.Timer(min(timeout, max(self.budget_end - time.monotonic(), 0.001)), stop)
        states = _rng_states()
        exit_before = os._exit
        printed = io.StringIO()
        started = time.monotonic()
        status, value, error = "error", None, None
        try:
            try:
                os._exit = _refuse_exit  # type: ignore[assignment]
                seed_everything(self.seed)
                timer.start()
                with _redirect(printed):
                    status, result = call_probe(probe, self.namespace)
                tree, blobs = codec.encode(result)
                value = codec.decode(tree, blobs)
            finally:
                timer.cancel()
                os._exit = exit_before  # type: ignore[assignment]
                _restore(states)
        except KeyboardInterrupt:
            if not fired.is_set():
                raise
            status = "timeout"
        except _Exit as exc:
            return ProbeRun(probe.id, "crashed", seconds=time.monotonic() - started, reason=f"exit:{exc.args[0]}")
        except codec.CodecError as exc:
            return ProbeRun(probe.id, "unreadable", value=str(exc), seconds=time.monotonic() - started)
        except BaseException as exc:
            status, error = "error", error_info(exc)
        text = printed.getvalue()[:PRINTED_LIMIT] if probe.capture else ""
        kept = value if status in ("ok", "not_callable") else None
        return ProbeRun(probe.id, status, value=kept,  # type: ignore[arg-type]
                        seconds=time.monotonic() - started, error=_error(error), printed=text)


def _refuse_exit(code: int = 0) -> NoReturn:
    raise _Exit(code)


class _redirect:
    """stdout into `into`, stderr nowhere, while a probe runs inside the kernel."""

    def __init__(self, into: io.StringIO) -> None:
        self.into = into

    def __enter__(self) -> None:
        self.saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = self.into, io.StringIO()

    def __exit__(self, *exc: object) -> None:
        sys.stdout, sys.stderr = self.saved


def _rng_states() -> list[tuple[Callable[[Any], Any], Any]]:
    """The kernel's random states, put back after a probe ran inside it."""
    states: list[tuple[Callable[[Any], Any], Any]] = [(random.setstate, random.getstate())]
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        states.append((numpy.random.set_state, numpy.random.get_state()))
    torch = sys.modules.get("torch")
    if torch is not None:
        states.append((torch.set_rng_state, torch.get_rng_state()))
    return states


def _restore(states: list[tuple[Callable[[Any], Any], Any]]) -> None:
    for setter, state in states:
        setter(state)


def _error(data: Any) -> ErrorInfo | None:
    if not isinstance(data, dict):
        return None
    return ErrorInfo(clean_text(data.get("type", ""), 100), clean_text(data.get("message", ""), 2000),
                     clean_text(data.get("traceback", ""), 10000))


def _decoded(ident: str, header: dict[str, Any], blobs: list[bytes], seconds: float) -> ProbeRun:
    status = header.get("status")
    if status not in ("ok", "error", "timeout", "missing", "not_callable"):
        return ProbeRun(ident, "crashed", seconds=seconds, reason="protocol")
    forbidden = header.get("forbidden_used")
    forbidden_used = tuple(str(n)[:200] for n in forbidden) if isinstance(forbidden, list) else ()
    printed = clean_text(header.get("printed") or "", PRINTED_LIMIT)
    value: Any = None
    if status in ("ok", "not_callable"):
        try:
            value = codec.decode(header.get("value"), blobs)
        except (codec.CodecError, RecursionError) as exc:
            return ProbeRun(ident, "unreadable", value=str(exc), seconds=seconds)
    return ProbeRun(ident, status, value=value, seconds=seconds, error=_error(header.get("error")),
                    forbidden_used=forbidden_used, printed=printed)


def _kill(pid: int) -> None:
    for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            target()
        except OSError:
            pass


def _reap(pid: int, until: float) -> int:
    """The child's wait status; a child still running at `until` (it closed its pipe and went on)
    is killed. Its process group is killed either way: what it started ends with it."""
    while True:
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return 0
        if done:
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
            return status
        if time.monotonic() >= until:
            _kill(pid)
            _, status = os.waitpid(pid, 0)
            return status
        time.sleep(0.005)


def _why_ended(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"signal:{os.WTERMSIG(status)}"
    return f"exit:{os.WEXITSTATUS(status)}"


# -- the child ---------------------------------------------------------------------------------

def _on_alarm(signum: int, frame: Any) -> None:
    raise _Timeout()


def _child(probe: Probe, namespace: dict[str, Any], limits: Limits, seed: int, forbid: frozenset[str],
           timeout: float, write_fd: int, processes: int) -> NoReturn:
    """In the forked child: quiet the kernel's channels, apply the limits, run the probe, send one frame."""
    header: dict[str, Any] = {"event": "probe_end", "id": probe.id, "status": "error", "value": None,
                              "error": None, "forbidden_used": [], "printed": ""}
    blobs: list[bytes] = []
    printed_fd = -1
    try:
        try:
            os.setpgid(0, 0)
        except OSError:
            pass
        printed_fd = _quiet_kernel(probe.capture)
        _apply_limits(limits, processes)
        signal.signal(signal.SIGALRM, _on_alarm)
        seed_everything(seed)
        torch = sys.modules.get("torch")
        if torch is not None:
            torch.set_num_threads(1)
        recorder: Any = None
        if forbid:
            from ..sandbox.forbid import Forbidden

            recorder = Forbidden(set(forbid))
            recorder.install()
            recorder.rebind(namespace)
            recorder.active = frozenset(probe.forbid)
        signal.setitimer(signal.ITIMER_REAL, max(timeout, 0.001))
        try:
            if recorder is not None:
                with recorder.recording():
                    status, result = call_probe(probe, namespace)
            else:
                status, result = call_probe(probe, namespace)
            tree, blobs = codec.encode(result)
            header.update(status=status, value=tree)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        if recorder is not None:
            header["forbidden_used"] = sorted(recorder.used)
    except _Timeout:
        header.update(status="timeout", value=None)
        blobs = []
    except BaseException as exc:
        header.update(status="error", value=None, error=error_info(exc))
        blobs = []
    try:
        header["printed"] = read_printed(printed_fd, PRINTED_LIMIT)
        data = memoryview(encode_frame(header, blobs))
        while data:
            data = data[os.write(write_fd, data):]
    finally:
        os._exit(0)


def _quiet_kernel(capture: bool) -> int:
    """Nothing the child does may reach the kernel's front-end: its output streams, display and
    interrupt handling are the kernel's, so they are replaced. Returns the file that keeps what the
    probe prints (capturing probes), or -1."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)
    faulthandler.disable()  # the kernel's handler writes to the kernel's own log
    null = os.open(os.devnull, os.O_RDWR)
    printed = -1
    if capture:
        handle = tempfile.TemporaryFile()
        printed = os.dup(handle.fileno())
        handle.close()
        os.dup2(printed, 1)
    else:
        os.dup2(null, 1)
    os.dup2(null, 2)
    os.dup2(null, 0)
    os.close(null)
    sys.stdout = open(1, "w", encoding="utf-8", errors="replace", closefd=False, buffering=1)
    sys.stderr = open(2, "w", encoding="utf-8", errors="replace", closefd=False, buffering=1)
    sys.displayhook = lambda value: None
    builtins.display = lambda *args, **kwargs: None  # type: ignore[attr-defined]
    shell = running_shell()
    publisher = getattr(shell, "display_pub", None)
    if publisher is not None:
        try:
            publisher.publish = lambda *args, **kwargs: None
        except Exception:
            pass
    return printed


def _apply_limits(limits: Limits, processes: int) -> None:
    """The exercise's rlimits, as the sandbox applies them to a notebook's child at its "basic"
    level (`processes`: what the user runs already); where the system cannot say how much memory
    the process holds already, what can be applied is."""
    try:
        from ..sandbox import isolation

        isolation.apply_rlimits(limits, "basic", processes)
    except (OSError, ValueError):
        import resource

        for which, value in ((resource.RLIMIT_CPU, limits.cpu_seconds), (resource.RLIMIT_FSIZE, limits.file_bytes)):
            try:
                resource.setrlimit(which, (value, value))
            except (OSError, ValueError):
                pass
