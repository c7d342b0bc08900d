"""Bounds on what an operation of the grading process may build from a student's values: arrays
from a student's process are capped in size, but two of them broadcast against each other can
ask for any amount of memory."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

MAX_ELEMENTS = 50_000_000  # the most elements an operation on student data may produce


def guard_arrays(values: list[Any]) -> None:
    shapes = [np.shape(v) for v in values if isinstance(v, (np.ndarray, list, tuple))]
    if len(shapes) >= 2:
        try:
            shape = np.broadcast_shapes(*shapes)
        except ValueError:
            return  # the operation itself will say the shapes do not fit
        if math.prod(shape) > MAX_ELEMENTS:
            raise ValueError(f"arrays too large to compare: their shapes {shapes} broadcast to {shape}")


def guard_broadcast(a: Any, b: Any) -> None:
    guard_arrays([np.asarray(a), np.asarray(b)])
