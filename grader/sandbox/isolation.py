"""Operating-system isolation applied inside the child before any student code runs.

Three levels, chosen by what the platform permits (`detect()` tries them in a throwaway child):

- "full" (root): new mount, network, IPC, UTS and PID namespaces; a root file system built from
  nothing (mounts.py): the operating system, the interpreter and its packages, read-only, a
  private /tmp holding the working directory, a /proc of the child's own processes, and nothing
  else of the host; then the child drops to an unprivileged uid of its own (one per worker), so
  it cannot signal the grader or touch its files and RLIMIT_NPROC really bounds its processes.
  When the first process of the PID namespace ends, the kernel kills every process left in it.
- "userns" (unprivileged user namespaces): the same namespaces and the same read-only root; the
  child keeps the grader's user id outside its namespace and gives up every capability inside it.
- "basic": rlimits, a scrubbed environment and a Python audit hook only. Native code can bypass an
  audit hook and everything the grader's user may write is writable: `grade` refuses untrusted
  notebooks at this level unless told to accept the risk.

All levels add the rlimits, a seccomp filter (syscalls whose effects outlive the process or reach
past the namespaces: kernel keyrings, mounts, new namespaces, BPF, io_uring …) and the audit hook
(network, process spawning, writes outside the working directory, imports of the grader's own
packages).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import resource
import signal
import sys
from dataclasses import dataclass
from typing import Any, NoReturn

from . import mounts
from .limits import Limits
from .mounts import _check, _lib

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
PR_SET_PDEATHSIG = 1
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
_LINUX_CAPABILITY_VERSION_3 = 0x20080522

# The first uid handed to sandboxed children; the worker with pid p gives its children
# SANDBOX_UID_BASE + p.
SANDBOX_UID_BASE = 1_500_000_000

BLOCKED_PACKAGES = ("reference", "grader", "exercises", "templates")

# Top-level folders a notebook may see: the operating system. Everything else at the root
# (/home, /root, /work, /srv, /opt, /mnt, /run, /var, …) is hidden unless the interpreter or a
# library the worker loaded lives there; course material and sockets live in such places.
SYSTEM_ROOTS = frozenset({"bin", "dev", "etc", "lib", "lib32", "lib64", "libx32", "proc", "sbin", "sys", "tmp",
                          "usr"})

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
    keep: tuple[str, ...]  # paths the child needs (interpreter, site-packages), shown read-only
    uid: int | None
    workdir: str  # where the child works ("/tmp/work" under a private tmpfs, else a fresh mkdtemp)
    files: tuple[tuple[str, str], ...] = ()  # (host path, name): support files in the working directory
    seccomp: bytes | None = None  # the filter program to load before student code


def _is_ancestor(path: str, other: str) -> bool:
    return other == path or other.startswith(path.rstrip("/") + "/")


def is_hidden(path: str, hidden: tuple[str, ...], keep: tuple[str, ...]) -> bool:
    """Whether `path` falls under a hidden path; the most specific rule wins, so /root can be
    hidden while /root/.pyenv (kept, inside it) stays visible."""
    for h in hidden:
        if _is_ancestor(h, path) and not any(k != h and _is_ancestor(h, k) and _is_ancestor(k, path) for k in keep):
            return True
    return False


def layout(plan: Plan, tmpfs_bytes: int, fresh_proc: bool) -> mounts.Layout:
    """The child's root: kept paths read-only, hidden paths inside them masked."""
    keep = mounts.minimal(plan.keep)
    inside = tuple(h for h in (os.path.realpath(p) for p in plan.hide)
                   if any(_is_ancestor(k, h) and k != h for k in keep))
    return mounts.Layout(keep=tuple(keep), mask=inside, workdir=plan.workdir, files=plan.files,
                         tmpfs_bytes=tmpfs_bytes, fresh_proc=fresh_proc, owner=plan.uid)


def apply_namespaces(plan: Plan, limits: Limits, pid_one: bool) -> None:
    """Enter namespaces and build the child's root (still privileged inside them).

    `pid_one`: the worker made us process 1 of a new PID namespace. Otherwise a new PID namespace
    is made here when the platform allows one, and this call returns in its process 1 (with a
    relay left outside that ends as it ends): a /proc of our own must be mounted from inside.
    """
    if plan.level == "basic":
        return
    real_uid, real_gid = os.getuid(), os.getgid()
    flags = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS
    if plan.level == "userns":
        flags |= CLONE_NEWUSER
    fresh_proc = pid_one
    if not pid_one:
        try:
            _unshare(flags | CLONE_NEWPID)
            fresh_proc = True
        except OSError:
            if plan.level == "userns":
                # Without a PID namespace a notebook keeping the grader's uid could signal the
                # grader's other processes: no notebook runs like that (the run is tried again).
                raise
            _unshare(flags)  # under "full" it has a uid of its own: the other namespaces suffice
    else:
        _unshare(flags)
    if plan.level == "userns":
        for name, text in (("setgroups", "deny"), ("uid_map", f"0 {real_uid} 1"), ("gid_map", f"0 {real_gid} 1")):
            with open(f"/proc/self/{name}", "w") as fh:
                fh.write(text)
    if fresh_proc and not pid_one:
        _enter_pid_namespace()
    mounts.build_root(layout(plan, limits.tmpfs_bytes, fresh_proc))


