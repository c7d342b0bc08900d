"""An exercise folder as it travels to cluster workers: packed once by content, verified by its
fingerprint, unpacked once per worker into a cache.

The pack is a tar archive whose bytes depend only on the folder's files (names, contents, modes
and times, in sorted order; no owner, no link): the same folder gives the same fingerprint on
every run, so a worker that already holds it unpacks nothing. A worker unpacks only bytes whose
SHA-256 is the fingerprint it was told, and only plain files and folders inside its cache.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .errors import ExerciseError

MAX_PACK_BYTES = 512 * 2**20  # the scheduler keeps each pack in memory; larger data belongs on a shared disk
SKIPPED = ("__pycache__",)  # what an exercise needs to be graded is everything else in its folder


@dataclass(frozen=True)
class Pack:
    fingerprint: str  # SHA-256 of `data`
    data: bytes
    name: str  # the folder's name, for messages


def pack_folder(folder: Path) -> Pack:
    """The folder's files as one archive. Links are followed (an instructor may link a data set
    in); a folder the archive would enter twice, or one past the size cap, is refused."""
    folder = folder.resolve()
    buffer = io.BytesIO()
    total = 0
    seen: set[tuple[int, int]] = set()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in _walk(folder, seen):
            relative = path.relative_to(folder).as_posix()
            info = tarfile.TarInfo(relative)
            stat = path.stat()
            info.mtime = int(stat.st_mtime)
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            if path.is_dir():
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
                continue
            info.size, info.mode = stat.st_size, 0o755 if stat.st_mode & 0o111 else 0o644
            total += stat.st_size
            if total > MAX_PACK_BYTES:
                raise ExerciseError(f"the exercise folder holds more than {MAX_PACK_BYTES // 2**20} MiB, too much to "
                                    "send to cluster workers; put large data where the workers can read it", folder)
            with path.open("rb") as fh:
                tar.addfile(info, fh)
    data = buffer.getvalue()
    return Pack(hashlib.sha256(data).hexdigest(), data, folder.name)


def _walk(folder: Path, seen: set[tuple[int, int]]) -> list[Path]:
    stat = folder.stat()
    if (stat.st_dev, stat.st_ino) in seen:
        raise ExerciseError("a link inside the exercise folder leads back into it", folder)
    seen.add((stat.st_dev, stat.st_ino))
    found: list[Path] = []
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name in SKIPPED or entry.name.startswith("."):
            continue
        if entry.is_dir():
            found.append(entry)
            found += _walk(entry, seen)
        elif entry.is_file():
            found.append(entry)
    return found


def unpack(data: bytes, fingerprint: str, cache: Path) -> Path:
    """The folder the pack holds, under `cache/<fingerprint>`: unpacked there once (into a
    temporary folder first, renamed when complete, so a worker killed half-way leaves nothing that
    looks whole), after the bytes are checked against the fingerprint."""
    if hashlib.sha256(data).hexdigest() != fingerprint:
        raise ExerciseError(f"the exercise pack {fingerprint[:12]} did not arrive intact (its bytes do not match "
                            "its fingerprint)")
    target = cache / fingerprint
    if (target / "exercise.py").is_file():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".unpacking-", dir=cache))
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
            for member in tar.getmembers():  # what pack_folder writes, and nothing else
                if not (member.isfile() or member.isdir()) or member.name.startswith("/") or \
                        ".." in member.name.split("/"):
                    raise ExerciseError(f"the exercise pack holds {member.name[:200]!r}, which is not a file or "
                                        "folder inside it")
            tar.extractall(staging, filter="data")
        try:
            os.rename(staging, target)
        except OSError:
            if not (target / "exercise.py").is_file():  # not another thread's finished copy
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if not (target / "exercise.py").is_file():
        raise ExerciseError(f"the exercise pack {fingerprint[:12]} holds no exercise.py")
    return target
