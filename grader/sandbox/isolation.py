"""Operating-system isolation applied inside the child before any student code runs.

Three levels, chosen by what the platform permits (`detect()` tries them in a throwaway child):

- "full" (root): new mount, network, IPC, UTS and PID namespaces; a private tmpfs on /tmp (the
  child's working directory lives there) and a /proc that shows only the child's processes; the
  grader's code, the exercises, the submissions, the output folder, home directories and every
  top-level folder that is not part of the system (/work, /srv, /run, /var, …) masked by empty
  read-only tmpfs mounts; then the child drops to an unprivileged uid of its own (one per
  worker), so it cannot signal the grader or touch its files and RLIMIT_NPROC really bounds its
  processes. When the first process of the PID namespace ends, the kernel kills every process
  left in it: nothing the student started outlives the notebook, or a killed grader.
- "userns" (unprivileged user namespaces): the same namespaces and masks, without the uid drop.
- "basic": rlimits, a scrubbed environment and a Python audit hook only (documented as weaker:
  native code can bypass an audit hook).

All levels add the rlimits and the audit hook (network, process spawning, writes outside the
working directory, reads of masked paths, imports of the grader's own packages).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import resource
import signal
import stat
import sys
import tempfile
from dataclasses import dataclass
from typing import Any

from .limits import Limits

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
PR_SET_PDEATHSIG = 1
PR_SET_NO_NEW_PRIVS = 38

# The first uid handed to sandboxed children; the worker with pid p gives its children
# SANDBOX_UID_BASE + p.
SANDBOX_UID_BASE = 1_500_000_000

BLOCKED_PACKAGES = ("reference", "grader", "exercises", "templates")

# Top-level folders a notebook may see: the operating system. Everything else at the root
# (/home, /root, /work, /srv, /opt, /mnt, /run, /var, …) is hidden unless the interpreter or a
# library the worker loaded lives there; course material and sockets live in such places.
SYSTEM_ROOTS = frozenset({"bin", "dev", "etc", "lib", "lib32", "lib64", "libx32", "proc", "sbin", "sys", "tmp",
                          "usr"})

_libc: Any = None


def _lib() -> Any:
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    return _libc


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    enc = lambda s: s.encode() if s is not None else None  # noqa: E731
    _check(_lib().mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)), f"mount {target}")


def _unshare(flags: int) -> None:
    _check(_lib().unshare(ctypes.c_int(flags)), "unshare")


def _prctl(option: int, arg: int) -> None:
    _check(_lib().prctl(ctypes.c_int(option), ctypes.c_ulong(arg), ctypes.c_ulong(0), ctypes.c_ulong(0),
                        ctypes.c_ulong(0)), "prctl")


@dataclass(frozen=True)
class Plan:
    """What the child must hide and keep; built by the worker, applied by the child."""

    level: str  # "full" | "userns" | "basic"
    hide: tuple[str, ...]
    keep: tuple[str, ...]  # paths the child needs (interpreter, site-packages): never masked
    uid: int | None
    workdir: str  # where the child works ("/tmp/work" under a private tmpfs, else a fresh mkdtemp)


def _is_ancestor(path: str, other: str) -> bool:
    return other == path or other.startswith(path.rstrip("/") + "/")


def is_hidden(path: str, hidden: tuple[str, ...], keep: tuple[str, ...]) -> bool:
    """Whether `path` falls under a hidden path; the most specific rule wins, so /root can be
    hidden while /root/.pyenv (kept, inside it) stays visible."""
    for h in hidden:
        if _is_ancestor(h, path) and not any(k != h and _is_ancestor(h, k) and _is_ancestor(k, path) for k in keep):
            return True
    return False


def _masks(path: str, keep: tuple[str, ...], budget: list[int]) -> list[tuple[str, bool]]:
    """Mount points that hide `path` without hiding anything in `keep`: (target, is_dir)."""
    # A keep path itself is never masked; a path inside one (site-packages/grader) is.
    if budget[0] <= 0 or not os.path.lexists(path) or path in keep:
        return []
    if not os.path.isdir(path) or os.path.islink(path):
        budget[0] -= 1
        return [(path, False)]
    if not any(_is_ancestor(path, k) for k in keep):
        budget[0] -= 1
        return [(path, True)]
    out: list[tuple[str, bool]] = []
    try:
        entries = sorted(os.listdir(path))
    except OSError:
        return out
    for name in entries:
        out += _masks(os.path.join(path, name), keep, budget)
    return out


def apply_namespaces(plan: Plan, limits: Limits, pid_namespace: bool = True) -> bool:
    """Enter namespaces and mount the private /tmp and the masks (still privileged).

    With `pid_namespace`, also try a new PID namespace for the children and return whether it
    was made: the caller must then `enter_pid_namespace()`.
    """
    if plan.level == "basic":
        return False
    real_uid, real_gid = os.getuid(), os.getgid()
    flags = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS
    if plan.level == "userns":
        flags |= CLONE_NEWUSER
    try:
        if not pid_namespace:
            raise OSError("no new PID namespace wanted")
        _unshare(flags | CLONE_NEWPID)
    except OSError:  # a platform that refuses PID namespaces still gets the others
        _unshare(flags)
        pid_namespace = False
    if plan.level == "userns":
        for name, text in (("setgroups", "deny"), ("uid_map", f"0 {real_uid} 1"), ("gid_map", f"0 {real_gid} 1")):
            with open(f"/proc/self/{name}", "w") as fh:
                fh.write(text)
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    size = max(limits.tmpfs_bytes, 1 << 20)
    for shared in ("/tmp", "/var/tmp", "/dev/shm"):
        if os.path.isdir(shared):
            _mount("tmpfs", shared, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size},mode=1777")
    if plan.uid is not None:
        for path in plan.keep:
            _expose(path)
    budget = [400]
    targets: list[tuple[str, bool]] = []
    for path in plan.hide:
        targets += _masks(os.path.realpath(path), plan.keep, budget)
    for target, is_dir in targets:
        try:
            if is_dir:
                _mount("tmpfs", target, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "size=4k,mode=0555")
            else:
                _mount("/dev/null", target, None, MS_BIND)
        except OSError:
            pass  # a path that vanished meanwhile needs no mask
    os.makedirs(plan.workdir, mode=0o700, exist_ok=True)
    return pid_namespace


class PidNamespaces:
    """The worker's side of "a PID namespace per child" without an extra process: before each
    fork the worker asks for a new namespace for its next child (which becomes its process 1),
    and after it goes back to its own (setns), ready for the next. Needs root; elsewhere the
    child makes its namespace itself (`enter_pid_namespace`), one process more."""

    def __init__(self) -> None:
        self.own: int | None = None
        try:
            self.own = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            pass

    def before_fork(self) -> bool:
        if self.own is None:
            return False
        try:
            _unshare(CLONE_NEWPID)
            return True
        except OSError:
            os.close(self.own)
            self.own = None
            return False

    def after_fork(self) -> None:
        if self.own is not None:
            _check(_lib().setns(ctypes.c_int(self.own), ctypes.c_int(CLONE_NEWPID)), "setns")


def mount_proc() -> None:
    """A /proc showing only this PID namespace (process 1 runs the notebook itself)."""
    try:
        _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    except OSError:
        pass  # a platform that forbids it keeps the old /proc: signals stay confined all the same


def become_init(status_fd: int) -> None:
    """In process 1 of a fresh PID namespace: mount its /proc, fork the notebook's process and
    return in it; process 1 stays behind to reap, and reports the notebook's wait status on
    `status_fd` when it ends (then exits, and the kernel kills whatever is left)."""
    try:
        _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    except OSError:
        pass  # a platform that forbids it keeps the old /proc: signals stay confined all the same
    notebook = os.fork()
    if notebook:
        _init(notebook, status_fd)
    os.close(status_fd)


def enter_pid_namespace() -> None:
    """Fork twice into the new PID namespace; return only in the process that runs the notebook.

    The caller stays outside as a relay that ends the way the notebook's process ended. Inside,
    process 1 mounts a fresh /proc, forks the notebook's process and reaps whatever else gets
    orphaned; when it exits the kernel kills everything left in the namespace. Each level dies
    with its parent (PR_SET_PDEATHSIG), so a killed worker takes the whole tree with it.
    """
    read_status, write_status = os.pipe()
    init = os.fork()
    if init:
        os.close(write_status)
        _relay(init, read_status)
    os.close(read_status)
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    become_init(write_status)


def _quiet(keep_fd: int) -> None:
    """Close every descriptor but `keep_fd` so the worker sees the notebook's pipes close with it."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        if fd != null:
            os.dup2(null, fd)
    for low, high in ((3, keep_fd), (keep_fd + 1, 65536)):
        if low < high:
            os.closerange(low, high)


