"""Release bundles: the public tests of an exercise as data, for `grader check` and `grader.check()`.

`<exercise>.checks.json` holds, for the public tests only, the probes with their inputs, the
expected values the reference computed at release time, the checks as data and the hints, and the
reference's outputs for the report's pictures. Arrays travel as base64 raw buffers with their
dtype and shape (nothing is unpickled). Hidden tests and reference code are not in it.

The same data travels inside the released notebook (`pack` / `unpack`: JSON, zlib, base64), in
its metadata and in its first cell, so a check inside the notebook needs nothing beside it.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import zlib
from pathlib import Path
from typing import Any

from .checks import Either, check_from_json
from .errors import InputError
from .exercise import UNSET, Exercise
from .i18n import Text
from .plan import (
    PlannedCase,
    PlannedMisconception,
    PlannedPlot,
    PlannedTask,
    PlannedTest,
    plan_exercise,
    student_seed,
)
from .sandbox import Probe, codec
from .sandbox.limits import Limits
from .symbolic.errors import SpecError
from .symbolic.spec import spec_from_json, spec_to_json

BUNDLE_SUFFIX = ".checks.json"
FORMAT = "grader-checks"
VERSION = 1
_EITHER = "__either__"
_UNSET = "__unset__"
MAX_BUNDLE_BYTES = 64 * 1024**2


class _Blobs:
    def __init__(self, blobs: list[bytes] | None = None) -> None:
        self.blobs = blobs if blobs is not None else []

    def encode(self, value: Any) -> Any:
        tree, blobs = codec.encode(_wrap(value))
        offset = len(self.blobs)
        self.blobs += blobs
        return codec.shift(tree, offset)

    def decode(self, tree: Any) -> Any:
        return _unwrap(codec.decode(tree, self.blobs))


def _wrap(value: Any) -> Any:
    if value is UNSET:
        return {_UNSET: True}
    if isinstance(value, Either):
        return {_EITHER: tuple(_wrap(v) for v in value.options)}
    if isinstance(value, tuple):
        return tuple(_wrap(v) for v in value)
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    if isinstance(value, dict):
        return {k: _wrap(v) for k, v in value.items()}
    return value


def _unwrap(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {_UNSET}:
            return UNSET
        if set(value) == {_EITHER}:
            return Either(tuple(_unwrap(v) for v in value[_EITHER]))
        return {k: _unwrap(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(_unwrap(v) for v in value)
    if isinstance(value, list):
        return [_unwrap(v) for v in value]
    return value


def _text(value: Text | None) -> Any:
    return None if value is None else value.to_json()


def _safe_output(m: PlannedMisconception) -> Any:
    """A misconception's output for a case, or UNSET when its wrong implementation cannot run on it."""
    try:
        return m.output()
    except Exception:
        return UNSET


def _probe_json(probe: Probe, store: _Blobs) -> dict[str, Any]:
    return {"id": probe.id, "kind": probe.kind, "name": probe.name, "args": store.encode(probe.args),
            "kwargs": store.encode(dict(probe.kwargs)), "source": probe.source, "forbid": list(probe.forbid),
            "timeout": probe.timeout, "capture": probe.capture}


def _probe_from(p: dict[str, Any], store: _Blobs) -> Probe:
    return Probe(id=p["id"], kind=p["kind"], name=p["name"], args=tuple(store.decode(p["args"])),
                 kwargs=store.decode(p["kwargs"]), source=p["source"], forbid=tuple(p["forbid"]),
                 timeout=p["timeout"], capture=bool(p.get("capture", False)))


def support_names(exercise: Exercise) -> list[str]:
    """The entries of the exercise's support folder (`files/`), which `release` puts beside the
    student's notebook and `check` shows to it again."""
    folder = Path(exercise.path) / "files" if exercise.path else None
    if folder is None or not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def _template(exercise: Exercise) -> dict[str, list[str]]:
    """Which cells are the instructor's, so a check tells their errors from the student's."""
    from .instructor import template_for

    return template_for(exercise).to_json()


