"""Extracting an LMS bulk download safely.

A download zip is untrusted input: its member names could climb out of the target folder
(`../`, absolute paths, drive letters), it could hold links, encrypted members or members whose
headers lie about their sizes, and it could be a zip bomb. Only notebooks are extracted.

What endangers the whole class refuses the whole archive, before a single byte of it is written
where grading would read it: too many members, members sharing compressed data (the trick of
non-recursive bombs), or more bytes in all than the caps allow. A problem of one member refuses
that member only, and the rest of the class is graded: an unsafe name (absolute, `..`, a control
character, a component over 255 bytes, too deep), a link, encryption, a size over the caps or
unlike its header, a name that is not UTF-8 though flagged so, two members with one name, or a
file where another member needs a folder. A refused member is never written; each is reported
with its name (as text, whatever its bytes) and the reason.
"""

from __future__ import annotations

import io
import itertools
import os
import re
import shutil
import stat
import struct
import tempfile
import time
import unicodedata
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from ..errors import InputError
from ..untrusted import name_text

MiB = 2**20


@dataclass(frozen=True)
class Limits:
    """Caps on what one archive may make us read and write."""

    max_members: int = 20_000  # every member, extracted or not
    max_file_bytes: int = 200 * MiB  # one extracted notebook
    max_total_bytes: int = 4096 * MiB  # all extracted notebooks together
    max_ratio: float = 300.0  # uncompressed / compressed, for members above `ratio_floor`
    ratio_floor: int = 1 * MiB


def _looks_like_notebook(name: str) -> bool:
    """Whether a refused member would have been extracted, had its name been safe: worth a word."""
    parts = [p for p in name.replace("\\", "/").split("/") if p]
    return bool(parts) and parts[-1].lower().endswith(".ipynb") and not parts[-1].startswith(".") \
        and "__MACOSX" not in parts


def wanted(name: str) -> bool:
    """Whether a member is a notebook worth extracting (not macOS metadata, not hidden)."""
    parts = PurePosixPath(name).parts
    if not parts or not parts[-1].lower().endswith(".ipynb"):
        return False
    return not any(p.startswith(".") or p == "__MACOSX" for p in parts)


MAX_COMPONENT_BYTES = 255  # what Linux, macOS and Windows file systems allow in one name
MAX_DEPTH = 32  # folders below the download's root


@dataclass(frozen=True)
class Refused:
    """A member left out of the extraction, and why."""

    name: str
    why: str


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
    if any(unicodedata.category(c) == "Cc" for c in name):
        raise ValueError("a control character in its name")
    name = name.replace("\\", "/")
    if name.startswith("/") or _DRIVE.match(name):
        raise ValueError("an absolute path")
    parts = tuple(p for p in name.split("/") if p not in ("", "."))
    if ".." in parts:
        raise ValueError("a path that climbs out of the folder ('..')")
    if any(len(p.encode("utf-8", "surrogatepass")) > MAX_COMPONENT_BYTES for p in parts):
        raise ValueError(f"a name over {MAX_COMPONENT_BYTES} bytes, more than a file system holds")
    if len(parts) > MAX_DEPTH + 1:
        raise ValueError(f"a path {len(parts) - 1} folders deep (the limit is {MAX_DEPTH})")
    return parts


def _member_problem(info: zipfile.ZipInfo, limits: Limits) -> str | None:
    """Why one notebook member cannot be extracted, judged from its header alone."""
    if info.flag_bits & 0x1:
        return "it is encrypted"
    if stat.S_ISLNK(info.external_attr >> 16):
        return "it is a symbolic link"
    if info.file_size > limits.max_file_bytes:
        return (f"it would unpack to {info.file_size // MiB} MiB (the limit is {limits.max_file_bytes // MiB} MiB)")
    if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(info.compress_size, 1):
        return (f"zip bomb: it expands {info.file_size / max(info.compress_size, 1):.0f} times "
                f"(the limit is {limits.max_ratio:.0f})")
    return None


