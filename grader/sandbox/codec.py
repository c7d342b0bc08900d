"""Plain-data codec for values that cross the sandbox boundary.

Values become tagged JSON plus a list of raw array buffers. Encoding runs on both sides (the parent
encodes probe inputs, the child encodes whatever the student's code returned); decoding in the
parent only ever builds numbers, strings, containers and `numpy` arrays of plain numeric dtypes
from raw bytes (nothing is unpickled), so a hostile return value can at worst be reported as
unreadable.

Tags: {"$nd": i, "dtype", "shape"} array blob i, raw bytes (optional "torch", "scalar"), {"$tuple": [...]},
{"$dict": [[k, v], ...]}, {"$float": "nan" | "inf" | "-inf"}, {"$int": "digits"},
{"$callable": name}, {"$obj": type-name, "repr": text}, {"$big": reason}.
"""

from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np

MAX_DEPTH = 24
MAX_ITEMS = 200_000
MAX_STR = 200_000
MAX_ARRAY_BYTES = 64 * 1024 * 1024
MAX_REPR = 300
_NBYTES = np.ndarray.nbytes  # type: ignore[attr-defined]


class CodecError(Exception):
    """A value could not be decoded safely."""


@dataclass(frozen=True)
class Opaque:
    """Something the student returned that is not plain data (kept as its type and a short repr)."""

    type_name: str
    repr: str


@dataclass(frozen=True)
class CallableRef:
    """The student returned a function or other callable (it stays in the child)."""

    name: str


@dataclass(frozen=True)
class TooBig:
    """A value over the size caps; only the reason comes back."""

    reason: str


class TensorArray(np.ndarray):
    """An array that was a torch.Tensor in the child (so feedback can say so)."""


class _Encoder:
    def __init__(self) -> None:
        self.blobs: list[bytes] = []
        self.items = 0
        self.array_bytes = 0

    def array(self, arr: np.ndarray, **flags: bool) -> dict[str, Any]:
        if arr.dtype.hasobject or arr.dtype.fields is not None or arr.dtype.kind in "VOMm":
            return {"$obj": f"ndarray[{arr.dtype}]", "repr": ""}
        self.array_bytes += arr.nbytes
        if self.array_bytes > MAX_ARRAY_BYTES:
            return {"$big": f"arrays larger than {MAX_ARRAY_BYTES // (1024 * 1024)} MiB"}
        # Raw bytes in C order; dtype and shape ride in the JSON tag (no header to parse back).
        self.blobs.append(arr.tobytes(order="C"))
        tag: dict[str, Any] = {"$nd": len(self.blobs) - 1, "dtype": arr.dtype.str, "shape": list(arr.shape)}
        tag.update({k: True for k, v in flags.items() if v})
        return tag

    def value(self, obj: Any, depth: int = 0) -> Any:
        self.items += 1
        if self.items > MAX_ITEMS:
            return {"$big": f"more than {MAX_ITEMS} items"}
        if depth > MAX_DEPTH:
            return {"$big": f"nested deeper than {MAX_DEPTH}"}
        kind = type(obj)
        if obj is None or kind is bool or kind is str and len(obj) <= MAX_STR:
            return obj
        if kind is str:
            return {"$big": f"a string of {len(obj)} characters"}
        if kind is int:
            if abs(obj) < 2**53:
                return obj
            try:
                return {"$int": str(obj)}
            except ValueError:
                return {"$big": "an integer with too many digits"}
        if kind is float:
            return obj if math.isfinite(obj) else {"$float": repr(obj)}
        if kind is tuple:
            return {"$tuple": [self.value(v, depth + 1) for v in obj]}
        if kind is list:
            return [self.value(v, depth + 1) for v in obj]
        if kind is dict:
            return {"$dict": [[self.value(k, depth + 1), self.value(v, depth + 1)] for k, v in obj.items()]}
        if isinstance(obj, np.generic):
            return self.array(np.asarray(obj).view(np.ndarray).copy(), scalar=True)
        if isinstance(obj, np.ndarray):
            # Sized before copying (a broadcast view can claim terabytes), with the base class's
            # own descriptor: a subclass may override `nbytes` like anything else.
            if self.array_bytes + _NBYTES.__get__(obj) > MAX_ARRAY_BYTES:
                return {"$big": f"arrays larger than {MAX_ARRAY_BYTES // (1024 * 1024)} MiB"}
            # Subclasses may override anything; copy their raw buffer into a plain ndarray.
            return self.array(np.array(obj, copy=True, subok=False).view(np.ndarray))
        torch = sys.modules.get("torch")
        if torch is not None and isinstance(obj, torch.Tensor):
            return self.array(obj.detach().cpu().resolve_conj().numpy().copy(), torch=True,
                              scalar=obj.dim() == 0)
        if isinstance(obj, (tuple, list)):
            return self.value(tuple(obj) if isinstance(obj, tuple) else list(obj), depth)
        if isinstance(obj, float):
            return self.value(float(obj), depth)
        if isinstance(obj, int) and not isinstance(obj, bool):
            return self.value(int(obj), depth)
        if callable(obj):
            return {"$callable": _safe_name(obj)}
        return {"$obj": _safe_type_name(obj), "repr": _safe_repr(obj)}


