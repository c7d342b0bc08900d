"""What an imported exercise's `exercise.py` builds its tasks from: `recorded.json`.

`grader import` writes, beside the exercise's `exercise.py`, the tests it recorded while the
instructor's solution ran: for a converted test, the student's calls to replay and the
judgments with the values they compare against; for a test that runs as it is, its code; for a
written answer, its question. `exercise.py` names each test with its points and visibility
(`RECORDED.test("task/test", points=2, public=True)`), so an instructor adjusts those there.

The file is read with the plain-data codec (nothing is unpickled) and must be the one the
`exercise.py` beside it was written with: its SHA-256 is written into `exercise.py`, so a new
recording makes the exercise's fingerprint change and stored grades go stale.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..errors import ExerciseError
from ..exercise import Case, Criterion, Task, Test, TextTask
from ..i18n import Text
from .judge import Assertions, Ran
from .probes import REPLAY, RUN, for_child
from .store import Store

FORMAT, VERSION = "grader-imported", 1
RECORDED = "recorded.json"
TIMEOUT = 15.0  # seconds for one test's calls, like a cell's budget


class Recording:
    """The tests and written answers `grader import` recorded for one exercise."""

    def __init__(self, path: Path, data: dict[str, Any]) -> None:
        self.path = path
        self.data = data
        self.store = Store(data.get("blobs", []))

    @classmethod
    def read(cls, path: Path, sha256: str) -> Recording:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise ExerciseError(f"cannot read the recorded tests ({exc.strerror or exc})", path) from None
        if hashlib.sha256(raw).hexdigest() != sha256:
            raise ExerciseError("is not the recording this exercise.py was written with; run `grader import` "
                                "again (or put back the file it wrote)", path)
        data = json.loads(raw)
        if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("version") != VERSION:
            raise ExerciseError(f"not a {FORMAT} file of version {VERSION}", path)
        return cls(path, data)

    def _entry(self, key: str, section: str = "tests") -> dict[str, Any]:
        entry = self.data.get(section, {}).get(key)
        if not isinstance(entry, dict):
            raise ExerciseError(f"exercise.py names {key!r}, which the recording does not hold", self.path)
        return entry

    def test(self, key: str, points: float, public: bool = False, title: str | None = None) -> Test:
        """The recorded test `key` ("task/test") worth `points`, public or hidden."""
        entry = self._entry(key)
        name = key.rsplit("/", 1)[-1]
        heading = Text.of(title or entry.get("title") or name)
        hint = Text.of(entry["hint"]) if entry.get("hint") else None
        if entry["kind"] == "converted":
            values = {k: for_child(self.store.get(v)) for k, v in entry["child"].items()}
            expected = {k: self.store.get(v) for k, v in entry["parent"].items()}
            case = Case((entry["events"], values), expected=expected, call=entry.get("calls") or None)
            return Test(name, points, [case], (Assertions(json.dumps(entry["spec"], sort_keys=True)),), public=public,
                        title=heading, hint=hint, probe="script", script=REPLAY,
                        timeout=float(entry.get("timeout") or TIMEOUT))
        case = Case((entry["source"], f"<test {name}>", public, entry.get("want")), expected=True,
                    call=entry.get("calls") or None)
        return Test(name, points, [case], (Ran(),), public=public, title=heading, hint=hint, probe="script",
                    script=RUN, timeout=float(entry.get("timeout") or TIMEOUT))

    def task(self, task_id: str, title: str, tests: list[Test] | tuple[Test, ...], target: str = "") -> Task:
        """A task of recorded tests; `target` names the student's function or variable they read."""
        return Task(id=task_id, title=Text.of(title), tests=tuple(tests), target=target, kind="function")

    def manual(self, task_id: str, points: float, title: str | None = None) -> Task:
        """A written or hand-marked answer worth `points`, pending until the instructor marks it."""
        entry = self._entry(task_id, "manual")
        question = Text.of(entry.get("question") or title or task_id)
        criterion = Criterion("marks", points, Text(f"Marked by hand ({points:g} points)",
                                                    f"Se corrige a mano ({points:g} puntos)"))
        task = TextTask(task_id, title or entry.get("title") or task_id, question, [criterion])
        return replace(task, target=str(entry.get("target") or task_id))


def recording_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
