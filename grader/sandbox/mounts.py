"""The child's file system: a root built from nothing, holding only what a notebook needs, read-only.

Inside its own mount namespace the child makes a small tmpfs its new root and brings in, by
read-only bind mounts, exactly the folders it must see: the operating system (/usr, /etc, the
library folders), the interpreter and every folder on the import path, the folders of the shared
libraries the worker loaded, and the exercise's support files (inside the working directory).
Everything else of the host does not exist there: a parent of a kept folder is an empty directory
of the new root holding only the kept entry, so /home/instructor shows .venv and nothing beside
it. The only writable places are a private /tmp (the working directory lives in it) and /dev/shm,
both tmpfs with a size cap. The old root is detached before any student code runs.

A bind mount made read-only keeps the flags the kernel locked on the original (nosuid, nodev,
noexec): remounting without them is refused inside a user namespace. Submounts of a kept folder
come with it (recursive binds) and are made read-only one by one, from /proc/self/mountinfo.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_NOATIME = 1024
MS_NODIRATIME = 2048
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
MS_RELATIME = 1 << 21
MS_STRICTATIME = 1 << 24
MNT_DETACH = 2

# Top-level folders of the operating system, kept when they exist (a merged-/usr system has
# /bin, /lib… as links into /usr; links are recreated as links).
SYSTEM_DIRS = ("usr", "etc", "bin", "sbin", "lib", "lib32", "lib64", "libx32")
# Made fresh in the new root: a kept path may not cover them.
MADE_HERE = ("/dev", "/proc", "/sys", "/var/tmp")
# Device nodes a program may open; GPUs add theirs (see `_device_nodes`).
DEVICES = ("null", "zero", "full", "random", "urandom")

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


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    def enc(s: str | None) -> bytes | None:
        return os.fsencode(s) if s is not None else None

    _check(_lib().mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)), f"mount {target}")


def umount(target: str) -> None:
    _check(_lib().umount2(os.fsencode(target), ctypes.c_int(MNT_DETACH)), f"umount {target}")


def pivot_root(new_root: str, put_old: str) -> None:
    nr = 155 if os.uname().machine == "x86_64" else 41  # the syscall has no libc wrapper
    _check(_lib().syscall(ctypes.c_long(nr), os.fsencode(new_root), os.fsencode(put_old)), "pivot_root")


@dataclass(frozen=True)
class Layout:
    """What the new root holds. Paths are absolute paths as the host names them."""

    keep: tuple[str, ...]  # folders (or files) shown read-only at their own path
    mask: tuple[str, ...]  # paths inside kept folders that must not be seen (our own packages…)
    workdir: str  # the working directory, inside the private /tmp
    files: tuple[tuple[str, str], ...] = ()  # (host path, name in the working directory), read-only
    tmpfs_bytes: int = 64 * 1024**2
    fresh_proc: bool = True  # a /proc of the current PID namespace (else the host's, read-only)
    owner: int | None = None  # uid that owns the working directory (None: the current one)


def _locked_flags(path: str) -> int:
    """The flags of the mount holding `path` that a read-only remount must keep."""
    flags = 0
    try:
        f_flag = os.statvfs(path).f_flag
    except OSError:
        return MS_NOSUID | MS_NODEV
    for bit, ms in ((os.ST_NOSUID, MS_NOSUID), (os.ST_NODEV, MS_NODEV), (os.ST_NOEXEC, MS_NOEXEC),
                    (os.ST_NOATIME, MS_NOATIME), (os.ST_NODIRATIME, MS_NODIRATIME),
                    (os.ST_RELATIME, MS_RELATIME)):
        if f_flag & bit:
            flags |= ms
    return flags


def _mount_points(proc: str) -> list[str]:
    """Every mount point of this mount namespace, as this process names them."""
    points = []
    with open(proc + "/self/mountinfo", "rb") as fh:
        for line in fh:
            fields = line.split()
            if len(fields) > 4:
                raw = fields[4].decode("utf-8", "surrogateescape")
                points.append(_unescape(raw))
    return points


def _unescape(path: str) -> str:
    """mountinfo writes space, tab, newline and backslash as octal escapes."""
    if "\\" not in path:
        return path
    out, i = [], 0
    while i < len(path):
        if path[i] == "\\" and i + 4 <= len(path) and path[i + 1:i + 4].isdigit():
            out.append(chr(int(path[i + 1:i + 4], 8)))
            i += 4
        else:
            out.append(path[i])
            i += 1
    return "".join(out)


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def bind_readonly(source: str, target: str, proc: str = "/oldroot/proc") -> None:
    """`source` at `target`, with everything mounted below it, read-only."""
    mount(source, target, None, MS_BIND | MS_REC)
    make_readonly((target,), proc)


def make_readonly(targets: Iterable[str], proc: str = "/oldroot/proc") -> None:
    """Every mount at or below one of `targets` read-only (one reading of the mount table)."""
    targets = tuple(targets)
    for point in _mount_points(proc):
        if any(_under(point, target) for target in targets):
            try:
                mount(None, point, None, MS_BIND | MS_REMOUNT | MS_RDONLY | _locked_flags(point))
            except OSError as exc:
                if os.path.exists(point):
                    raise OSError(exc.errno, f"cannot make {point} read-only: {exc.strerror}") from None


def _make_target(target: str, like: str) -> None:
    """An empty directory or file at `target` to mount `like` on; parents are made as needed."""
    parent = os.path.dirname(target)
    os.makedirs(parent, mode=0o755, exist_ok=True)
    if os.path.isdir(like):
        os.makedirs(target, mode=0o755, exist_ok=True)
    elif not os.path.lexists(target):
        with open(target, "w"):
            pass


def minimal(paths: Iterable[str]) -> list[str]:
    """The paths without those inside another one of them, sorted (parents first)."""
    out: list[str] = []
    for path in sorted({os.path.normpath(p) for p in paths if p and p.startswith("/") and p != "/"}):
        if not any(_under(path, kept) for kept in out):
            out.append(path)
    return out


def _links(old: str, path: str) -> list[tuple[str, str]]:
    """The links met on the way to `path` on the host (seen under `old`): (link, its target)."""
    found: list[tuple[str, str]] = []
    parts = [p for p in path.split("/") if p]
    current = ""
    for _ in range(40):
        if not parts:
            break
        current = current + "/" + parts.pop(0)
        if os.path.islink(old + current):
            target = os.readlink(old + current)
            found.append((current, target))
            resolved = target if target.startswith("/") else os.path.join(os.path.dirname(current), target)
            parts = [p for p in os.path.normpath(resolved).split("/") if p] + parts
            current = ""
    return found


def _device_nodes() -> list[str]:
    """/dev entries a notebook may use: the basic nodes and, when present, the GPU's."""
    names = list(DEVICES)
    try:
        names += sorted(n for n in os.listdir("/dev") if n.startswith("nvidia"))
    except OSError:
        pass
    return names


