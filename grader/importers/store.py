"""Recorded values as JSON: the sandbox's plain-data codec, with the arrays' bytes in base64.

The trusted run of the solution hands its values to the importing process this way, and an
imported exercise keeps them this way in `recorded.json`. Reading builds only numbers, strings,
containers and numeric arrays (nothing is unpickled or evaluated), as for the student's values.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np

from ..sandbox import codec


class Store:
    """Values encoded into one shared list of array blobs."""

    def __init__(self, blobs: list[str] | None = None) -> None:
        self.blobs: list[bytes] = [base64.b64decode(b) for b in blobs or []]

    def put(self, value: Any) -> Any:
        tree, blobs = codec.encode(_mark(value))
        offset = len(self.blobs)
        self.blobs += blobs
        return codec.shift(tree, offset)

    def get(self, tree: Any) -> Any:
        return _unmark(codec.decode(tree, self.blobs))

    def dump(self) -> list[str]:
        return [base64.b64encode(b).decode("ascii") for b in self.blobs]

    @property
    def size(self) -> int:
        return sum(len(b) for b in self.blobs)


_TENSOR = "$tensor"  # an array that was a tensor: the codec sends every ndarray as numpy


def _mark(value: Any) -> Any:
    if isinstance(value, codec.TensorArray):
        return {_TENSOR: np.asarray(value).view(np.ndarray)}
    if isinstance(value, dict):
        return {k: _mark(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        items = [_mark(v) for v in value]
        return items if isinstance(value, list) else tuple(items)
    return value


def _unmark(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {_TENSOR} and isinstance(value[_TENSOR], np.ndarray):
            return value[_TENSOR].view(codec.TensorArray)
        return {k: _unmark(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        items = [_unmark(v) for v in value]
        return items if isinstance(value, list) else tuple(items)
    return value


