"""Pictures in a student report, drawn server-side by matplotlib into inline SVG.

A picture is drawn only where it says something: for a task with a failed test (the caller's
choice), when the student's output exists and visibly differs from the reference's. The kinds
("curve", "trajectory", "boundary") and their data are described in `grader.report.kinds`; the
data comes from `TaskResult.plots` (see `grader.exercise.Plot`).

matplotlib is imported on the first picture, never when `grader.report` is imported. Identical
data (students with the same mistake) is drawn once per process and served from a cache.
"""

from __future__ import annotations

import hashlib
import html
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..i18n import Text
from .drawing import ID_MARK, render
from .kinds import KINDS

CACHE_SIZE = 512
MAX_PICTURES = 6  # per report


@dataclass(frozen=True)
class Picture:
    svg: str  # one <svg> element whose ids start with ID_MARK
    alt: str  # what the picture shows, in words
    caption: str


@dataclass
class Counters:
    """How much drawing this process did (what `scripts/report_cost` reports)."""

    drawn: int = 0
    reused: int = 0
    seconds: float = 0.0


COUNTERS = Counters()
_LOCK = threading.Lock()
_CACHE: OrderedDict[tuple[str, str], Picture | None] = OrderedDict()


def picture(plot: Mapping[str, Any], lang: str) -> Picture | None:
    """The picture for `plot` in `lang`, or None when it cannot be drawn or would not help."""
    key = (hashlib.sha1(json.dumps(plot, sort_keys=True, default=str).encode()).hexdigest(), lang)
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            COUNTERS.reused += 1
            return _CACHE[key]
    made = _make(plot, lang)
    with _LOCK:
        _CACHE[key] = made
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return made


def inline(pic: Picture, prefix: str) -> str:
    """The picture's <svg> for a page: ids unique on it (`prefix` differs per picture), and its alt text."""
    alt = html.escape(pic.alt, quote=True)
    head_end = pic.svg.index(">")
    return (pic.svg[:head_end] + f' aria-label="{alt}">' + f"<title>{alt}</title>"
            + pic.svg[head_end + 1:]).replace(ID_MARK, prefix)


def _make(plot: Mapping[str, Any], lang: str) -> Picture | None:
    builder = KINDS.get(str(plot.get("kind")))
    if builder is None:
        return None
    try:
        planned = builder(plot, lang)
    except (TypeError, ValueError, KeyError, IndexError):
        return None  # data of an unexpected shape: no picture rather than a broken report
    if planned is None:
        return None
    draw, alt = planned
    started = time.perf_counter()
    svg = render(draw)
    COUNTERS.drawn += 1
    COUNTERS.seconds += time.perf_counter() - started
    return Picture(svg=svg, alt=alt, caption=Text.of(plot.get("title"))(lang))
