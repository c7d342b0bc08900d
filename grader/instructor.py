"""Whose is an error: the student's, or the grading environment's.

A student's notebook starts as the instructor's: imports, helper modules, data loading, cells
that call the student's functions, a demo meant to raise. When one of those cells fails by
itself (a helper module or data file that is not there, a package not installed, numpy 1 code
under numpy 2), the problem is the environment's: the instructor hears of it once, on the class
page, and the student's report says it was not their mistake. Everything else stays the
student's, exactly as before.

Who wrote a cell is decided by its code alone: a cell is the instructor's when its code (comments
and layout aside) is that of a cell of the exercise's `solution.ipynb` outside the solution
regions. Cell ids and tags in a student's file are not evidence: copying a cell copies its id,
and anyone can type a tag. So a student who edits a given cell owns it and its errors; a student
who pastes an instructor's id or a `raises-exception` tag onto their own code owns that code's
errors too. Only the exercise's own `raises-exception` tag lets a given cell raise unreported.

An error the environment causes in the student's own cell (importing a module the exercise
requires or ships, opening a file it ships, or a name that cell could not get because a given
cell failed first) is the environment's as well. Errors are read from the sandbox's plain
results (type, message, traceback); a student who fakes one only hides it from their own
report's "what to fix first", which never carried points, and shows up on the class page by name.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .environment import (
    RAISES,
    after_note,
    cell_problem,
    file_problem,
    module_problem,
    numpy_problem,
    student_note,
)
from .exercise import Exercise
from .notebook import defined_names
from .requirements import SupportFiles, support_files
from .results import EnvironmentIssue
from .sandbox import ErrorInfo, Execution
from .sandbox.magics import neutralise
from .static import parse_cell

__all__ = ["RAISES", "Attribution", "Context", "Template", "after_note", "attribute", "cell_key", "student_note",
           "template_for", "template_from"]
_SOLUTION = re.compile(r"^\s*#+\s*BEGIN SOLUTION\s*$", re.MULTILINE)
_END = re.compile(r"^\s*#+\s*END SOLUTION\s*$")
_NAME_ERROR = re.compile(r"name '(\w+)' is not defined")
_CELL_FRAME = re.compile(r'File "<cell (\d+)>"')


# An instructor's cell is short; a longer one is the student's without a look at its code (the
# comparison costs a parse, and a student may send megabytes of code).
MAX_GIVEN_CHARS = 20_000


def cell_key(source: str) -> str:
    """The code of a cell with comments and layout left out: its syntax tree when it parses."""
    if len(source) > MAX_GIVEN_CHARS:
        return "long:" + hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()
    tree = parse_cell(source)
    if tree is not None:
        text = ast.dump(tree, annotate_fields=False)
    else:
        text = "\n".join(line.rstrip() for line in source.splitlines() if line.strip())
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def loaded_names(source: str) -> set[str]:
    tree = parse_cell(source)
    if tree is None:
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _imports(source: str) -> set[str]:
    tree = parse_cell(source)
    found: set[str] = set()
    for node in ast.walk(tree) if tree is not None else ():
        if isinstance(node, ast.Import):
            found.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def _strings(source: str) -> set[str]:
    tree = parse_cell(source)
    return {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
            and 0 < len(n.value) < 300} if tree is not None else set()


@dataclass(frozen=True)
class Template:
    """The instructor's code cells of an exercise, as a student's notebook holds them unedited."""

    given: frozenset[str] = frozenset()  # cell_key of every given code cell
    may_raise: frozenset[str] = frozenset()  # those tagged raises-exception
    defines: frozenset[str] = frozenset()  # names the given cells bind
    imports: frozenset[str] = frozenset()  # top-level modules the given cells import
    strings: frozenset[str] = frozenset()  # string constants of the given cells (the paths they open)
    student_names: frozenset[str] = frozenset()  # names the solution regions bind: what students write

    def to_json(self) -> dict[str, list[str]]:
        """As data (what a release hands out anyway: keys of the given cells, their names, imports
        and strings, the names students write), for checks that travel without solution.ipynb."""
        return {name: sorted(getattr(self, name)) for name in self.__dataclass_fields__}

    @classmethod
    def from_json(cls, data: object) -> Template:
        if not isinstance(data, dict):
            return cls()
        return cls(**{name: frozenset(str(v) for v in data.get(name, ()) if isinstance(v, str))
                      for name in cls.__dataclass_fields__ if isinstance(data.get(name, ()), list)})


def _source(cell: dict[str, object]) -> str:
    src = cell.get("source", "")
    return "".join(s for s in src if isinstance(s, str)) if isinstance(src, list) else str(src)


def template_from(notebook: dict[str, object]) -> Template:
    """The given cells of an exercise's solution notebook: every code cell without a solution
    region (`# BEGIN SOLUTION`) and not tagged `solution`."""
    given, may_raise, defines, imports, strings, student = set(), set(), set(), set(), set(), set()
    cells = notebook.get("cells")
    for cell in cells if isinstance(cells, list) else []:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        metadata = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
        tags = metadata.get("tags") if isinstance(metadata.get("tags"), list) else []  # type: ignore[union-attr]
        source = neutralise(_source(cell)).source
        if "solution" in tags:
            student |= defined_names(source)
            continue
        if _SOLUTION.search(source):
            student |= _solved_names(source)
            continue
        key = cell_key(source)
        given.add(key)
        if RAISES in tags:
            may_raise.add(key)
        defines |= defined_names(source)
        imports |= _imports(source)
        strings |= _strings(source)
    return Template(frozenset(given), frozenset(may_raise), frozenset(defines), frozenset(imports),
                    frozenset(strings), frozenset(student - defines))


def _solved_names(source: str) -> set[str]:
    """Names bound by the top-level statements of a cell that hold a solution region."""
    lines = source.split("\n")
    regions, start = [], None
    for number, line in enumerate(lines, 1):
        if start is None and _SOLUTION.match(line):
            start = number
        elif start is not None and _END.match(line):
            regions.append((start, number))
            start = None
    tree = parse_cell(source)
    if tree is None:
        return set()
    names: set[str] = set()
    for node in tree.body:
        end = node.end_lineno or node.lineno
        if any(node.lineno <= last and first <= end for first, last in regions):
            names |= defined_names(ast.unparse(node))
    return names


TEMPLATE_FILE = "template.json"  # the template as data, where a check has no solution.ipynb


def template_for(exercise: Exercise) -> Template:
    """The exercise's template, read from its solution.ipynb, else from a template.json beside it
    (a check from released checks), else none: every cell is the student's."""
    folder = Path(exercise.path) if exercise.path else None
    for name in ("solution.ipynb", TEMPLATE_FILE):
        path = folder / name if folder is not None else None
        try:
            stat = path.stat() if path is not None else None
        except OSError:
            stat = None
        if path is not None and stat is not None:
            return _template(path, stat.st_mtime_ns, stat.st_size)
    return Template()