def bundle_json(exercise: Exercise, lang: str | None = None) -> dict[str, Any]:
    """The public tests as data; `lang`, when given, is the language the notebook was released in."""
    tasks = plan_exercise(exercise, student_seed(exercise.id, "check"), public_only=True)
    store = _Blobs()
    out_tasks = []
    for task in tasks:
        tests = []
        for test in task.tests:
            cases = []
            for case in test.cases:
                cases.append({
                    "probe": _probe_json(case.probe, store),
                    "expected": store.encode(case.expected), "label": _text(case.label), "call": case.call,
                    "expected_printed": case.expected_printed,
                    "misconceptions": [{"id": m.id, "hint": m.hint.to_json(), "rtol": m.rtol, "atol": m.atol,
                                        "value": store.encode(_safe_output(m))} for m in case.misconceptions],
                })
            tests.append({"name": test.name, "title": _text(test.title), "points": test.points,
                          "public": test.public, "visibility": test.visibility, "hint": _text(test.hint),
                          "checks": [c.to_json() for c in test.checks], "require": test.require,
                          "source": test.source, "cases": cases})
        entry = {"id": task.id, "title": task.title.to_json(), "kind": task.kind, "target": task.target,
                 "forbid": list(task.forbid), "hidden_tests": task.hidden_tests, "tests": tests,
                 "must_use": list(task.must_use), "computed": task.computed,
                 # What the report's pictures draw: the reference's outputs on the pictures' own inputs.
                 "plots": [{"kind": plot.kind, "title": plot.title.to_json(), "probe": _probe_json(plot.probe, store),
                            "reference": store.encode(plot.reference), "extra": store.encode(plot.extra)}
                           for plot in task.plots]}
        if task.derivation is not None:
            # Only what reading an answer needs: the expected answer and the catalogue stay out.
            entry["derivation"] = spec_to_json(dataclasses.replace(task.derivation, expected="0", misconceptions=()))
        out_tasks.append(entry)
    data: dict[str, Any] = {
        "format": FORMAT, "version": VERSION,
        "exercise": {"id": exercise.id, "version": exercise.version, "title": exercise.title.to_json(),
                     "limits": exercise.limits.to_json(), "requires": list(exercise.requires),
                     "files": support_names(exercise), "template": _template(exercise)},
        "tasks": out_tasks,
        "blobs": [base64.b64encode(b).decode("ascii") for b in store.blobs],
    }
    if lang is not None:
        data["lang"] = lang
    return data


def read_bundle(path: Path) -> tuple[Exercise, tuple[PlannedTask, ...]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"corrupt checks file ({type(exc).__name__}: {exc})", path) from None
    return bundle_from_json(data, path)


def bundle_from_json(data: Any, where: Path | str) -> tuple[Exercise, tuple[PlannedTask, ...]]:
    """The exercise (id, title, limits) and planned public tests of a bundle; `where` names it in errors."""
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("version") != VERSION:
        raise InputError(f"not a {FORMAT} file of version {VERSION}", where)
    try:
        store = _Blobs([base64.b64decode(b, validate=True) for b in data["blobs"]])
        info = data["exercise"]
        exercise = Exercise(id=info["id"], version=info["version"], title=Text.of(info["title"]), tasks=(),
                            limits=Limits.from_json(info["limits"]), requires=tuple(info["requires"]))
        tasks = []
        for task in data["tasks"]:
            tests = []
            for test in task["tests"]:
                cases = []
                for case in test["cases"]:
                    probe = _probe_from(case["probe"], store)
                    misconceptions = tuple(PlannedMisconception(m["id"], Text.of(m["hint"]), m["rtol"], m["atol"],
                                                                value=store.decode(m["value"]))
                                           for m in case["misconceptions"])
                    cases.append(PlannedCase(probe, store.decode(case["expected"]),
                                             Text.of(case["label"]) if case["label"] else None, case["call"],
                                             misconceptions, case.get("expected_printed")))
                tests.append(PlannedTest(
                    name=test["name"], title=Text.of(test["title"]) if test["title"] else None,
                    points=float(test["points"]), public=bool(test["public"]), visibility=test["visibility"],
                    hint=Text.of(test["hint"]) if test["hint"] else None,
                    checks=tuple(check_from_json(c) for c in test["checks"]), require=test["require"],
                    cases=tuple(cases), source=test["source"]))
            derivation = spec_from_json(task["derivation"]) if task.get("derivation") else None
            plots = tuple(PlannedPlot(p["kind"], Text.of(p["title"]), _probe_from(p["probe"], store),
                                      store.decode(p["reference"]), dict(store.decode(p["extra"])))
                          for p in task.get("plots", ()))
            tasks.append(PlannedTask(task["id"], Text.of(task["title"]), task["kind"], task["target"],
                                     tuple(task["forbid"]), tuple(tests), int(task["hidden_tests"]),
                                     derivation=derivation, format_only=derivation is not None,
                                     plots=plots, must_use=tuple(task.get("must_use", ())),
                                     computed=bool(task.get("computed", False))))
    except (KeyError, TypeError, ValueError, AttributeError, binascii.Error, codec.CodecError, SpecError) as exc:
        raise InputError(f"corrupt checks file ({type(exc).__name__}: {exc})", where) from None
    return exercise, tuple(tasks)


def pack(data: dict[str, Any]) -> str:
    """A bundle as one line of text for a notebook: JSON, zlib, base64."""
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return base64.b64encode(zlib.compress(raw, 9)).decode("ascii")


def unpack(text: Any, where: Path | str) -> Any:
    """What `pack` wrote, read back as JSON, never more than MAX_BUNDLE_BYTES once inflated (the
    text is the student's to edit: a few KiB must not inflate to gigabytes)."""
    if not isinstance(text, str) or len(text) > MAX_BUNDLE_BYTES:
        raise InputError("the public tests are not a text of ours", where)
    try:
        inflate = zlib.decompressobj()
        raw = inflate.decompress(base64.b64decode(text, validate=True), MAX_BUNDLE_BYTES)
        if inflate.unconsumed_tail:
            raise InputError(f"the public tests inflate past {MAX_BUNDLE_BYTES >> 20} MiB", where)
        return json.loads(raw.decode("utf-8"))
    except (binascii.Error, zlib.error, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InputError(f"the public tests are damaged ({type(exc).__name__}); take them again from the "
                         "released notebook", where) from None