def _relay(init: int, read_status: int) -> None:
    """Outside the namespace: wait for it, then end as the notebook's process ended."""
    try:
        _quiet(read_status)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        data = b""
        while len(data) < 4:
            chunk = os.read(read_status, 4 - len(data))
            if not chunk:
                break
            data += chunk
        _, status = os.waitpid(init, 0)
        if len(data) == 4:
            status = int.from_bytes(data, "little", signed=True)
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            if sig not in (signal.SIGKILL, signal.SIGSTOP):
                signal.signal(sig, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, [sig])
            os.kill(os.getpid(), sig)
            os._exit(128 + sig)
        os._exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 70)
    except BaseException:
        os._exit(70)


def _init(notebook: int, write_status: int) -> None:
    """Process 1 of the namespace: reap everything, report the notebook's status, then exit."""
    try:
        _quiet(write_status)
        while True:
            try:
                pid, status = os.waitpid(-1, 0)
            except ChildProcessError:
                os._exit(70)
            if pid == notebook:
                os.write(write_status, status.to_bytes(4, "little", signed=True))
                os._exit(0)
    except BaseException:
        os._exit(70)


def drop_privileges(plan: Plan) -> None:
    """Under "full", become the child's own unprivileged user (the working directory is its)."""
    if plan.uid is None:
        return
    os.chown(plan.workdir, plan.uid, plan.uid)
    os.setgroups([])
    os.setresgid(plan.uid, plan.uid, plan.uid)
    os.setresuid(plan.uid, plan.uid, plan.uid)


