"""`grader doctor`: which protections the sandbox gives on this machine, and the limits it applies."""

from __future__ import annotations

import os

from . import cgroups, isolation
from .limits import Limits


def _size(n: int) -> str:
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= scale:
            return f"{n / scale:g} {unit}"
    return f"{n} B"


def _cgroup_works(level: str) -> bool:
    if level != "full":
        return False
    group = cgroups.Cgroup.create(f"{cgroups.PREFIX}{os.getpid()}")
    if group is None:
        return False
    group.remove()
    return True


def report(limits: Limits | None = None) -> str:
    limits = limits or Limits()
    level = isolation.active_level()
    forced = os.environ.get("GRADER_ISOLATION") in isolation.LEVELS
    detected = isolation.detect() if forced else level
    tree = _cgroup_works(level)
    rows = isolation.describe(level, isolation.pid_namespace_works(level), tree)
    lines = [f"isolation level: {level}" + (f" (forced by GRADER_ISOLATION; this machine allows {detected})"
                                            if forced else ""), ""]
    lines += [f"  {'✓' if active else '✗'} {text}" for text, active in rows]
    note = isolation.weaker_than_full(level)
    if note is not None:
        lines += ["", note]
    lines += [
        "",
        "limits per notebook (defaults; each exercise may set its own):",
        (f"  time: {limits.cell_seconds:g} s per cell, {limits.probe_seconds:g} s per call of a student's function, "
         f"{limits.notebook_seconds:g} s per notebook (killed {limits.grace_seconds:g} s later), "
         f"{limits.cpu_seconds} s of CPU"),
        (f"  memory: {_size(limits.memory_bytes)} per process"
         + (f", {_size(limits.memory_bytes + cgroups.SLACK)} for the whole process tree" if tree else "")),
        f"  processes and threads: {limits.processes}; open files: {limits.open_files}",
        f"  files: {_size(limits.file_bytes)} each, {_size(limits.tmpfs_bytes)} of /tmp in all",
        f"  output kept: {_size(limits.output_bytes)} per stream; results: {_size(limits.result_bytes)}",
    ]
    return "\n".join(lines)
