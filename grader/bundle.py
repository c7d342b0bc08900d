"""Release bundles: the public tests of an exercise as data, for `grader check`.

`<exercise>.checks.json` holds, for the public tests only, the probes with their inputs, the
expected values the reference computed at release time, the checks as data and the hints. Arrays
travel as base64 raw buffers with their dtype and shape (nothing is unpickled). Hidden tests and reference code are not
in it.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from pathlib import Path
from typing import Any

from .checks import Either, check_from_json
from .errors import InputError
from .exercise import UNSET, Exercise
from .i18n import Text
from .plan import PlannedCase, PlannedMisconception, PlannedTask, PlannedTest, plan_exercise, student_seed
from .sandbox import Probe, codec
from .sandbox.limits import Limits
from .symbolic.errors import SpecError
from .symbolic.spec import spec_from_json, spec_to_json

BUNDLE_SUFFIX = ".checks.json"
FORMAT = "grader-checks"
VERSION = 1
_EITHER = "__either__"
_UNSET = "__unset__"


class _Blobs:
    def __init__(self, blobs: list[bytes] | None = None) -> None:
        self.blobs = blobs if blobs is not None else []

    def encode(self, value: Any) -> Any:
        tree, blobs = codec.encode(_wrap(value))
        offset = len(self.blobs)
        self.blobs += blobs
        return _shift(tree, offset)

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


def _shift(tree: Any, by: int) -> Any:
    if isinstance(tree, list):
        return [_shift(v, by) for v in tree]
    if isinstance(tree, dict):
        if "$nd" in tree:
            return dict(tree, **{"$nd": tree["$nd"] + by})
        return {k: _shift(v, by) for k, v in tree.items()}
    return tree


def _text(value: Text | None) -> Any:
    return None if value is None else value.to_json()


def _safe_output(m: PlannedMisconception) -> Any:
    """A misconception's output for a case, or UNSET when its wrong implementation cannot run on it."""
    try:
        return m.output()
    except Exception:
        return UNSET


def bundle_json(exercise: Exercise) -> dict[str, Any]:
    tasks = plan_exercise(exercise, student_seed(exercise.id, "check"), public_only=True)
    store = _Blobs()
    out_tasks = []
    for task in tasks:
        tests = []
        for test in task.tests:
            cases = []
            for case in test.cases:
                probe = case.probe
                cases.append({
                    "probe": {"id": probe.id, "kind": probe.kind, "name": probe.name, "args": store.encode(probe.args),
                              "kwargs": store.encode(dict(probe.kwargs)), "source": probe.source,
                              "forbid": list(probe.forbid), "timeout": probe.timeout, "capture": probe.capture},
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
                 "must_use": list(task.must_use), "computed": task.computed}
        if task.derivation is not None:
            # Only what reading an answer needs: the expected answer and the catalogue stay out.
            entry["derivation"] = spec_to_json(dataclasses.replace(task.derivation, expected="0", misconceptions=()))
        out_tasks.append(entry)
    return {
        "format": FORMAT, "version": VERSION,
        "exercise": {"id": exercise.id, "version": exercise.version, "title": exercise.title.to_json(),
                     "limits": exercise.limits.to_json(), "requires": list(exercise.requires)},
        "tasks": out_tasks,
        "blobs": [base64.b64encode(b).decode("ascii") for b in store.blobs],
    }


def write_bundle(exercise: Exercise, path: Path) -> None:
    from .files import write_atomic

    write_atomic(path, json.dumps(bundle_json(exercise), ensure_ascii=False, separators=(",", ":")))


def read_bundle(path: Path) -> tuple[Exercise, tuple[PlannedTask, ...]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT or data.get("version") != VERSION:
            raise InputError(f"not a {FORMAT} file of version {VERSION}", path)
        store = _Blobs([base64.b64decode(b) for b in data["blobs"]])
        info = data["exercise"]
        exercise = Exercise(id=info["id"], version=info["version"], title=Text.of(info["title"]), tasks=(),
                            limits=Limits.from_json(info["limits"]), requires=tuple(info["requires"]))
        tasks = []
        for task in data["tasks"]:
            tests = []
            for test in task["tests"]:
                cases = []
                for case in test["cases"]:
                    p = case["probe"]
                    probe = Probe(id=p["id"], kind=p["kind"], name=p["name"], args=tuple(store.decode(p["args"])),
                                  kwargs=store.decode(p["kwargs"]), source=p["source"], forbid=tuple(p["forbid"]),
                                  timeout=p["timeout"], capture=bool(p.get("capture", False)))
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
            tasks.append(PlannedTask(task["id"], Text.of(task["title"]), task["kind"], task["target"],
                                     tuple(task["forbid"]), tuple(tests), int(task["hidden_tests"]),
                                     derivation=derivation, format_only=derivation is not None,
                                     must_use=tuple(task.get("must_use", ())),
                                     computed=bool(task.get("computed", False))))
    except (KeyError, TypeError, ValueError, codec.CodecError, SpecError) as exc:
        raise InputError(f"corrupt checks file ({type(exc).__name__}: {exc})", path) from None
    return exercise, tuple(tasks)