def _expose(path: str) -> None:
    """Make `path` reachable for an unprivileged uid when an ancestor is closed to others.

    The interpreter often lives under a private home (/root/.pyenv). The closed ancestor is
    replaced by a tmpfs (hiding the rest of it) holding only the needed entry, bind-mounted back
    from a staging mount taken before the tmpfs covered it.
    """
    parts = path.strip("/").split("/")
    for depth in range(len(parts) - 1):
        ancestor = "/" + "/".join(parts[: depth + 1])
        entry = "/" + "/".join(parts[: depth + 2])
        try:
            mode = os.stat(ancestor).st_mode
        except OSError:
            return
        if mode & stat.S_IXOTH:
            continue
        stage = tempfile.mkdtemp(prefix=".keep-", dir="/tmp")
        _mount(entry, stage, None, MS_BIND | MS_REC)
        _mount("tmpfs", ancestor, "tmpfs", MS_NOSUID | MS_NODEV, "size=4k,mode=0755")
        if os.path.isdir(stage):
            os.makedirs(entry, exist_ok=True)
        else:
            open(entry, "a").close()
        _mount(stage, entry, None, MS_BIND | MS_REC)
        _lib().umount2(stage.encode(), ctypes.c_int(2))  # MNT_DETACH: the staging name goes away
        os.rmdir(stage)


def apply_rlimits(limits: Limits, level: str) -> None:
    def cap(which: int, soft: int, hard: int | None = None) -> None:
        _, current_hard = resource.getrlimit(which)
        hard = soft if hard is None else hard
        if current_hard != resource.RLIM_INFINITY:
            soft, hard = min(soft, current_hard), min(hard, current_hard)
        resource.setrlimit(which, (soft, hard))

    vm = _vm_size()
    cap(resource.RLIMIT_AS, vm + limits.memory_bytes)
    cap(resource.RLIMIT_CPU, limits.cpu_seconds, limits.cpu_seconds + 2)
    cap(resource.RLIMIT_FSIZE, limits.file_bytes)
    cap(resource.RLIMIT_NOFILE, limits.open_files)
    cap(resource.RLIMIT_CORE, 0)
    # RLIMIT_NPROC counts every process of the uid: exact under "full" (a uid per child),
    # a bound on top of what the user already runs otherwise.
    base = 0 if level == "full" else _processes_of(os.getuid())
    cap(resource.RLIMIT_NPROC, base + limits.processes)


