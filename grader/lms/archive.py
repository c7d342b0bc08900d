"""Extracting an LMS bulk download safely.

A download zip is untrusted input: its member names could climb out of the target folder
(`../`, absolute paths, drive letters), it could hold links, encrypted members or members whose
headers lie about their sizes, and it could be a zip bomb. Only notebooks are extracted; every
problem found refuses the whole archive with one error naming the zip and the member, before a
single byte of it is written where grading would read it.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import stat
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..errors import InputError

MiB = 2**20


@dataclass(frozen=True)
class Limits:
    """Caps on what one archive may make us read and write."""

    max_members: int = 20_000  # every member, extracted or not
    max_file_bytes: int = 200 * MiB  # one extracted notebook
    max_total_bytes: int = 4096 * MiB  # all extracted notebooks together
    max_ratio: float = 300.0  # uncompressed / compressed, for members above `ratio_floor`
    ratio_floor: int = 1 * MiB


def wanted(name: str) -> bool:
    """Whether a member is a notebook worth extracting (not macOS metadata, not hidden)."""
    parts = PurePosixPath(name).parts
    if not parts or not parts[-1].lower().endswith(".ipynb"):
        return False
    return not any(p.startswith(".") or p == "__MACOSX" for p in parts)


def member_name(info: zipfile.ZipInfo) -> str:
    """The member's name as its author wrote it: zips without the UTF-8 flag often hold UTF-8."""
    name = info.filename
    if not info.flag_bits & 0x800:
        try:
            name = name.encode("cp437").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    return name


_DRIVE = re.compile(r"^[A-Za-z]:")


def safe_parts(name: str) -> tuple[str, ...]:
    """The member's path components, or an explanation of why the name is unsafe."""
    if "\x00" in name or any(ord(c) < 32 for c in name):
        raise ValueError("a control character in its name")
    name = name.replace("\\", "/")
    if name.startswith("/") or _DRIVE.match(name):
        raise ValueError("an absolute path")
    parts = tuple(p for p in name.split("/") if p not in ("", "."))
    if ".." in parts:
        raise ValueError("a path that climbs out of the folder ('..')")
    return parts


def _check_members(zf: zipfile.ZipFile, archive: Path, limits: Limits) -> list[tuple[zipfile.ZipInfo, tuple[str, ...]]]:
    infos = zf.infolist()
    if len(infos) > limits.max_members:
        raise InputError(f"zip refused: {len(infos)} members (the limit is {limits.max_members})", archive)
    # Members whose compressed data overlap are the trick behind non-recursive zip bombs.
    spans = sorted((i.header_offset, i.header_offset + i.compress_size, i.filename) for i in infos)
    for (start, end, name), (next_start, _, _) in itertools.pairwise(spans):
        if next_start < end or next_start == start:
            raise InputError(f"zip bomb refused: member {name!r} overlaps another member's data", archive)
    chosen, total = [], 0
    for info in infos:
        name = member_name(info)
        try:
            parts = safe_parts(name)
        except ValueError as why:
            raise InputError(f"zip refused: member {name!r} has {why}", archive) from None
        if info.is_dir() or not wanted("/".join(parts)):
            continue
        if info.flag_bits & 0x1:
            raise InputError(f"zip refused: member {name!r} is encrypted", archive)
        if stat.S_ISLNK(info.external_attr >> 16):
            raise InputError(f"zip refused: member {name!r} is a symbolic link", archive)
        if info.file_size > limits.max_file_bytes:
            raise InputError(f"zip refused: member {name!r} would unpack to {info.file_size // MiB} MiB "
                             f"(the limit is {limits.max_file_bytes // MiB} MiB)", archive)
        if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise InputError(f"zip bomb refused: member {name!r} expands {info.file_size / max(info.compress_size, 1):.0f}"
                             f" times (the limit is {limits.max_ratio:.0f})", archive)
        total += info.file_size
        if total > limits.max_total_bytes:
            raise InputError(f"zip refused: its notebooks would unpack to more than "
                             f"{limits.max_total_bytes // MiB} MiB", archive)
        chosen.append((info, parts))
    return chosen


def _copy_capped(zf: zipfile.ZipFile, info: zipfile.ZipInfo, dest: Path, budget: int, archive: Path,
                 name: str) -> int:
    """Write one member, counting real bytes: a header that lies about its size is caught here."""
    cap = min(budget, info.file_size)
    written = 0
    with zf.open(info) as src, dest.open("wb") as out:
        while chunk := src.read(MiB):
            written += len(chunk)
            if written > cap:
                raise InputError(f"zip bomb refused: member {name!r} unpacks to more than it declares", archive)
            out.write(chunk)
    return written


def extract_notebooks(archive: Path, target: Path, limits: Limits = Limits()) -> Path:
    """Extract the notebooks of `archive` into `target` (replaced whole), keeping their zip times."""
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"not a readable zip file ({exc})", archive) from None
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        with zf:
            members = _check_members(zf, archive, limits)
            budget = limits.max_total_bytes
            root = staging.resolve()
            for info, parts in members:
                dest = staging.joinpath(*parts)
                if root not in dest.resolve().parents:  # belt and braces after safe_parts
                    raise InputError(f"zip refused: member {info.filename!r} escapes the folder", archive)
                dest.parent.mkdir(parents=True, exist_ok=True)
                try:
                    budget -= _copy_capped(zf, info, dest, budget, archive, member_name(info))
                except (zipfile.BadZipFile, OSError, EOFError, RuntimeError) as exc:
                    raise InputError(f"zip member {member_name(info)!r} cannot be read ({exc})", archive) from None
                stamp = time.mktime((*info.date_time, 0, 0, -1))
                os.utime(dest, (stamp, stamp))
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target
