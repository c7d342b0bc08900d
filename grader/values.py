"""Values as the checks see them: alternatives (`Either`), numbers as arrays, and short renderings.

What a student's code returned arrives as plain data (numbers, arrays, tensors marked as such,
containers, and stand-ins for what could not cross the boundary). These helpers read it the same
way for every check and write it back as text for feedback.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .sandbox.codec import CallableRef, Opaque, TensorArray, TooBig


@dataclass(frozen=True)
class Either:
    """Expected value with alternatives; arrays are matched element by element.

    ReLU′(0) may be 0 or 1: `Either(np.where(x > 0, 1., 0.), np.where(x >= 0, 1., 0.))`. A result
    that matches none is described against the nearest alternative.
    """

    options: tuple[Any, ...]


def describe(value: Any, limit: int = 8) -> str:
    """A short, readable rendering of a value for feedback."""
    if isinstance(value, Either):
        first = describe(value.options[0], limit)
        others = [describe(v, limit) for v in value.options[1:]]
        others = [o for o in others if o != first]
        return first + "".join(f"  (also accepted: {o})" for o in others)
    if isinstance(value, Opaque):
        return f"<{value.type_name}> {value.repr}".strip()
    if isinstance(value, CallableRef):
        return f"<function {value.name}>"
    if isinstance(value, TooBig):
        return f"<too large: {value.reason}>"
    if isinstance(value, np.ndarray):
        arr = np.asarray(value).view(np.ndarray)
        if arr.ndim == 0:
            return describe(arr[()], limit)
        body = np.array2string(arr, precision=6, threshold=limit, edgeitems=3, separator=", ",
                               suppress_small=False, max_line_width=100)
        tag = "tensor" if isinstance(value, TensorArray) else "array"
        return f"{tag}({body}, shape={arr.shape}, dtype={arr.dtype})" if arr.size > limit else f"{tag}({body})"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    if isinstance(value, (np.integer, np.bool_)):
        return repr(value.item())
    if isinstance(value, tuple):
        return "(" + ", ".join(describe(v, limit) for v in value[:limit]) + (", …" if len(value) > limit else "") + \
            ("," if len(value) == 1 else "") + ")"
    if isinstance(value, list):
        return "[" + ", ".join(describe(v, limit) for v in value[:limit]) + (", …" if len(value) > limit else "") + "]"
    if isinstance(value, dict):
        items = list(value.items())[:limit]
        return "{" + ", ".join(f"{k!r}: {describe(v, limit)}" for k, v in items) + \
            (", …" if len(value) > limit else "") + "}"
    text = repr(value)
    return text if len(text) <= 200 else text[:200] + "…"


def type_name(value: Any) -> str:
    if isinstance(value, TensorArray):
        return "a torch tensor"
    if isinstance(value, np.ndarray):
        return "a numpy array"
    if isinstance(value, Opaque):
        return value.type_name
    if isinstance(value, CallableRef):
        return "a function"
    if value is None:
        return "None"
    return type(value).__name__


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.number, np.bool_, bool)) and not isinstance(value, Either)


def numeric_sequence(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and len(value) > 0 and all(is_number(v) for v in value)


def as_array(value: Any) -> np.ndarray | None:
    """Numbers, numeric sequences and arrays (tensors too) as a plain numpy array; None otherwise."""
    if isinstance(value, np.ndarray):
        return np.asarray(value).view(np.ndarray)
    if is_number(value):
        return np.asarray(value)
    if isinstance(value, (list, tuple)):
        try:
            arr = np.asarray(value)
        except (ValueError, TypeError):
            return None
        return arr if arr.dtype.kind in "biuf" else None
    return None