@lru_cache(maxsize=32)
def _template(path: Path, mtime: int, size: int) -> Template:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return Template()
    return Template.from_json(data) if path.name == TEMPLATE_FILE else template_from(data)


@dataclass(frozen=True)
class Context:
    """What attribution knows of the exercise."""

    template: Template
    support: SupportFiles
    requires: frozenset[str]  # top-level names of the modules the exercise requires
    targets: frozenset[str]  # names the tasks probe
    compat: tuple[str, ...] = ()
    folder: str = ""  # the exercise's folder, to name where support files go

    @classmethod
    def of(cls, exercise: Exercise, targets: Iterable[str]) -> Context:
        return cls(template_for(exercise), support_files(exercise.path),
                   frozenset(m.split(".")[0] for m in exercise.requires), frozenset(t for t in targets if t),
                   tuple(exercise.compat), exercise.path)


@dataclass
class Attribution:
    """Which failed cells are not the student's mistakes. Cells absent here keep their errors."""

    given: set[int] = field(default_factory=set)  # cell indices of the instructor's cells, unedited
    expected: set[int] = field(default_factory=set)  # cell indices: errors meant to happen
    environment: dict[int, EnvironmentIssue] = field(default_factory=dict)  # cell index -> the problem
    after: dict[int, int] = field(default_factory=dict)  # cell index -> the failed cell it could not do without

    @property
    def issues(self) -> tuple[EnvironmentIssue, ...]:
        return tuple(self.environment[i] for i in sorted(self.environment))


