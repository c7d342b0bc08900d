"""`grader doctor`: which protections the sandbox gives on this machine, and the limits it applies.

Nothing here is taken on the platform's word: a real worker is started as `grade` starts one, and
a diagnostic notebook runs in a real child, trying what a hostile notebook would try (write into
the interpreter's folders and the grader's home, list the folder the interpreter lives in,
connect to a socket the doctor listens on, add a kernel key, count the processes it sees). Each
row says what was observed.
"""

from __future__ import annotations

import os
import socket
import sys
from typing import Any

from .limits import Limits

# Runs in the child as a trusted probe: it reports, it does not judge.
DIAGNOSTIC = r'''
def probe(ns, home, port, prefix):
    import os, socket, sys
    seen = {}

    def attempt(key, fn):
        try:
            seen[key] = fn()
        except Exception as exc:
            seen[key] = None
            seen[key + "_error"] = type(exc).__name__

    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
    except Exception:
        libc = None  # the audit hook refuses ctypes (basic): native code is not tried

    def writable(folder):
        if not os.path.isdir(folder):
            return False
        path = os.path.join(folder, ".grader-doctor-probe").encode()
        fd = libc.open(path, 0o1101, 0o600)  # O_WRONLY | O_CREAT | O_TRUNC, past the audit hook
        if fd >= 0:
            libc.close(fd)
            libc.unlink(path)
            return True
        return False

    site = [p for p in sys.path if p.endswith("-packages")]
    if libc is not None:
        attempt("writes_environment", lambda: any(writable(p) for p in [prefix, os.path.join(prefix, "bin"), *site]))
        attempt("writes_root", lambda: writable("/"))
    attempt("home_entries", lambda: sorted(os.listdir(home)) if os.path.isdir(home) else [])
    parent = os.path.dirname(prefix.rstrip("/"))
    attempt("beside_interpreter", lambda: sorted(set(os.listdir(parent)) - {os.path.basename(prefix.rstrip("/"))}))

    def native_connect():
        fd = libc.socket(socket.AF_INET, socket.SOCK_STREAM, 0)
        address = socket.AF_INET.to_bytes(2, "little") + port.to_bytes(2, "big") + bytes([127, 0, 0, 1]) + bytes(8)
        return fd >= 0 and libc.connect(fd, address, len(address)) == 0

    if libc is not None:
        attempt("network", native_connect)
        number = 248 if os.uname().machine == "x86_64" else 217
        attempt("keyring", lambda: libc.syscall(number, b"user", b"grader-doctor", b"x", 1, -3) >= 0)

    def python_connect():
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except PermissionError:
            return False

    attempt("audit_network", python_connect)
    seen["pid"] = os.getpid()
    attempt("processes", lambda: len([p for p in os.listdir("/proc") if p.isdigit()]))
    seen["uid"] = os.getuid()
    return seen
'''


def _size(n: int) -> str:
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= scale:
            return f"{n / scale:g} {unit}"
    return f"{n} B"


def observe(limits: Limits | None = None) -> tuple[dict[str, Any], dict[str, Any], int | None]:
    """Start a worker, run the diagnostic in one child: (worker facts, what the child saw, tree budget)."""
    from .runner import Job, Probe, Sandbox

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    port = listener.getsockname()[1]
    home = os.path.expanduser("~")
    try:
        with Sandbox(workers=1, preload=("numpy",)) as sandbox:
            facts = sandbox.facts
            probe = Probe("doctor", "script", source=DIAGNOSTIC, args=(home, port, sys.prefix))
            execution = sandbox.execute(Job(cells=(), probes=(probe,), limits=limits or Limits()))
    finally:
        listener.close()
    run = execution.probes.get("doctor")
    seen = run.value if run is not None and run.status == "ok" and isinstance(run.value, dict) else {}
    return facts, seen, execution.tree_budget


def _kept() -> list[str]:
    prefixes = {sys.prefix, sys.base_prefix, *(p for p in sys.path if p.endswith("-packages"))}
    return sorted({os.path.abspath(p) for p in prefixes} | {os.path.realpath(p) for p in prefixes})


def report(limits: Limits | None = None) -> str:
    from . import isolation

    limits = limits or Limits()
    facts, seen, budget = observe(limits)
    level = str(facts.get("level", "basic"))
    forced = os.environ.get("GRADER_ISOLATION") in isolation.LEVELS
    detected = isolation.detect() if forced else level

    def ok(key: str, good: Any) -> bool:
        return key in seen and seen[key] == good

    beside = seen.get("beside_interpreter") or []
    # In the grader's home only the folders on the way to the interpreter may appear (empty).
    home = os.path.expanduser("~").rstrip("/") + "/"
    allowed = {k[len(home):].split("/")[0] for k in _kept() if k.startswith(home)}
    home_seen = sorted(set(seen.get("home_entries") or []) - allowed)
    rows = [
        ("separate process per notebook, forked from a clean warm worker", bool(seen)),
        ("limits per process on CPU time, memory, file size, open files; wall-time deadlines", True),
        ("own root file system: the interpreter and its packages read-only, a private /tmp and working directory",
         ok("writes_environment", False) and ok("writes_root", False)),
        ("grader's home, the submissions, the output and every non-system folder hidden" +
         (f" (seen: {', '.join((home_seen + beside)[:5])})" if home_seen or beside else ""),
         "home_entries" in seen and not home_seen and not beside),
        ("no network (own network namespace)", ok("network", False)),
        ("own process namespace: sees only its processes; all of them die with the notebook",
         seen.get("pid") == 1 and 0 < seen.get("processes", 0) <= 3),
        ("unprivileged user of its own (cannot signal the grader or write its files)",
         level == "full" and seen.get("uid") not in (None, 0, os.getuid())),
        ("system call filter: no kernel keyrings, mounts, new namespaces, bpf, io_uring, ptrace",
         bool(facts.get("seccomp")) and seen.get("keyring") is not True),
        ("one memory and process budget for the notebook's whole process tree (control group)"
         + (f": {_size(budget)}" if budget else ": not held, per-process limits only"), budget is not None),
        ("the worker is the out-of-memory killer's last choice", bool(facts.get("oom_protected"))),
        ("audit hook: no network, no programs, no writes outside the working directory",
         seen.get("audit_network") is False),
        ("workers and children end when the grading process ends", True),
    ]
    lines = [f"isolation level: {level}" + (f" (forced by GRADER_ISOLATION; this machine allows {detected})"
                                            if forced else ""), ""]
    if not seen:
        lines += ["  ✗ the diagnostic notebook did not run: the sandbox cannot start on this machine", ""]
    lines += [f"  {'✓' if active else '✗'} {text}" for text, active in rows]
    for note in (isolation.weaker_than_full(level), isolation.refusal(level)):
        if note is not None:
            lines += ["", note]
    lines += [
        "",
        "limits per notebook (defaults; each exercise may set its own):",
        (f"  time: {limits.cell_seconds:g} s per cell, {limits.probe_seconds:g} s per call of a student's function, "
         f"{limits.notebook_seconds:g} s per notebook (killed {limits.grace_seconds:g} s later), "
         f"{limits.cpu_seconds} s of CPU"),
        (f"  memory: {_size(limits.memory_bytes)} per process"
         + (f", {_size(budget)} for the whole process tree" if budget else "")),
        f"  processes and threads: {limits.processes}; open files: {limits.open_files}",
        f"  files: {_size(limits.file_bytes)} each, {_size(limits.tmpfs_bytes)} of /tmp in all",
        f"  output kept: {_size(limits.output_bytes)} per stream; results: {_size(limits.result_bytes)}",
    ]
    return "\n".join(lines)
