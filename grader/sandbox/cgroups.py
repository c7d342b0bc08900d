"""A control group per worker: one memory and process budget for a notebook's whole process tree.

RLIMIT_AS bounds each process and RLIMIT_NPROC their number, but a notebook that forks 30
children of 2 GiB each stays inside both while taking 60 GiB from the machine. A cgroup counts
the tree as one: its memory limit is the notebook's, and when it is exceeded the kernel's OOM
killer ends a process of the tree, never one outside it. Used where the worker may create
cgroups (root, cgroup v1 or a v2 hierarchy with the controllers delegated); elsewhere the
per-process limits remain and `grader doctor` says so.

The worker creates the group and moves itself in once (moving a process later costs ~10 ms);
the children it forks are born inside, so everything a notebook starts is counted. The worker
makes itself the OOM killer's last choice and each child its first. Before each job the worker
sets the limits; after it, the group's member list says exactly what to kill.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

ROOT = "/sys/fs/cgroup"
PREFIX = "grader-sandbox-"
# The tree's budget beyond the notebook's memory: the pages of the warm worker that the child's
# processes copy when they write to them (reference counts alone touch many).
SLACK = 512 * 1024**2


def _read(path: str) -> str:
    with open(path) as fh:
        return fh.read()


def _write(path: str, text: str) -> None:
    with open(path, "w") as fh:
        fh.write(text)


def _own_paths() -> dict[str, str]:
    """Controller (or "" for the v2 hierarchy) -> our cgroup's path in it, from /proc/self/cgroup."""
    paths: dict[str, str] = {}
    try:
        for line in _read("/proc/self/cgroup").splitlines():
            _, controllers, path = line.split(":", 2)
            for name in controllers.split(",") if controllers else [""]:
                paths[name] = path
    except (OSError, ValueError):
        pass
    return paths


@dataclass(frozen=True)
class Cgroup:
    """The worker's group: `dirs` are the folders whose cgroup.procs the child joins."""

    version: int
    memory: str  # folder holding the memory controller's files
    pids: str | None  # folder holding the pids controller's files (v1: another hierarchy)

    @property
    def dirs(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(d for d in (self.memory, self.pids) if d))

    @classmethod
    def create(cls, name: str) -> Cgroup | None:
        """A fresh group for this worker, or None where the platform does not let us make one."""
        own = _own_paths()
        try:
            if "memory" in own and os.path.isfile(os.path.join(ROOT, "memory", "memory.limit_in_bytes")):
                memory = _make(os.path.join(ROOT, "memory") + own.get("memory", "/"), name)
                pids = None
                if os.path.isdir(os.path.join(ROOT, "pids")) and "pids" in own:
                    try:
                        pids = _make(os.path.join(ROOT, "pids") + own["pids"], name)
                    except OSError:
                        pids = None
                return cls(1, memory, pids)
            if os.path.isfile(os.path.join(ROOT, "cgroup.controllers")) and "" in own:
                parent = ROOT + own[""]
                group = _make(parent, name)
                if not os.path.isfile(os.path.join(group, "memory.max")):
                    os.rmdir(group)
                    return None
                return cls(2, group, group if os.path.isfile(os.path.join(group, "pids.max")) else None)
        except OSError:
            return None
        return None

    def prepare(self, memory_bytes: int, processes: int) -> None:
        """Limits for the next job, and counters back to zero."""
        if self.version == 1:
            _write(os.path.join(self.memory, "memory.limit_in_bytes"), str(memory_bytes))
            for counter in ("memory.max_usage_in_bytes", "memory.failcnt"):
                try:
                    _write(os.path.join(self.memory, counter), "0")
                except OSError:
                    pass
        else:
            _write(os.path.join(self.memory, "memory.max"), str(memory_bytes))
            try:
                _write(os.path.join(self.memory, "memory.swap.max"), "0")
            except OSError:
                pass
        if self.pids is not None:
            _write(os.path.join(self.pids, "pids.max"), str(processes))

    def oom_kills(self) -> int:
        """How many processes the kernel killed in this group for memory, so far."""
        name = "memory.oom_control" if self.version == 1 else "memory.events"
        try:
            for line in _read(os.path.join(self.memory, name)).splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
        except (OSError, ValueError):
            pass
        return 0

    def join(self) -> None:
        """Move the calling process (the worker) in."""
        for folder in self.dirs:
            _write(os.path.join(folder, "cgroup.procs"), str(os.getpid()))

    def members(self) -> list[int]:
        """Every process in the group."""
        try:
            return [int(line) for line in _read(os.path.join(self.memory, "cgroup.procs")).split()]
        except (OSError, ValueError):
            return []

    def remove(self) -> None:
        """Leave (back to the parent group) and delete the group."""
        for folder in self.dirs:
            try:
                _write(os.path.join(os.path.dirname(folder), "cgroup.procs"), str(os.getpid()))
            except OSError:
                pass
        for folder in self.dirs:
            for _ in range(20):
                try:
                    os.rmdir(folder)
                    break
                except FileNotFoundError:
                    break
                except OSError:  # the last processes of the tree are still on their way out
                    time.sleep(0.05)


def _make(parent: str, name: str) -> str:
    """Create parent/name, first removing groups of ours left empty by workers that were killed."""
    try:
        for entry in os.listdir(parent):
            if entry.startswith(PREFIX) and entry != name and not _alive(entry[len(PREFIX):]):
                try:
                    os.rmdir(os.path.join(parent, entry))
                except OSError:
                    pass
    except OSError:
        pass
    group = os.path.join(parent, name)
    os.makedirs(group, exist_ok=True)
    return group


def _alive(pid: str) -> bool:
    return pid.isdigit() and os.path.exists(f"/proc/{pid}")