def build_root(layout: Layout, base: str = "/tmp") -> None:
    """Replace this mount namespace's root with one built from `layout` (must hold CAP_SYS_ADMIN
    in the namespace's user namespace, and be in the PID namespace whose /proc is wanted)."""
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    # A scratch tmpfs becomes the root for a moment, with the old root at /oldroot, so that every
    # host path (under /tmp too) stays reachable as /oldroot/<path> while the new root is filled.
    mount("tmpfs", base, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=0755")
    os.chdir(base)
    os.mkdir("newroot", 0o755)
    os.mkdir("oldroot", 0o755)
    mount("tmpfs", "newroot", "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755")
    pivot_root(".", "oldroot")
    os.chdir("/")
    old, new = "/oldroot", "/newroot"

    bound: list[str] = []  # made read-only together, once every bind is in place
    for name in SYSTEM_DIRS:
        source = old + "/" + name
        if os.path.islink(source):
            os.symlink(os.readlink(source), new + "/" + name)
        elif os.path.isdir(source):
            os.mkdir(new + "/" + name, 0o755)
            mount(source, new + "/" + name, None, MS_BIND | MS_REC)
            bound.append(new + "/" + name)

    size = max(layout.tmpfs_bytes, 1 << 20)
    os.mkdir(new + "/tmp")
    mount("tmpfs", new + "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={size},mode=1777")
    os.makedirs(new + "/var", 0o755)
    os.symlink("../tmp", new + "/var/tmp")

    system = tuple("/" + name for name in SYSTEM_DIRS)
    real = {os.path.realpath(old + p)[len(old):] or "/" for p in layout.keep if os.path.lexists(old + p)}
    for path in minimal(real):
        if any(_under(path, s) for s in system + MADE_HERE) or path in ("/tmp", "/var") \
                or not os.path.lexists(old + path):
            continue
        _make_target(new + path, old + path)
        mount(old + path, new + path, None, MS_BIND | MS_REC)
        bound.append(new + path)
    make_readonly(bound)
    for path in layout.mask:
        target = new + path
        if not os.path.lexists(old + path) or not os.path.lexists(target):
            continue
        if os.path.isdir(target) and not os.path.islink(target):
            mount("tmpfs", target, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "size=4k,mode=0555")
        elif not os.path.islink(target):
            mount(old + "/dev/null", target, None, MS_BIND)

    # A kept path reached through links (a venv folder that is a link) keeps its links.
    for path in layout.keep:
        for link, target in _links(old, path):
            if not os.path.lexists(new + link):
                try:
                    os.makedirs(os.path.dirname(new + link), mode=0o755, exist_ok=True)
                    os.symlink(target, new + link)
                except OSError:
                    pass  # inside a read-only folder: the link is there already
    _build_dev(old, new, size)
    _build_workdir(layout, old, new)
    os.mkdir(new + "/proc", 0o555)
    if layout.fresh_proc:
        mount("proc", new + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    else:  # no PID namespace of our own: the host's processes stay visible (doctor says so)
        bind_readonly(old + "/proc", new + "/proc")
    if os.path.isdir(old + "/sys"):
        os.mkdir(new + "/sys", 0o555)
        bind_readonly(old + "/sys", new + "/sys")

    umount(old)
    os.rmdir(old)
    # The scratch root goes too: the new root is pivoted onto itself and the old one unmounted.
    os.chdir(new)
    pivot_root(".", ".")
    umount(".")
    os.chdir("/")
    mount(None, "/", None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


def _build_dev(old: str, new: str, shm_bytes: int) -> None:
    dev = new + "/dev"
    os.mkdir(dev, 0o755)
    mount("tmpfs", dev, "tmpfs", MS_NOSUID, "size=64k,mode=0755")
    for name in _device_nodes():
        source = old + "/dev/" + name
        try:
            mode = os.stat(source).st_mode
        except OSError:
            continue
        if not (stat.S_ISCHR(mode) or stat.S_ISDIR(mode)):
            continue
        _make_target(dev + "/" + name, source)
        mount(source, dev + "/" + name, None, MS_BIND | MS_REC)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                         ("stderr", "/proc/self/fd/2")):
        os.symlink(target, dev + "/" + name)
    os.mkdir(dev + "/shm")
    mount("tmpfs", dev + "/shm", "tmpfs", MS_NOSUID | MS_NODEV, f"size={shm_bytes},mode=1777")
    mount(None, dev, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID)


def _build_workdir(layout: Layout, old: str, new: str) -> None:
    work = new + layout.workdir
    os.makedirs(work, mode=0o700, exist_ok=True)
    for source, name in layout.files:
        target = work + "/" + name
        _make_target(target, old + source)
        bind_readonly(old + source, target)
    if layout.owner is not None:
        os.chown(work, layout.owner, layout.owner)
