"""Length-prefixed frames: a JSON header and raw binary blobs, with hard size caps.

Used on every pipe that crosses a trust boundary (grading process <-> worker <-> child). A frame
is `u32 header length | header JSON | blob bytes...`; the header's "blobs" lists the blob
lengths. Nothing here unpickles or evaluates anything: headers go through `json`, blobs stay
bytes until the codec reads them as plain numeric arrays (nothing is unpickled).
"""

from __future__ import annotations

import json
import os
import struct
from dataclasses import dataclass, field
from typing import Any

_LEN = struct.Struct(">I")
# Bound at import: a student rebinding json.dumps inside the child cannot reach these.
_dumps = json.dumps
_loads = json.loads
MAX_HEADER = 8 * 1024 * 1024
MAX_BLOBS = 256 * 1024 * 1024


class ProtocolError(Exception):
    """A frame was malformed or exceeded a cap. `frames`: whole frames read before it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.frames: list[Frame] = []


@dataclass
class Frame:
    header: dict[str, Any]
    blobs: list[bytes] = field(default_factory=list)


def encode_frame(header: dict[str, Any], blobs: list[bytes] | tuple[bytes, ...] = ()) -> bytes:
    header = dict(header, blobs=[len(b) for b in blobs])
    raw = _dumps(header, separators=(",", ":"), allow_nan=True).encode()
    return b"".join([_LEN.pack(len(raw)), raw, *blobs])


def write_frame(fd: int, header: dict[str, Any], blobs: list[bytes] | tuple[bytes, ...] = ()) -> None:
    data = memoryview(encode_frame(header, blobs))
    while data:
        written = os.write(fd, data)
        data = data[written:]


def _read_exact(fd: int, n: int) -> bytes:
    chunks = []
    while n:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            raise EOFError("pipe closed mid-frame")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _parse_header(raw: bytes, max_blobs: int) -> dict[str, Any]:
    try:
        header = _loads(raw)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(f"unreadable frame header: {exc}") from None
    if not isinstance(header, dict):
        raise ProtocolError("frame header is not an object")
    sizes = header.get("blobs", [])
    if not isinstance(sizes, list) or not all(isinstance(s, int) and s >= 0 for s in sizes):
        raise ProtocolError("frame header has a bad blob list")
    if sum(sizes) > max_blobs:
        raise ProtocolError(f"frame blobs exceed {max_blobs} bytes")
    return header


def read_frame(fd: int, max_header: int = MAX_HEADER, max_blobs: int = MAX_BLOBS) -> Frame:
    """Block until one whole frame is read; EOFError on a clean end of stream."""
    first = os.read(fd, _LEN.size)
    if not first:
        raise EOFError("end of stream")
    if len(first) < _LEN.size:
        first += _read_exact(fd, _LEN.size - len(first))
    (length,) = _LEN.unpack(first)
    if length > max_header:
        raise ProtocolError(f"frame header of {length} bytes exceeds {max_header}")
    header = _parse_header(_read_exact(fd, length), max_blobs)
    return Frame(header, [_read_exact(fd, n) for n in header["blobs"]])


class FrameBuffer:
    """Incremental frame parser for non-blocking reads (bytes arrive in arbitrary pieces)."""

    def __init__(self, max_header: int = MAX_HEADER, max_blobs: int = MAX_BLOBS) -> None:
        self._buf = bytearray()
        self._max_header = max_header
        self._max_blobs = max_blobs
        self.total = 0

    def feed(self, data: bytes) -> list[Frame]:
        self._buf += data
        self.total += len(data)
        frames: list[Frame] = []
        while True:
            try:
                frame = self._pop()
            except ProtocolError as exc:
                exc.frames = frames  # what came before the bad bytes still counts
                raise
            if frame is None:
                return frames
            frames.append(frame)

    @property
    def pending(self) -> int:
        return len(self._buf)

    def _pop(self) -> Frame | None:
        if len(self._buf) < _LEN.size:
            return None
        (length,) = _LEN.unpack_from(self._buf)
        if length > self._max_header:
            raise ProtocolError(f"frame header of {length} bytes exceeds {self._max_header}")
        end = _LEN.size + length
        if len(self._buf) < end:
            return None
        header = _parse_header(bytes(self._buf[_LEN.size:end]), self._max_blobs)
        sizes = header["blobs"]
        if len(self._buf) < end + sum(sizes):
            return None
        blobs = []
        pos = end
        for n in sizes:
            blobs.append(bytes(self._buf[pos:pos + n]))
            pos += n
        del self._buf[:pos]
        return Frame(header, blobs)