def attribute(cells: Iterable[tuple[int, str]], execution: Execution, context: Context,
              ask: Iterable[int] = ()) -> Attribution:
    """Go through the failed cells in order and tell whose each error is. Which cells are the
    instructor's is worked out for all cells when one failed, else only for those in `ask`."""
    sources = dict(cells)
    failures = [i for i in sorted(execution.cells) if execution.cells[i].status == "error" and i in sources]
    template = context.template.given
    if not failures:
        return Attribution(given={i for i in ask if template and i in sources and cell_key(sources[i]) in template})
    given = {i for i, src in sources.items() if cell_key(src) in template} if template else set()
    return _attribute(sources, failures, execution, context, given)


def _attribute(sources: dict[int, str], failures: list[int], execution: Execution, context: Context,
               given: set[int]) -> Attribution:
    bound = {i: defined_names(src) for i, src in sources.items()}
    mine = set().union(*(bound[i] for i in sources if i not in given)) - context.template.defines
    student_names = context.template.student_names | context.targets | mine
    everywhere = set().union(*bound.values())
    provided = context.template.defines | context.support.names
    found = Attribution(given=given)
    failed: list[int] = []  # cells whose error is the environment's, so far
    for index in failures:
        run = execution.cells[index]
        if run.error is None:
            continue
        source = sources[index]
        is_given = index in given
        if is_given and cell_key(source) in context.template.may_raise:
            found.expected.add(index)
            continue
        problem = module_problem(run.error, is_given, context, index) \
            or file_problem(run.error, is_given, context, index) \
            or (numpy_problem(run.error, context, index) if is_given else None)
        if problem is not None:
            found.environment[index] = problem
            failed.append(index)
            continue
        root = _follows(run.error, failed, sources, provided, everywhere, student_names)
        if root is not None:
            found.after[index] = root
            continue
        if is_given and _by_itself(run.error, source, given, student_names):
            found.environment[index] = cell_problem(run.error, index)
            failed.append(index)
    return found


def _follows(error: ErrorInfo, failed: list[int], sources: dict[int, str], provided: frozenset[str],
             bound: set[str], student_names: frozenset[str]) -> int | None:
    """The environment failure a NameError comes from: the last failed cell that would have bound
    the name; else the last failure, when the name is one a given cell or helper module provides,
    or one no cell binds (it was to come from a `from … import *` that failed)."""
    if error.type != "NameError" or not failed:
        return None
    match = _NAME_ERROR.search(error.message)
    if match is None:
        return None
    name = match.group(1)
    for index in reversed(failed):
        if name in defined_names(sources[index]):
            return index
    if name not in student_names and (name in provided or name not in bound):
        return failed[-1]
    return None


def _by_itself(error: ErrorInfo, source: str, given: set[int], student_names: set[str] | frozenset[str]) -> bool:
    """Whether a given cell failed with no student code involved: no frame of the student's cells
    in its traceback, no name the student defines in it, and no student name missing."""
    for match in _CELL_FRAME.finditer(error.traceback):
        if int(match.group(1)) - 1 not in given:
            return False
    if error.type == "NameError":
        match = _NAME_ERROR.search(error.message)
        if match is not None and match.group(1) in student_names:
            return False
    return not (loaded_names(source) & student_names)