def _vm_size() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _processes_of(uid: int) -> int:
    """Threads (what RLIMIT_NPROC counts) of every process owned by `uid`."""
    count = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.stat(f"/proc/{entry}").st_uid == uid:
                count += len(os.listdir(f"/proc/{entry}/task"))
        except OSError:
            continue
    return count


def die_with_parent() -> None:
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def first_to_go() -> None:
    """Out of memory, the kernel kills the notebook's processes before anything else."""
    try:
        with open("/proc/self/oom_score_adj", "w") as fh:
            fh.write("1000")
    except OSError:
        pass


def finish_privileges() -> None:
    """Last steps once credentials are final (a uid change clears the parent-death signal)."""
    _prctl(PR_SET_NO_NEW_PRIVS, 1)
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def install_audit_hook(plan: Plan) -> None:
    """Refuse, from Python code, what a graded notebook has no business doing."""
    workdir = os.path.realpath(plan.workdir)
    writable = (workdir, "/dev/null") + (("/tmp", "/var/tmp", "/dev/shm") if plan.level != "basic" else ())
    hidden = tuple(os.path.realpath(p) for p in plan.hide)
    keep = plan.keep
    me = os.getpid()
    realpath, fspath, fsdecode = os.path.realpath, os.fspath, os.fsdecode
    spawn_events = frozenset({"os.system", "os.exec", "os.posix_spawn", "os.spawn", "subprocess.Popen",
                              "os.startfile", "pty.spawn"})
    if plan.level == "basic":
        spawn_events |= {"os.fork", "os.forkpty"}
    net_events = frozenset({"socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg",
                            "socket.getaddrinfo", "socket.gethostbyname", "urllib.Request"})
    write_flags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND

    def under(path: str, roots: tuple[str, ...]) -> bool:
        return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)

    def hidden_path(path: str) -> bool:
        return is_hidden(path, hidden, keep)

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event == "open":
            path, mode, flags = args
            if path is None or isinstance(path, int):
                return
            try:
                full = realpath(fsdecode(fspath(path)))
            except (TypeError, ValueError):
                return
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & write_flags)
            if writing and not under(full, writable):
                raise PermissionError(f"writing outside the working directory is not allowed: {full}")
            if hidden_path(full):
                raise PermissionError(f"this file is not available while grading: {full}")
        elif event in spawn_events:
            raise PermissionError("starting other programs or processes is not allowed while grading")
        elif event in net_events:
            raise PermissionError("network access is not allowed while grading")
        elif event == "os.kill" and plan.level == "basic" and args and args[0] not in (me, 0):
            raise PermissionError("sending signals to other processes is not allowed while grading")
        elif event == "import" and args and isinstance(args[0], str) and args[0].split(".")[0] in BLOCKED_PACKAGES:
            raise ImportError(f"module {args[0]!r} is not available while grading")
        elif event in ("ctypes.dlopen", "ctypes.dlsym") and plan.level == "basic":
            raise PermissionError("loading native code with ctypes is not allowed while grading")

    sys.addaudithook(hook)
    sys.meta_path.insert(0, _RefuseOurPackages())


