"""Run a command as a child subreaper and report which of its descendants outlived it.

    python reaper.py REPORT.json -- grader grade …

The command runs in its own session and inherits our stdin, stdout and stderr. As a subreaper
(PR_SET_CHILD_SUBREAPER) we adopt every process of its tree that loses its parent, so when the
command has ended, whatever is still our child is a survivor: an orphaned worker, sandbox child
or a process a student started. Survivors are listed in REPORT.json, then killed. Our exit
status is the command's (negative signal numbers as 128 + n).
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import sys
import time

PR_SET_CHILD_SUBREAPER = 36
SETTLE_SECONDS = 3.0  # how long the tree may take to fall after the command ends


def children() -> list[dict[str, object]]:
    """Live (non-zombie) processes whose parent is us."""
    me = os.getpid()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
            if int(fields[1]) != me or fields[0] in (b"Z", b"X"):
                continue
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                cmdline = fh.read().replace(b"\0", b" ").decode(errors="replace").strip()
            uid = os.stat(f"/proc/{entry}").st_uid
        except (OSError, IndexError, ValueError):
            continue
        found.append({"pid": int(entry), "uid": uid, "cmdline": cmdline[:300]})
    return found


def reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def main(argv: list[str]) -> int:
    report, command = argv[0], argv[argv.index("--") + 1:]
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "PR_SET_CHILD_SUBREAPER")
    started = time.monotonic()
    proc = subprocess.Popen(command, start_new_session=True)
    with open(report + ".pid", "w") as fh:
        fh.write(str(proc.pid))
    code = proc.wait()
    ended = time.monotonic()
    survivors = children()
    deadline = time.monotonic() + SETTLE_SECONDS
    while survivors and time.monotonic() < deadline:
        time.sleep(0.05)
        reap()
        survivors = children()
    for process in survivors:
        try:
            os.kill(int(process["pid"]), signal.SIGKILL)  # type: ignore[arg-type]
        except ProcessLookupError:
            pass
    time.sleep(0.05)
    reap()
    with open(report, "w") as fh:
        json.dump({"returncode": code, "seconds": ended - started, "settled": time.monotonic() - ended,
                   "survivors": survivors}, fh)
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
