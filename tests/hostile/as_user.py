"""Run a command as an ordinary user, from root, the way an instructor without root runs the grader.

    python as_user.py USER HOME [--see PATH ...] -- COMMAND …

The interpreter of this test run may live where only root can go (/root/.pyenv). In a mount
namespace of the command's own, each closed folder on the way to a `--see` path is covered by a
tmpfs holding only the entry that leads on (bound back from the original), so the user can reach
the interpreter and nothing else that was closed to it. Then the command runs with the user's
uid, gid and HOME, no supplementary groups and no capabilities: the grader sees an ordinary user
and chooses its isolation level as it would for one.
"""

from __future__ import annotations

import ctypes
import os
import pwd
import stat
import sys
import tempfile

CLONE_NEWNS = 0x00020000
MS_BIND, MS_REC, MS_PRIVATE, MNT_DETACH = 4096, 16384, 1 << 18, 2
libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    enc = (lambda s: s.encode() if s is not None else None)
    _check(libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)), f"mount {target}")


def open_the_way(path: str) -> None:
    """Make `path` reachable for other users: each closed ancestor shows only the way on."""
    parts = os.path.realpath(path).strip("/").split("/")
    for depth in range(len(parts) - 1):
        ancestor = "/" + "/".join(parts[: depth + 1])
        entry = "/" + "/".join(parts[: depth + 2])
        if os.stat(ancestor).st_mode & stat.S_IXOTH:
            continue
        stage = tempfile.mkdtemp(prefix=".way-", dir="/tmp")
        _mount(entry, stage, None, MS_BIND | MS_REC)
        _mount("tmpfs", ancestor, "tmpfs", 0, "size=64k,mode=0755")
        if os.path.isdir(stage):
            os.makedirs(entry, exist_ok=True)
        else:
            open(entry, "a").close()
        _mount(stage, entry, None, MS_BIND | MS_REC)
        _check(libc.umount2(stage.encode(), ctypes.c_int(MNT_DETACH)), "umount")
        os.rmdir(stage)


def main(argv: list[str]) -> None:
    split = argv.index("--")
    options, command = argv[:split], argv[split + 1:]
    user, home = options[0], options[1]
    see = [options[i + 1] for i, arg in enumerate(options) if arg == "--see"]
    entry = pwd.getpwnam(user)
    _check(libc.unshare(ctypes.c_int(CLONE_NEWNS)), "unshare")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    for path in see:
        open_the_way(path)
    os.setgroups([])
    os.setresgid(entry.pw_gid, entry.pw_gid, entry.pw_gid)
    os.setresuid(entry.pw_uid, entry.pw_uid, entry.pw_uid)  # from root to a uid: every capability goes
    os.environ.update(HOME=home, USER=user, LOGNAME=user)
    os.chdir(home)
    os.execvp(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