class _RefuseOurPackages:
    """An import finder refusing our packages by name, whichever import function is used
    (`importlib.import_module` raises no "import" audit event). Behind it, the masks."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name.split(".")[0] in BLOCKED_PACKAGES:
            raise ImportError(f"module {name!r} is not available while grading")


def scrub_process(plan: Plan) -> None:
    """Environment, import path and module table as a fresh, unprivileged interpreter would see."""
    os.chdir(plan.workdir)
    keep_env = {k: os.environ[k] for k in ("LANG", "LC_ALL", "TZ") if k in os.environ}
    os.environ.clear()
    os.environ.update(keep_env)
    os.environ.update({
        "HOME": plan.workdir, "TMPDIR": plan.workdir, "PATH": "/usr/bin:/bin", "MPLBACKEND": "Agg",
        "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    hidden = tuple(os.path.realpath(h) for h in plan.hide)
    sys.path[:] = [p for p in sys.path if p and not is_hidden(os.path.realpath(p), hidden, plan.keep)
                   and os.path.isdir(p) and not _holds_blocked_package(p)]
    for name in list(sys.modules):
        if name.split(".")[0] in BLOCKED_PACKAGES:
            del sys.modules[name]


def outside_system(keep: tuple[str, ...]) -> tuple[str, ...]:
    """What every child must not see, whatever the job: the root's non-system folders and files,
    and our own packages wherever they are installed (the kept paths are carved out of it)."""
    try:
        hidden = {"/" + name for name in os.listdir("/") if name not in SYSTEM_ROOTS}
    except OSError:
        hidden = set()
    for entry in keep:
        for name in BLOCKED_PACKAGES:
            if os.path.isdir(os.path.join(entry, name)):
                hidden.add(os.path.join(entry, name))
    return tuple(sorted(hidden))


def _holds_blocked_package(path: str) -> bool:
    # A source checkout on sys.path would make `import reference` work; site-packages holds
    # numpy too, so it stays (the audit hook and the masks cover what it holds of ours).
    return "site-packages" not in path and any(
        os.path.isdir(os.path.join(path, name)) for name in ("reference", "grader", "exercises"))


LEVELS = ("full", "userns", "basic")


def active_level() -> str:
    """The level children get here: GRADER_ISOLATION (to force a weaker one), else `detect()`."""
    forced = os.environ.get("GRADER_ISOLATION", "")
    return forced if forced in LEVELS else detect()


def weaker_than_full(level: str) -> str | None:
    """One line for the start of a batch when the children are less isolated than they could be."""
    if level == "full":
        return None
    missing = {"userns": "student code keeps the grader's user id (no uid of its own)",
               "basic": "no namespaces: network, files and processes are guarded by an audit hook and limits only"}
    return (f"isolation: {level}, weaker than full ({missing.get(level, level)}); "
            "`grader doctor` lists what is active")


def pid_namespace_works(level: str) -> bool:
    """Whether a child of this level can have a PID namespace (tried in a throwaway child)."""
    if level == "basic":
        return False
    flags = CLONE_NEWPID | CLONE_NEWNS | (CLONE_NEWUSER if level == "userns" else 0)
    pid = os.fork()
    if pid == 0:
        try:
            _unshare(flags)
            os._exit(0)
        except BaseException:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def detect() -> str:
    """The strongest isolation level this platform permits, tried in a throwaway child."""
    if not sys.platform.startswith("linux"):
        return "basic"
    for level, flags in (("full", CLONE_NEWNS | CLONE_NEWNET), ("userns", CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET)):
        if level == "full" and os.geteuid() != 0:
            continue
        pid = os.fork()
        if pid == 0:
            try:
                _unshare(flags)
                if level == "full":
                    os.setresuid(SANDBOX_UID_BASE, SANDBOX_UID_BASE, SANDBOX_UID_BASE)
                os._exit(0)
            except BaseException:
                os._exit(1)
        _, status = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(status) == 0:
            return level
    return "basic"


def describe(level: str, pid_namespace: bool | None = None, cgroup: bool | None = None) -> list[tuple[str, bool]]:
    """Which protections a level gives, as (description, active) rows for `grader doctor`.
    `pid_namespace` and `cgroup` say what was found on this machine (None: what the level allows)."""
    full, ns = level == "full", level in ("full", "userns")
    return [
        ("separate process per notebook, forked from a warm worker", True),
        ("limits per process on CPU time, memory, file size, open files; wall-time deadlines", True),
        ("limit on processes and threads", True),
        ("no network (own network namespace)", ns),
        ("private /tmp and working directory (own mount namespace)", ns),
        ("grader code, exercises, submissions, output and non-system folders hidden (masked mounts)", ns),
        ("own process namespace: sees only its processes; all of them die with the notebook",
         ns if pid_namespace is None else ns and pid_namespace),
        ("unprivileged user of its own (cannot signal the grader or write its files)", full),
        ("one memory and process budget for the notebook's whole process tree (control group)",
         full if cgroup is None else full and cgroup),
        ("audit hook: no network, no programs, no writes outside the working directory", True),
        ("workers and children end when the grading process ends", True),
    ]
