"""Finding and loading exercises: the bundled library, or any exercise folder on disk.

An exercise folder holds `exercise.py` (which builds `EXERCISE`), `statement.en.md` and
`statement.es.md`, and `solution.ipynb` (the notebook with its solution regions marked). The
bundled folders ship inside the package (`grader/_bundle/exercises` in a wheel, `exercises/` in a
source checkout).
"""

from __future__ import annotations

import importlib.util
import os
import sys
import threading
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ExerciseError

if TYPE_CHECKING:
    from .exercise import Exercise

_PACKAGE = Path(__file__).resolve().parent
_loaded: dict[Path, "Exercise"] = {}
_lock = threading.Lock()


def bundle_dir(name: str) -> Path:
    """A shipped folder (`exercises`, `templates`): inside the wheel, or at the checkout's root."""
    installed = _PACKAGE / "_bundle" / name
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / name


def exercises_root() -> Path:
    return bundle_dir("exercises")


def exercise_dirs() -> list[Path]:
    root = exercises_root()
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if (p / "exercise.py").is_file())


def resolve(ref: str) -> Path:
    """An exercise id of the bundled library, or a path to an exercise folder."""
    as_path = Path(ref).expanduser()
    if (as_path / "exercise.py").is_file():
        return as_path.resolve()
    if "/" in ref or ref.startswith("."):
        raise ExerciseError("no exercise.py in this folder", as_path)
    bundled = exercises_root() / ref
    if (bundled / "exercise.py").is_file():
        return bundled.resolve()
    known = ", ".join(p.name for p in exercise_dirs()) or "none"
    raise ExerciseError(f"unknown exercise {ref!r} (bundled exercises: {known}; or give a folder path)")


def load_folder(folder: Path) -> Exercise:
    folder = folder.resolve()
    with _lock:
        if folder in _loaded:
            return _loaded[folder]
        module_name = f"_grader_exercise_{abs(hash(folder)):x}"
        spec = importlib.util.spec_from_file_location(module_name, folder / "exercise.py")
        if spec is None or spec.loader is None:
            raise ExerciseError("cannot load exercise.py", folder)
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            sys.modules.pop(module_name, None)
            raise ExerciseError(f"exercise.py failed to load: {type(exc).__name__}: {exc}", folder) from exc
        from .exercise import Exercise

        exercise = getattr(module, "EXERCISE", None)
        if not isinstance(exercise, Exercise):
            raise ExerciseError("exercise.py must define EXERCISE = Exercise(...)", folder)
        exercise = replace(exercise, path=str(folder))
        _validate(exercise, folder)
        _loaded[folder] = exercise
        return exercise


def load(ref: str) -> Exercise:
    return load_folder(resolve(ref))


# What an exercise's support folder may hold: every notebook sees it (shared, read-only), one
# mount per top-level entry.
MAX_SUPPORT_ENTRIES = 1000
MAX_SUPPORT_FILES = 20_000
MAX_SUPPORT_BYTES = 8 * 1024**3


def _check_support(folder: Path) -> None:
    support = folder / "files"
    if not support.is_dir():
        return
    entries = [p for p in support.iterdir() if not p.name.startswith(".")]
    if len(entries) > MAX_SUPPORT_ENTRIES:
        raise ExerciseError(f"{len(entries)} entries at the top of files/; at most {MAX_SUPPORT_ENTRIES} "
                            "(put them in folders)", support)
    count, size = 0, 0
    for root, _, names in os.walk(support):
        for name in names:
            count += 1
            try:
                size += os.stat(os.path.join(root, name)).st_size
            except OSError:
                continue
            if count > MAX_SUPPORT_FILES or size > MAX_SUPPORT_BYTES:
                raise ExerciseError(f"files/ holds more than {MAX_SUPPORT_FILES} files or "
                                    f"{MAX_SUPPORT_BYTES >> 30} GiB; every notebook would see it all", support)


def _validate(exercise: Exercise, folder: Path) -> None:
    _check_support(folder)
    seen: set[str] = set()
    for task in exercise.tasks:
        if task.id in seen:
            raise ExerciseError(f"task id {task.id!r} appears twice", folder)
        seen.add(task.id)
        names = [test.name for test in task.tests]
        if len(names) != len(set(names)):
            raise ExerciseError(f"task {task.id!r} has two tests with the same name", folder)
        for test in task.tests:
            if test.points < 0:
                raise ExerciseError(f"test {task.id}/{test.name} has negative points", folder)
            if test.probe == "script" and not test.script:
                raise ExerciseError(f"test {task.id}/{test.name} is a script probe without a script", folder)
            if test.public and test.visibility == "score":
                continue


def statement(exercise: Exercise, lang: str) -> str:
    path = Path(exercise.path) / f"statement.{lang}.md"
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def fingerprint(exercise: Exercise) -> str:
    return folder_fingerprint(Path(exercise.path))


def folder_fingerprint(folder: Path) -> str:
    """Changes whenever the exercise's code (any .py file of its folder), its solution notebook
    (which tells the instructor's cells from the student's), its support files (by name, size and
    time: data files may be large) or the grader changes: stored grades go stale. Computed without
    importing the exercise."""
    import hashlib

    from . import __version__
    from .requirements import SUPPORT_FOLDER, folder_stamp

    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.py")) + [p for p in [folder / "solution.ipynb"] if p.is_file()]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    if (folder / SUPPORT_FOLDER).is_dir():
        digest.update(repr(folder_stamp(folder / SUPPORT_FOLDER)).encode())
    return f"{digest.hexdigest()[:16]}:{__version__}"
