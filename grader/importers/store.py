"""Recorded values as JSON: the sandbox's plain-data codec, with the arrays' bytes in base64.

The trusted run of the solution hands its values to the importing process this way, and an
imported exercise keeps them this way in `recorded.json`. Reading builds only numbers, strings,
containers and numeric arrays (nothing is unpickled or evaluated), as for the student's values.
"""

from __future__ import annotations

import base64
from typing import Any

from ..sandbox import codec


class Store:
    """Values encoded into one shared list of array blobs."""

    def __init__(self, blobs: list[str] | None = None) -> None:
        self.blobs: list[bytes] = [base64.b64decode(b) for b in blobs or []]

    def put(self, value: Any) -> Any:
        tree, blobs = codec.encode(value)
        offset = len(self.blobs)
        self.blobs += blobs
        return _shift(tree, offset)

    def get(self, tree: Any) -> Any:
        return codec.decode(tree, self.blobs)

    def dump(self) -> list[str]:
        return [base64.b64encode(b).decode("ascii") for b in self.blobs]

    @property
    def size(self) -> int:
        return sum(len(b) for b in self.blobs)


def _shift(tree: Any, by: int) -> Any:
    if isinstance(tree, list):
        return [_shift(v, by) for v in tree]
    if isinstance(tree, dict):
        if "$nd" in tree:
            return dict(tree, **{"$nd": tree["$nd"] + by})
        return {k: _shift(v, by) for k, v in tree.items()}
    return tree
