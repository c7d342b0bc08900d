"""The result of checking one answer, and its JSON form (what crosses the process boundary)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final, Literal, TypeAlias, cast, get_args

__all__ = ["Verdict", "Witness", "Status", "Layer", "VerdictDecodeError"]

Status: TypeAlias = Literal["correct", "incorrect", "invalid", "undetermined"]
"""``invalid``: the answer could not be read; ``undetermined``: it was read but the engine could
not decide within its limits (too few valid sample points, resource limits). Neither is a
judgement of the mathematics."""

Layer: TypeAlias = Literal["parse", "structural", "symbolic", "numeric", "piecewise", "limits"]
"""Which layer decided: ``parse`` (refused on reading), ``structural`` (same canonical form),
``symbolic`` (``simplify(a - b)`` proved zero), ``numeric`` (random points in the declared
domain), ``piecewise`` (the value at a breakpoint, by the task's convention), ``limits`` (a time
or memory bound was reached)."""

_STATUSES: Final = frozenset(get_args(Status))
_LAYERS: Final = frozenset(get_args(Layer))
_MAX_TEXT: Final = 4000


class VerdictDecodeError(ValueError):
    """A JSON verdict from a child process did not have the expected shape."""


@dataclass(frozen=True)
class Witness:
    """A point where the answer differs from the expected one (``yours`` is ``None`` where the
    answer is undefined there). ``function`` names the test function used for an abstract
    activation, e.g. ``f(t) = tanh(t)``, so the student can reproduce the numbers."""

    point: tuple[tuple[str, float], ...]
    yours: float | None
    expected: float
    function: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "point": [[name, value] for name, value in self.point],
            "yours": self.yours,
            "expected": self.expected,
            "function": self.function,
        }

    @classmethod
    def from_json(cls, data: object) -> Witness:
        if not isinstance(data, dict):
            raise VerdictDecodeError("witness must be an object")
        raw_point = data.get("point")
        if not isinstance(raw_point, list) or len(raw_point) > 64:
            raise VerdictDecodeError("witness point must be a short list")
        point: list[tuple[str, float]] = []
        for item in raw_point:
            if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)):
                raise VerdictDecodeError("witness coordinate must be [name, value]")
            point.append((_short(item[0]), _number(item[1])))
        yours = data.get("yours")
        function = data.get("function")
        return cls(
            point=tuple(point),
            yours=None if yours is None else _number(yours),
            expected=_number(data.get("expected")),
            function=None if function is None else _short(function),
        )


@dataclass(frozen=True)
class Verdict:
    """How one answer was judged, and why, in both report languages.

    ``message`` always names the reason (equivalent by which layer / matches misconception X /
    differs at a point / what could not be read). ``summary`` says the same without any sample
    point, value there, or anything else worked out from the expected answer (a hidden test shows
    only it); ``None`` when the message has nothing of the kind. ``read_as`` is how the engine
    read the answer (``None`` only when it could not be read at all), shown to the student so that
    a silent mis-reading cannot happen.
    """

    status: Status
    decided_by: Layer
    message: Mapping[str, str]
    read_as: str | None = None
    misconception: str | None = None
    hint: Mapping[str, str] | None = None
    witness: Witness | None = None
    summary: Mapping[str, str] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "message", MappingProxyType(dict(self.message)))
        if self.hint is not None:
            object.__setattr__(self, "hint", MappingProxyType(dict(self.hint)))
        if self.summary is not None:
            object.__setattr__(self, "summary", MappingProxyType(dict(self.summary)))

    @property
    def brief(self) -> Mapping[str, str]:
        """What a hidden test may show: the summary, or the message when it needs none."""
        return self.message if self.summary is None else self.summary

    @property
    def correct(self) -> bool:
        return self.status == "correct"

    def text(self, lang: str = "en") -> str:
        """The message (and hint, when there is one) in ``lang``; English otherwise."""
        key = lang if lang in self.message else "en"
        out = self.message[key]
        if self.hint is not None:
            out += " " + self.hint.get(key, self.hint["en"])
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "decided_by": self.decided_by,
            "message": dict(self.message),
            "read_as": self.read_as,
            "misconception": self.misconception,
            "hint": None if self.hint is None else dict(self.hint),
            "witness": None if self.witness is None else self.witness.to_json(),
            "summary": None if self.summary is None else dict(self.summary),
        }

    @classmethod
    def from_json(cls, data: object) -> Verdict:
        """Rebuild a verdict from untrusted JSON, checking every field's type and size."""
        if not isinstance(data, dict):
            raise VerdictDecodeError("verdict must be an object")
        status = data.get("status")
        layer = data.get("decided_by")
        if status not in _STATUSES or layer not in _LAYERS:
            raise VerdictDecodeError("unknown status or layer")
        witness = data.get("witness")
        read_as = data.get("read_as")
        misconception = data.get("misconception")
        hint = data.get("hint")
        summary = data.get("summary")
        return cls(
            status=cast(Status, status),
            decided_by=cast(Layer, layer),
            message=_bilingual(data.get("message")),
            read_as=None if read_as is None else _short(read_as),
            misconception=None if misconception is None else _short(misconception),
            hint=None if hint is None else _bilingual(hint),
            witness=None if witness is None else Witness.from_json(witness),
            summary=None if summary is None else _bilingual(summary),
        )


def _short(value: object) -> str:
    if not isinstance(value, str) or len(value) > _MAX_TEXT:
        raise VerdictDecodeError("expected a string of bounded length")
    return value


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise VerdictDecodeError("expected a number")
    out = float(value)
    if not math.isfinite(out):
        raise VerdictDecodeError("expected a finite number")
    return out


def _bilingual(value: object) -> dict[str, str]:
    if not isinstance(value, dict) or set(value) != {"es", "en"}:
        raise VerdictDecodeError("expected a bilingual text")
    return {"es": _short(value["es"]), "en": _short(value["en"])}
