"""What an exercise needs from the grading environment: the modules it `requires`, its support files.

Answers two questions before any notebook runs: which required modules are not installed here
(and the command that installs them), and which of them a warm worker may import before it
forks. Nothing here imports a required module into the grading process: installed or not is
decided by the import system's finders, and whether a module imports cleanly is tried in a
separate interpreter.
"""

from __future__ import annotations

import ast
import importlib.machinery
import importlib.util
import os
import re
import shlex
import site
import subprocess
import sys
import sysconfig
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

# Where a module's import name and the name pip installs it by differ. Names that agree (h5py,
# numpy, scipy, torch, pandas…) are not listed: the module's name is the distribution's.
DISTRIBUTIONS: dict[str, str] = {
    "sklearn": "scikit-learn",
    "skimage": "scikit-image",
    "PIL": "Pillow",
    "cv2": "opencv-python",
    "yaml": "PyYAML",
    "bs4": "beautifulsoup4",
    "dateutil": "python-dateutil",
    "attr": "attrs",
    "mpl_toolkits": "matplotlib",
    "IPython": "ipython",
    "google.protobuf": "protobuf",
    "tensorflow_datasets": "tensorflow-datasets",
    "Crypto": "pycryptodome",
    "serial": "pyserial",
    "jwt": "PyJWT",
    "docx": "python-docx",
    "pptx": "python-pptx",
    "OpenSSL": "pyOpenSSL",
    "git": "GitPython",
    "gym": "gym",
    "tf_keras": "tf-keras",
}

# Modules whose import is known to start no thread and touch no device: a worker may import them
# before forking without a trial import first.
KNOWN_SAFE = frozenset({"numpy", "torch", "sympy", "scipy", "matplotlib", "pandas", "h5py"})

SUPPORT_FOLDER = "files"
_NAME = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")


def distribution(module: str) -> str:
    """The name `pip install` takes for the module `module` (a dotted name is looked up whole,
    then by its top-level package)."""
    if module in DISTRIBUTIONS:
        return DISTRIBUTIONS[module]
    top = module.split(".")[0]
    return DISTRIBUTIONS.get(top, top)


def install_command(modules: Iterable[str]) -> str:
    """The command that installs `modules` into the environment this grader runs in."""
    dists = sorted({distribution(m) for m in modules}, key=str.lower)
    return " ".join([shlex.quote(sys.executable), "-m", "pip", "install", *map(shlex.quote, dists)])


@dataclass(frozen=True)
class SupportFiles:
    """What an exercise's `files/` folder gives the notebook: helper modules it can import, every
    file by its path relative to the working directory, and the names the helpers define."""

    folder: Path | None
    modules: frozenset[str] = frozenset()
    paths: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()  # top-level names of the helper modules (for `import *`)
    strings: frozenset[str] = frozenset()  # string constants of the helpers: paths they open


def support_folder(exercise_path: str) -> Path | None:
    """The exercise's `files/` folder, when it has one."""
    if not exercise_path:
        return None
    folder = Path(exercise_path) / SUPPORT_FOLDER
    return folder if folder.is_dir() else None


def support_files(exercise_path: str) -> SupportFiles:
    folder = support_folder(exercise_path)
    if folder is None:
        return SupportFiles(None)
    return _support_files(folder, folder_stamp(folder))