def _clashes(chosen: list[tuple[zipfile.ZipInfo, tuple[str, ...]]]) -> dict[tuple[str, ...], str]:
    """Paths that two members would both write: a name twice, or a file where a folder must be."""
    counts = Counter(parts for _, parts in chosen)
    folders = {parts[:i] for _, parts in chosen for i in range(1, len(parts))}
    clash = {parts: "another member has the same name" for parts, n in counts.items() if n > 1}
    for _, parts in chosen:
        if parts in folders:
            clash[parts] = "another member needs a folder of the same name"
        for i in range(1, len(parts)):
            if parts[:i] in counts:
                clash[parts] = f"its folder {'/'.join(parts[:i])!r} is also a file in the zip"
    return clash


def _check_members(zf: zipfile.ZipFile, archive: Path, limits: Limits, unreadable: dict[int, str]
                   ) -> tuple[list[tuple[zipfile.ZipInfo, tuple[str, ...]]], list[Refused]]:
    """The notebook members to extract and those refused; an archive-wide danger raises."""
    infos = zf.infolist()
    if len(infos) > limits.max_members:
        raise InputError(f"zip refused: {len(infos)} members (the limit is {limits.max_members})", archive)
    # Members whose compressed data overlap are the trick behind non-recursive zip bombs.
    spans = sorted((i.header_offset, i.header_offset + i.compress_size, i.filename) for i in infos)
    for (start, end, name), (next_start, _, _) in itertools.pairwise(spans):
        if next_start < end or next_start == start:
            raise InputError(f"zip bomb refused: member {name_text(name)!r} overlaps another member's data", archive)
    chosen, refused, total = [], [], 0
    for index, info in enumerate(infos):
        if index in unreadable:
            if _looks_like_notebook(unreadable[index]):
                refused.append(Refused(unreadable[index], "its name is not valid UTF-8, though the zip says it is"))
            continue
        raw = member_name(info)
        name = name_text(raw)  # as the instructor is shown it: a control character written %XX
        try:
            parts = safe_parts(raw)
        except ValueError as why:
            if _looks_like_notebook(name):
                refused.append(Refused(name, str(why)))
            continue
        if info.is_dir() or not wanted("/".join(parts)):
            continue
        problem = _member_problem(info, limits)
        if problem is not None:
            refused.append(Refused(name, problem))
            continue
        total += info.file_size
        if total > limits.max_total_bytes:
            raise InputError(f"zip refused: its notebooks would unpack to more than "
                             f"{limits.max_total_bytes // MiB} MiB", archive)
        chosen.append((info, parts))
    clash = _clashes(chosen)
    refused += [Refused(name_text(member_name(info)), clash[parts]) for info, parts in chosen if parts in clash]
    return [(info, parts) for info, parts in chosen if parts not in clash], refused


class _MemberTooLarge(Exception):
    pass


def _copy_capped(zf: zipfile.ZipFile, info: zipfile.ZipInfo, dest: Path, budget: int) -> int:
    """Write one member, counting real bytes: a header that lies about its size is caught here."""
    cap = min(budget, info.file_size)
    written = 0
    with zf.open(info) as src, dest.open("wb") as out:
        while chunk := src.read(MiB):
            written += len(chunk)
            if written > cap:
                raise _MemberTooLarge
            out.write(chunk)
    return written


def extract_notebooks(archive: Path, target: Path, limits: Limits = Limits(),
                      refused: list[Refused] | None = None) -> Path:
    """Extract the notebooks of `archive` into `target` (replaced whole), keeping their zip times.

    Members refused one by one are appended to `refused`; a danger to the whole class raises."""
    left_out = refused if refused is not None else []
    try:
        zf, unreadable = _open(archive)
    except (zipfile.BadZipFile, OSError, EOFError, struct.error) as exc:
        raise InputError(f"not a readable zip file ({exc})", archive) from None
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        with zf:
            members, problems = _check_members(zf, archive, limits, unreadable)
            left_out += problems
            budget = limits.max_total_bytes
            root = staging.resolve()
            for info, parts in members:
                name = name_text(member_name(info))
                dest = staging.joinpath(*parts)
                try:
                    if root not in dest.resolve().parents:  # belt and braces after safe_parts
                        raise ValueError
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    budget -= _copy_capped(zf, info, dest, budget)
                except ValueError:
                    left_out.append(Refused(name, "it escapes the folder"))
                    continue
                except _MemberTooLarge:
                    dest.unlink(missing_ok=True)
                    left_out.append(Refused(name, "zip bomb: it unpacks to more than it declares"))
                    continue
                except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError,
                        zlib.error) as exc:
                    if dest.is_file():
                        dest.unlink()
                    left_out.append(Refused(name, f"it cannot be read or written ({exc})"))
                    continue
                stamp = time.mktime((*info.date_time, 0, 0, -1))
                try:
                    os.utime(dest, (stamp, stamp))
                except (OverflowError, ValueError, OSError):
                    pass  # an impossible date in the header: the file keeps the time of extraction
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


