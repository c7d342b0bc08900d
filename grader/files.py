"""Atomic file writes: a report or export is either the old file or the new one, never half.

The data goes to a temporary file in the same folder, is flushed to the disk, and is renamed
over the target (an atomic step); the folder is then synced so the rename itself survives a
power cut. A writer killed at any point leaves the old file and at worst a hidden `.NAME.*.tmp`.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, data: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(_utf8(data) if isinstance(data, str) else data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp's 0600 would make reports unreadable to others
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _sync_folder(path.parent)


def _utf8(text: str) -> bytes:
    """The text's UTF-8; text that cannot be encoded (a lone surrogate that slipped past the
    cleaning where it entered) is cleaned here rather than lose the whole file."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        from .untrusted import clean

        return clean(text).encode("utf-8")


def _sync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot sync a folder; the rename is still atomic
    finally:
        os.close(fd)


def _umask() -> int:
    """The process's umask, read without setting it (os.umask would change it for every thread)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