def _safe_type_name(obj: Any) -> str:
    try:
        return str(type(obj).__qualname__)[:100]
    except Exception:
        return "object"


def _safe_name(obj: Any) -> str:
    try:
        return str(getattr(obj, "__qualname__", None) or _safe_type_name(obj))[:100]
    except Exception:
        return "callable"


def _safe_repr(obj: Any) -> str:
    try:
        text = repr(obj)
        return text if isinstance(text, str) and len(text) <= MAX_REPR else str(text)[:MAX_REPR] + "…"
    except BaseException:
        return "<repr failed>"


def encode(obj: Any) -> tuple[Any, list[bytes]]:
    """Encode a value as (tagged JSON, blobs). Never raises for a strange value; it tags it."""
    enc = _Encoder()
    return enc.value(obj), enc.blobs


_DTYPE = re.compile(r"[<>|=]?[biufc][1-9][0-9]?")


def _read_array(blob: bytes, dtype: Any, shape: Any) -> np.ndarray:
    """A plain numeric array from raw bytes: only bool, integer, float and complex dtypes, and a
    shape whose size matches the bytes exactly (nothing else is interpreted)."""
    if not isinstance(dtype, str) or not _DTYPE.fullmatch(dtype):
        raise CodecError("unreadable array: unsupported dtype")
    if not isinstance(shape, list) or len(shape) > 32 or not all(isinstance(n, int) and 0 <= n for n in shape):
        raise CodecError("unreadable array: bad shape")
    try:
        kind = np.dtype(dtype)
    except TypeError:
        raise CodecError("unreadable array: unsupported dtype") from None
    count = math.prod(shape)
    if count * kind.itemsize != len(blob):
        raise CodecError("unreadable array: size does not match its shape")
    return np.frombuffer(blob, dtype=kind).reshape(shape).copy()


def decode(tree: Any, blobs: list[bytes], depth: int = 0) -> Any:
    """Rebuild a value from tagged JSON and blobs, refusing anything but plain data."""
    if depth > MAX_DEPTH + 2:
        raise CodecError("value nested too deeply")
    if isinstance(tree, str):
        return _valid_text(tree)
    if tree is None or isinstance(tree, (bool, int, float)):
        return tree
    if isinstance(tree, list):
        return [decode(v, blobs, depth + 1) for v in tree]
    if not isinstance(tree, dict) or len(tree) == 0:
        raise CodecError("unknown value encoding")
    if "$nd" in tree:
        index = tree["$nd"]
        if not isinstance(index, int) or not 0 <= index < len(blobs):
            raise CodecError("array reference out of range")
        arr = _read_array(blobs[index], tree.get("dtype"), tree.get("shape"))
        if tree.get("torch"):
            arr = arr.view(TensorArray)
        if tree.get("scalar") and arr.ndim == 0 and not tree.get("torch"):
            return arr[()]
        return arr
    if "$tuple" in tree:
        return tuple(decode(v, blobs, depth + 1) for v in _as_list(tree["$tuple"]))
    if "$dict" in tree:
        out = {}
        for pair in _as_list(tree["$dict"]):
            if not isinstance(pair, list) or len(pair) != 2:
                raise CodecError("bad dict entry")
            key = decode(pair[0], blobs, depth + 1)
            try:
                out[key] = decode(pair[1], blobs, depth + 1)
            except TypeError:
                raise CodecError("unhashable dict key") from None
        return out
    if "$float" in tree:
        text = tree["$float"]
        if text not in ("nan", "inf", "-inf"):
            raise CodecError("bad float tag")
        return float(text)
    if "$int" in tree:
        text = str(tree["$int"])
        if len(text) > 4000 or not text.lstrip("-").isdigit():
            raise CodecError("bad integer tag")
        return int(text)
    if "$callable" in tree:
        return CallableRef(_valid_text(str(tree["$callable"])[:100]))
    if "$obj" in tree:
        return Opaque(_valid_text(str(tree["$obj"])[:100]), _valid_text(str(tree.get("repr", ""))[:MAX_REPR + 1]))
    if "$big" in tree:
        return TooBig(_valid_text(str(tree["$big"])[:200]))
    raise CodecError("unknown value tag")


def _valid_text(text: str) -> str:
    """Lone surrogates (valid in JSON, not in UTF-8) become U+FFFD, so results can be written."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")


def _as_list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise CodecError("expected a list in value encoding")
    return value


def shift(tree: Any, by: int) -> Any:
    """An encoded tree whose array tags point `by` blobs further (trees packed into one list)."""
    if by == 0:
        return tree
    if isinstance(tree, list):
        return [shift(v, by) for v in tree]
    if isinstance(tree, dict):
        if "$nd" in tree:
            return dict(tree, **{"$nd": tree["$nd"] + by})
        return {k: shift(v, by) for k, v in tree.items()}
    return tree
