"""Where `grader.check()` finds the public tests, first found first used:

1. an exercise the caller names (`grader.check(exercise="activations")`): a checks file of that
   name beside the notebook or in the working folder, else the installed library (the full
   grader's; a student's install has none);
2. `_grader_checks`, which the released notebook's first cell binds in the kernel;
3. the saved notebook's metadata, where `grader release` packs the same data;
4. `<exercise>.checks.json` beside the notebook or in the working folder (only one there when the
   exercise is not known);
5. the installed library, for the exercise the saved notebook names.

Whatever comes from the notebook, its cell or a file beside it is the student's to edit: it is
read as data, capped in size, and may not widen the limits a check runs under.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..bundle import BUNDLE_SUFFIX, MAX_BUNDLE_BYTES, bundle_from_json, unpack
from ..errors import GraderError, InputError
from ..exercise import Exercise
from ..i18n import Text
from ..notebook import CHECKS_VARIABLE, StudentNotebook, read_notebook
from ..plan import PlannedTask, plan_exercise, student_seed
from ..sandbox.limits import CHECK_CEILING

EXERCISE_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,63}")


@dataclass(frozen=True)
class Checks:
    exercise: Exercise
    tasks: tuple[PlannedTask, ...]
    lang: str | None
    where: Text  # where the tests came from, for the report


def _from_data(data: Any, where: Path | str, said: Text) -> Checks:
    exercise, tasks = bundle_from_json(data, where)
    lang = data.get("lang") if isinstance(data, dict) and data.get("lang") in ("en", "es") else None
    return Checks(replace(exercise, limits=exercise.limits.within(CHECK_CEILING)), tasks, lang, said)


def _from_file(path: Path) -> Checks:
    if path.stat().st_size > MAX_BUNDLE_BYTES:
        raise InputError(f"larger than {MAX_BUNDLE_BYTES >> 20} MiB: not a checks file of ours", path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"corrupt checks file ({type(exc).__name__})", path) from None
    return _from_data(data, path, Text(f"the checks file {path.name}", f"el fichero de pruebas {path.name}"))


def _from_library(ref: str) -> Checks | None:
    try:
        from ..library import exercises_root, load
    except ImportError:
        return None
    if EXERCISE_ID.fullmatch(ref) and not (exercises_root() / ref / "exercise.py").is_file():
        return None
    exercise = load(ref)
    tasks = plan_exercise(exercise, student_seed(exercise.id, "check"), public_only=True)
    return Checks(exercise, tasks, None, Text(f"the installed exercise {exercise.id}",
                                              f"el ejercicio instalado {exercise.id}"))


def _beside(exercise_id: str, folders: list[Path]) -> Path | None:
    for folder in folders:
        path = folder / f"{exercise_id}{BUNDLE_SUFFIX}"
        if path.is_file():
            return path
    return None


def find(ns: dict[str, Any], exercise: str | None, notebook: StudentNotebook | None) -> Checks:
    folders = [Path.cwd()] if notebook is None else [notebook.path.parent, Path.cwd()]
    if exercise is not None:
        path = _beside(exercise, folders) if EXERCISE_ID.fullmatch(exercise) else None
        if path is not None:
            return _from_file(path)
        found = _from_library(exercise)
        if found is None:
            raise InputError(f"no public tests of exercise {exercise!r} here: no {exercise}{BUNDLE_SUFFIX} "
                             "in this folder and no such exercise installed")
        return found
    packed = ns.get(CHECKS_VARIABLE)
    if packed is not None:
        return _from_data(unpack(packed, CHECKS_VARIABLE), CHECKS_VARIABLE,
                          Text("the notebook's first cell", "la primera celda del cuaderno"))
    if notebook is not None and notebook.metadata.get("checks") is not None:
        return _from_data(unpack(notebook.metadata["checks"], notebook.path), notebook.path,
                          Text(f"the metadata of {notebook.path.name}", f"los metadatos de {notebook.path.name}"))
    named = notebook.exercise_id if notebook is not None else None
    if named is not None and EXERCISE_ID.fullmatch(named):
        path = _beside(named, folders)
        if path is not None:
            return _from_file(path)
        found = _from_library(named)
        if found is not None:
            return found
    else:
        files = sorted(Path.cwd().glob(f"*{BUNDLE_SUFFIX}"))
        if len(files) == 1:
            return _from_file(files[0])
    raise InputError(f"no public tests found: run the notebook's first cell (the one that sets {CHECKS_VARIABLE}), "
                     f"or keep the released <exercise>{BUNDLE_SUFFIX} in the working folder, or name the exercise: "
                     'grader.check(exercise="...")')


def saved_notebook(path: Path | None) -> StudentNotebook | None:
    """The saved notebook, for its metadata and markdown answers; None when it cannot be read."""
    if path is None:
        return None
    try:
        return read_notebook(path)
    except GraderError:
        return None