def folder_stamp(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """Every file under `folder` by relative path, with its size and time: what tells a changed
    folder without reading large files."""
    found = []
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            try:
                info = os.stat(os.path.join(root, name))
            except OSError:
                continue
            found.append((os.path.relpath(os.path.join(root, name), folder), info.st_size, info.st_mtime_ns))
    return tuple(found)


@lru_cache(maxsize=16)
def _support_files(folder: Path, stamp: tuple[tuple[str, int, int], ...]) -> SupportFiles:
    paths = frozenset(Path(rel).as_posix() for rel, _, _ in stamp)
    modules, names, strings = set(), set(), set()
    for rel in paths:
        parts = rel.split("/")
        if len(parts) == 1 and rel.endswith(".py"):
            modules.add(rel[:-3])
        elif len(parts) >= 2 and rel.endswith(".py"):
            modules.add(parts[0])  # a package (or a namespace package) of helpers
        if len(parts) == 1 and rel.endswith(".py"):
            helper_names, helper_strings = _top_level(folder / rel)
            names |= helper_names
            strings |= helper_strings
    return SupportFiles(folder, frozenset(modules), paths, frozenset(names), frozenset(strings))


def _top_level(path: Path) -> tuple[set[str], set[str]]:
    """The names a helper module binds at its top level, and the strings it holds."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
    except (SyntaxError, ValueError, RecursionError, MemoryError, OSError):
        return set(), set()
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names if a.name != "*")
    strings = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
               and 0 < len(n.value) < 300}
    return names, strings


def installed(module: str) -> bool:
    """Whether the grading environment's importer can find `module`, a dotted name too, without
    importing anything (a parent package's code is not run to find its submodules)."""
    if not _NAME.fullmatch(module):
        return False
    if module in sys.modules:
        return True  # os.path, say: a module no file of its own name holds
    parts = module.split(".")
    try:
        spec = importlib.util.find_spec(parts[0])
        for k in range(1, len(parts)):
            if spec is None or not spec.submodule_search_locations:
                return False
            spec = importlib.machinery.PathFinder.find_spec(".".join(parts[:k + 1]),
                                                            list(spec.submodule_search_locations))
    except (ImportError, ValueError):
        return False
    return spec is not None


@dataclass(frozen=True)
class MissingModules:
    exercise: str
    modules: tuple[str, ...]

    @property
    def command(self) -> str:
        return install_command(self.modules)

    def describe(self) -> str:
        """One line for the terminal: what is missing and how to install it."""
        names = ", ".join(f"{m} (distribution {distribution(m)})" if distribution(m) != m.split(".")[0] else m
                          for m in self.modules)
        return (f"exercise {self.exercise} requires modules that are not installed here: {names}; "
                f"install them with: {self.command}")


def missing_modules(exercise_id: str, requires: Sequence[str], exercise_path: str = "") -> MissingModules | None:
    """The required modules this environment cannot import; helper modules of the exercise's
    `files/` folder count as present (the notebook finds them in its working directory)."""
    helpers = support_files(exercise_path).modules
    missing = tuple(dict.fromkeys(m for m in requires
                                  if m.split(".")[0] not in helpers and not installed(m)))
    return MissingModules(exercise_id, missing) if missing else None


def declared_requires(exercise_py: Path) -> tuple[str, ...]:
    """The `requires=` literal of an exercise.py, read without running it (so that workers can
    start before the exercise is loaded); () when it is not a literal of strings."""
    try:
        tree = ast.parse(exercise_py.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
        return ()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg == "requires":
                    try:
                        value = ast.literal_eval(keyword.value)
                    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
                        return ()
                    if isinstance(value, (tuple, list)) and all(isinstance(v, str) for v in value):
                        return tuple(value)
                    return ()
    return ()


def _install_roots() -> tuple[Path, ...]:
    """Where this environment's installed modules live: the standard library and site-packages."""
    roots = set()
    paths = sysconfig.get_paths()
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        if paths.get(key):
            roots.add(paths[key])
    try:
        roots.update(site.getsitepackages())
    except AttributeError:
        pass
    user = getattr(site, "getusersitepackages", lambda: "")()
    if user:
        roots.add(user)
    return tuple(Path(r).resolve() for r in roots if r)


def _inside(path: str | None, roots: tuple[Path, ...]) -> bool:
    if not path:
        return False
    resolved = Path(path).resolve()
    return any(resolved.is_relative_to(root) for root in roots)


def _shadowed(top: str, folders: Iterable[Path]) -> bool:
    """Whether a folder holds something Python could import as `top` (top.py, top/, top.*.so…)."""
    names = {top, *(top + suffix for suffix in importlib.machinery.all_suffixes())}
    for folder in folders:
        try:
            entries = os.listdir(folder)
        except OSError:
            continue
        if not names.isdisjoint(entries):
            return True
    return False


def environment_module(name: str, avoid: Iterable[Path] = ()) -> bool:
    """Whether `name` is an installed module of this environment (standard library or
    site-packages) that nothing in `avoid` or in the current folder could stand in for."""
    if not _NAME.fullmatch(name):
        return False
    top = name.split(".")[0]
    if _shadowed(top, [Path.cwd(), *avoid]):
        return False
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return False
    if spec is None:
        return False
    if spec.origin in ("built-in", "frozen"):
        return True
    roots = _install_roots()
    if spec.origin is not None:
        return _inside(spec.origin, roots)
    locations = list(spec.submodule_search_locations or [])  # a namespace package
    return bool(locations) and all(_inside(loc, roots) for loc in locations)


_TRIAL = ("import importlib, sys, threading\n"
          "importlib.import_module(sys.argv[1])\n"
          "sys.exit(0 if threading.active_count() == 1 else 3)\n")


def imports_cleanly(names: Sequence[str], timeout: float = 30.0) -> set[str]:
    """The names that import without error and without starting a thread, each tried at once in
    an interpreter of its own that ignores the current folder: what a worker may import before
    forking its children."""
    trials = {}
    for name in names:
        try:
            trials[name] = subprocess.Popen([sys.executable, "-P", "-c", _TRIAL, name], cwd="/",
                                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                            stderr=subprocess.DEVNULL)
        except OSError:
            continue
    clean = set()
    for name, proc in trials.items():
        try:
            if proc.wait(timeout) == 0:
                clean.add(name)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return clean


def safe_preload(requires: Iterable[str], helpers: Iterable[str] = (), avoid: Iterable[Path] = ()) -> tuple[str, ...]:
    """Of the modules exercises require, those a warm worker may import before forking: installed
    in this environment, no helper module of an exercise, not shadowed by a file in the current
    folder or in `avoid` (the submissions), and importing cleanly (tried first unless known)."""
    skip = set(helpers)
    avoid = list(avoid)
    candidates = [name for name in dict.fromkeys(requires)
                  if name.split(".")[0] not in skip and environment_module(name, avoid)]
    unknown = [name for name in candidates if name.split(".")[0] not in KNOWN_SAFE]
    clean = imports_cleanly(unknown) if unknown else set()
    return tuple(name for name in candidates if name.split(".")[0] in KNOWN_SAFE or name in clean)


def requirements_report(exercises: Sequence[tuple[str, Sequence[str], str]]) -> tuple[str, bool]:
    """`grader doctor`'s section on packages: for each exercise (id, requires, folder), what is not
    installed and the command that installs it. Returns the text and whether anything is missing."""
    lines = ["Modules the exercises require:"]
    missing = [m for ex_id, requires, folder in exercises if (m := missing_modules(ex_id, requires, folder))]
    if not missing:
        lines.append(f"  all installed ({len(exercises)} exercise{'s' if len(exercises) != 1 else ''} checked)")
        return "\n".join(lines), False
    for found in missing:
        lines.append(f"  {found.exercise}: not installed: {', '.join(found.modules)}")
    lines.append("  install them with: " + install_command([m for found in missing for m in found.modules]))
    return "\n".join(lines), True
