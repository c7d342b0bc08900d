"""What travels between the grading process and its cluster workers, as plain data.

A notebook goes out as its bytes with the student's identity and the order of their choice
options; a result comes back as the JSON text of the result model the gradebook stores (never a
pickled object, and nothing the sandboxed child produced except through that model). Names of
the plugins and event topics both sides use live here, so that neither imports the other's
heavy half. Nothing here imports Dask.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .i18n import Text
from .keys import Orders
from .results import SubmissionResult

SANDBOX_PLUGIN = "grader-sandbox"  # each worker's warm sandbox pool and its isolation check
PACK_PLUGIN = "grader-exercise-"  # + fingerprint: one exercise folder, by content
WORKER_TOPIC = "grader-worker"  # a worker's isolation, as it joins (accepted or refused)
START_TOPIC = "grader-start"  # a notebook's grading started on a worker (counts lost workers)
LEVELS = ("full", "userns", "basic")  # strongest first, as grader.sandbox.isolation names them


def at_least(level: str, required: str) -> bool:
    """Whether a worker isolating at `level` isolates at least as well as `required`."""
    return level in LEVELS and LEVELS.index(level) <= LEVELS.index(required)


def orders_to_json(orders: Orders) -> dict[str, Any]:
    return {"known": {q: list(order) for q, order in orders.known.items()},
            "unknown": {q: why.to_json() for q, why in orders.unknown.items()},
            "read_only": orders.read_only}


def orders_from_json(data: Mapping[str, Any]) -> Orders:
    return Orders(known={str(q): tuple(int(i) for i in order) for q, order in data.get("known", {}).items()},
                  unknown={str(q): Text.of(why) for q, why in data.get("unknown", {}).items()},
                  read_only=bool(data.get("read_only", False)))


@dataclass(frozen=True)
class Returned:
    """One notebook's answer from a worker: the result, where and when it was graded."""

    result: SubmissionResult
    started: float  # the worker's clock (time.time()) as the task began and ended
    ended: float
    address: str

    def to_text(self) -> str:
        # ASCII with escapes: a lone surrogate a student's code printed crosses intact, and is
        # cleaned where every result is, as the grading process reads it (`from_dict`).
        return json.dumps({"result": self.result.to_dict(), "started": self.started, "ended": self.ended,
                           "address": self.address}, separators=(",", ":"))

    @classmethod
    def from_text(cls, text: str) -> Returned:
        """Read back a worker's answer; anything but the expected JSON shape is refused."""
        if not isinstance(text, str):
            raise TypeError(f"a worker answered with {type(text).__name__}, not JSON text")
        data = json.loads(text)
        if not isinstance(data, dict) or not isinstance(data.get("result"), dict):
            raise TypeError("a worker's answer holds no result")
        return cls(SubmissionResult.from_dict(data["result"]), float(data.get("started", 0.0)),
                   float(data.get("ended", 0.0)), str(data.get("address", "")))