# --- archives the zipfile module will not open ---------------------------------------------------
#
# zipfile refuses a whole archive when one name flagged as UTF-8 is not (UnicodeDecodeError) or
# one member asks for a newer zip version (NotImplementedError). Such an archive is read through
# a view that clears those fields in its central directory; the members are then refused one by
# one. Nothing is rewritten on disk.

_CENTRAL = b"PK\x01\x02"
_END = b"PK\x05\x06"
_END64 = b"PK\x06\x06"
_LOCATOR64 = b"PK\x06\x07"
_MAX_VERSION = 63  # zipfile.MAX_EXTRACT_VERSION


def _open(archive: Path) -> tuple[zipfile.ZipFile, dict[int, str]]:
    """The archive opened, and the members (by position) whose headers zipfile cannot take."""
    try:
        return zipfile.ZipFile(archive), {}
    except (UnicodeDecodeError, NotImplementedError):
        pass
    with archive.open("rb") as fh:
        patches, unreadable = _patches(fh)
    return zipfile.ZipFile(_Patched(archive, patches)), unreadable  # type: ignore[arg-type]


def _directory(fh: BinaryIO) -> tuple[int, int]:
    """Where the central directory starts in the file, and its size (zip64 too)."""
    end = fh.seek(0, os.SEEK_END)
    tail_start = max(0, end - 22 - 65_535)
    fh.seek(tail_start)
    tail = fh.read()
    at = tail.rfind(_END)
    if at < 0:
        raise zipfile.BadZipFile("no end of central directory")
    record = tail_start + at
    size, _ = struct.unpack("<II", tail[at + 12:at + 20])
    if at >= 20 and tail[at - 20:at - 16] == _LOCATOR64:
        fh.seek(record - 20 - 56)
        zip64 = fh.read(56)
        if zip64[:4] == _END64:
            (size,) = struct.unpack("<Q", zip64[40:48])
            record -= 20 + 56
    return record - size, size


def _patches(fh: BinaryIO) -> tuple[dict[int, bytes], dict[int, str]]:
    start, size = _directory(fh)
    fh.seek(start)
    data = fh.read(size)
    patches: dict[int, bytes] = {}
    unreadable: dict[int, str] = {}
    at, index = 0, 0
    while at + 46 <= len(data) and data[at:at + 4] == _CENTRAL:
        version, flags = data[at + 6], struct.unpack("<H", data[at + 8:at + 10])[0]
        name_len, extra_len, comment_len = struct.unpack("<HHH", data[at + 28:at + 34])
        raw = data[at + 46:at + 46 + name_len]
        if flags & 0x800:
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                patches[start + at + 8] = struct.pack("<H", flags & ~0x800)
                unreadable[index] = name_text(raw)
        if version > _MAX_VERSION:
            patches[start + at + 6] = bytes([20])
            unreadable.setdefault(index, name_text(raw.decode("utf-8", "surrogateescape")))
        at += 46 + name_len + extra_len + comment_len
        index += 1
    return patches, unreadable


class _Patched(io.RawIOBase):
    """A read-only view of a file with a few bytes replaced."""

    def __init__(self, path: Path, patches: dict[int, bytes]) -> None:
        super().__init__()
        self._fh = path.open("rb")
        self._patches = patches
        self.name = str(path)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return self._fh.seek(offset, whence)

    def tell(self) -> int:
        return self._fh.tell()

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        start = self._fh.tell()
        count = self._fh.readinto(buffer)
        for offset, data in self._patches.items():
            for i, byte in enumerate(data):
                if start <= offset + i < start + count:
                    buffer[offset + i - start] = byte
        return count

    def close(self) -> None:
        self._fh.close()
        super().close()