def unshare_pid() -> None:
    """The caller's next child becomes process 1 of a new PID namespace (root only). Called again,
    it starts from the caller's own namespace, so a discarded child does not leave us stuck."""
    own = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)
    try:
        _check(_lib().setns(ctypes.c_int(own), ctypes.c_int(CLONE_NEWPID)), "setns")
    finally:
        os.close(own)
    _unshare(CLONE_NEWPID)


def _enter_pid_namespace() -> None:
    """Fork into the new PID namespace; return only in its process 1.

    The caller stays outside as a relay that ends the way process 1 ended; process 1 (the
    notebook's) dies with the relay, and when it ends the kernel kills everything left in the
    namespace.
    """
    init = os.fork()
    if init:
        _relay(init)
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    os.setsid()  # a group of its own: signalling its group (kill(0, …)) cannot reach the relay


def _quiet() -> None:
    """Close every descriptor so the worker sees the notebook's pipes close with it."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        if fd != null:
            os.dup2(null, fd)
    os.closerange(3, 65536)


def _relay(init: int) -> NoReturn:
    """Outside the namespace: wait for its process 1, then end as it ended."""
    try:
        _quiet()
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        _, status = os.waitpid(init, 0)
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


def drop_privileges(plan: Plan) -> None:
    """Under "full", become the child's own unprivileged user; under "userns", give up every
    capability inside the namespace (so mounts can be neither changed nor made)."""
    if plan.uid is not None:
        os.setgroups([])
        os.setresgid(plan.uid, plan.uid, plan.uid)
        os.setresuid(plan.uid, plan.uid, plan.uid)
    elif plan.level == "userns":
        _drop_capabilities()


def _drop_capabilities() -> None:
    try:
        with open("/proc/sys/kernel/cap_last_cap") as fh:
            last = int(fh.read())
    except (OSError, ValueError):
        last = 63
    for cap in range(last + 1):
        try:
            _prctl(PR_CAPBSET_DROP, cap)
        except OSError:
            pass
    try:
        _prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)
    except OSError:
        pass
    header = (ctypes.c_uint32 * 2)(_LINUX_CAPABILITY_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()  # two structs of effective, permitted, inheritable: all empty
    _check(_lib().capset(header, data), "capset")


def processes_now(level: str) -> int:
    """What RLIMIT_NPROC must allow on top of the notebook's own processes: under "full" nothing
    (the uid is the child's alone), else every thread the user already runs (counted on the
    host's /proc, before the child's own root hides it)."""
    return 0 if level == "full" else _processes_of(os.getuid())


def apply_rlimits(limits: Limits, level: str, base: int = 0) -> None:
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
    cap(resource.RLIMIT_NPROC, base + limits.processes)


def _vm_size() -> int:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass  # no /proc (macOS): the limit counts from zero
    return 0


def _processes_of(uid: int) -> int:
    """Threads (what RLIMIT_NPROC counts) of every process owned by `uid`."""
    count = 0
    try:
        entries = os.listdir("/proc")
    except OSError:
        return 0  # no /proc (macOS)
    for entry in entries:
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

    support = tuple(os.path.realpath(source) for source, _ in plan.files)

    def hidden_path(path: str) -> bool:
        return is_hidden(path, hidden, keep) and not under(path, support)

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
    # The notebook's own folder first, as in Jupyter: helper modules beside it import.
    sys.path[:] = [plan.workdir] + [p for p in sys.path if p and not is_hidden(os.path.realpath(p), hidden, plan.keep)
                                    and os.path.isdir(p) and not _holds_blocked_package(p)]
    for name in list(sys.modules):
        if name.split(".")[0] in BLOCKED_PACKAGES:
            del sys.modules[name]


def link_files(plan: Plan) -> None:
    """Under "basic" (no mounts), the support files appear in the working directory as links;
    the audit hook refuses writes through them."""
    if plan.level != "basic":
        return
    for source, name in plan.files:
        target = os.path.join(plan.workdir, name)
        if not os.path.lexists(target):
            os.symlink(source, target)


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


def unheld(facts: dict[str, Any]) -> str | None:
    """One line for the start of a batch when a worker could not apply a protection its level has."""
    if facts.get("level") == "full" and not facts.get("cgroup"):
        return ("memory: no control group could be made here, so a notebook's processes are bounded one by one, "
                "not together; `grader doctor` shows what grading gets")
    if facts.get("level") in ("full", "userns") and not facts.get("seccomp"):
        return "no system call filter (libseccomp is not installed): kernel keyrings stay reachable"
    return None


def refusal(level: str) -> str | None:
    """Why `grade` will not run untrusted notebooks at this level, and how to get a stronger one."""
    if level != "basic":
        return None
    return ("isolation: basic. This machine gives student code no namespaces: a notebook could read and "
            "change everything your user can (your files, the grader's own environment) and reach the "
            "network, past a Python audit hook that native code bypasses. `grade` refuses to run untrusted "
            "notebooks like this. Get a stronger level: run as root (full); or allow unprivileged user "
            "namespaces (userns: sysctl user.max_user_namespaces above 0, kernel.unprivileged_userns_clone=1 "
            "where it exists, kernel.apparmor_restrict_unprivileged_userns=0 on Ubuntu 24.04 and later); "
            "or grade inside a container or virtual machine made for it. `grader doctor` shows what this "
            "machine allows. To grade here anyway, pass --accept-weak-isolation (or set "
            "GRADER_ACCEPT_WEAK_ISOLATION=1).")


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
