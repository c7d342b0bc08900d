"""Reading a student's notebook: cells, tags and the exercise it names, without running anything.

The JSON is parsed with `json` (size-capped) and only the fields grading needs are taken; older
notebook formats are upgraded with nbformat's own converter. Outputs stored in the file are
never used: a notebook is graded on what its code does when run top to bottom.
"""

from __future__ import annotations

import ast
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import InputError
from .untrusted import clean, clean_data

MAX_NOTEBOOK_BYTES = 128 * 1024 * 1024
MAX_CODE_CHARS = 2_000_000
METADATA_KEY = "grader"
CHECKS_VARIABLE = "_grader_checks"  # what a released notebook's first cell binds: its public tests
ANSWER_PLACEHOLDER = "*(your answer here / tu respuesta aquí)*"


@dataclass(frozen=True)
class Cell:
    index: int  # position among all cells, 0-based: what feedback calls "cell N+1"
    kind: str  # "code" | "markdown" | "raw"
    source: str
    tags: tuple[str, ...] = ()
    id: str | None = None
    prompt: str = ""  # for an answer cell released by the grader: the prompt above the answer

    @property
    def answer(self) -> str:
        """The cell's text without the released prompt and placeholder: what the student wrote."""
        text = self.source
        if self.prompt and text.startswith(self.prompt):
            text = text[len(self.prompt):]
        return text.replace(ANSWER_PLACEHOLDER, "").strip()


@dataclass(frozen=True)
class StudentNotebook:
    path: Path
    cells: tuple[Cell, ...]
    exercise_id: str | None
    content_hash: str
    metadata: dict[str, Any]

    @property
    def code_cells(self) -> tuple[Cell, ...]:
        return tuple(c for c in self.cells if c.kind == "code")

    def tagged(self, tag: str) -> Cell | None:
        for cell in self.cells:
            if tag in cell.tags or cell.id == tag:
                return cell
        return None


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _text(value: Any, where: str, path: Path) -> str:
    """A source as valid text: JSON may carry lone surrogates and NULs, which nothing can write."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return clean("".join(value))
    raise InputError(f"{where} is not text", path)


def parse_notebook(data: bytes, path: Path) -> StudentNotebook:
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise InputError(f"notebook is {len(data) // 2**20} MiB, over the {MAX_NOTEBOOK_BYTES // 2**20} MiB limit", path)
    try:
        raw = json.loads(data)
    except RecursionError:
        raise InputError("not a readable notebook: its JSON is nested too deeply", path) from None
    except UnicodeDecodeError:
        raise InputError("not a notebook: the file is not UTF-8 text (binary data?)", path) from None
    except ValueError as exc:
        raise InputError(f"not a notebook: invalid JSON ({exc})", path) from None
    if not isinstance(raw, dict) or "nbformat" not in raw:
        raise InputError("not a notebook: the JSON has no 'nbformat' field", path)
    version = raw.get("nbformat")
    if version == 3:
        raw = _upgrade_v3(raw, path)
    elif version != 4:
        raise InputError(f"notebook format version {version!r} is not supported (4 expected; 3 is upgraded)", path)
    cells_raw = raw.get("cells")
    if not isinstance(cells_raw, list):
        raise InputError("not a notebook: 'cells' is missing or not a list", path)
    cells = []
    code_chars = 0
    for index, cell in enumerate(cells_raw):
        if not isinstance(cell, dict):
            raise InputError(f"cell {index + 1} is not an object", path)
        kind = cell.get("cell_type")
        if kind not in ("code", "markdown", "raw"):
            raise InputError(f"cell {index + 1} has an unknown type {str(kind)[:40]!r}", path)
        source = _text(cell.get("source", ""), f"cell {index + 1}'s source", path)
        if kind == "code" and checks_payload(source) is not None:
            continue  # the released public tests: data for `grader.check()`, not the student's code
        if kind == "code":
            code_chars += len(source)
        metadata = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
        tags = metadata.get("tags", [])
        tags = tuple(clean(t) for t in tags if isinstance(t, str)) if isinstance(tags, list) else ()
        cell_id = clean(cell["id"]) if isinstance(cell.get("id"), str) else None
        ours = metadata.get(METADATA_KEY) if isinstance(metadata.get(METADATA_KEY), dict) else {}
        prompt = clean(ours["prompt"]) if isinstance(ours.get("prompt"), str) else ""
        cells.append(Cell(index, kind, source, tags, cell_id, prompt))
    if code_chars > MAX_CODE_CHARS:
        raise InputError(f"the notebook holds {code_chars} characters of code, over the {MAX_CODE_CHARS} limit", path)
    metadata = raw.get("metadata") if isinstance(raw.get("metadata"), dict) else {}
    try:
        ours = clean_data(metadata.get(METADATA_KEY)) if isinstance(metadata.get(METADATA_KEY), dict) else {}
    except RecursionError:
        raise InputError(f"the notebook's '{METADATA_KEY}' metadata is nested too deeply", path) from None
    exercise = ours.get("exercise") if isinstance(ours.get("exercise"), str) else None
    return StudentNotebook(path, tuple(cells), exercise, content_hash(data), ours)


def _upgrade_v3(raw: dict[str, Any], path: Path) -> dict[str, Any]:
    import nbformat

    try:
        return dict(nbformat.v4.upgrade(nbformat.from_dict(raw)))
    except Exception as exc:
        raise InputError(f"could not upgrade this version 3 notebook: {exc}", path) from None


def read_notebook(path: Path) -> StudentNotebook:
    try:
        size = path.stat().st_size
        if size > MAX_NOTEBOOK_BYTES:
            raise InputError(f"notebook is {size // 2**20} MiB, over the {MAX_NOTEBOOK_BYTES // 2**20} MiB limit",
                             path)
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError("no such file", path) from None
    except IsADirectoryError:
        raise InputError("is a folder, not a notebook", path) from None
    except PermissionError:
        raise InputError("cannot be read (permission denied)", path) from None
    return parse_notebook(data, path)


def checks_payload(source: str) -> str | None:
    """The public tests a released notebook's first cell carries (`_grader_checks = "…"`, comments
    around it), or None for any other cell: one assignment of one string, nothing that runs."""
    if CHECKS_VARIABLE not in source:
        return None
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Assign):
        return None
    node = tree.body[0]
    if len(node.targets) != 1 or not isinstance(node.targets[0], ast.Name) or node.targets[0].id != CHECKS_VARIABLE:
        return None
    value = node.value
    return value.value if isinstance(value, ast.Constant) and isinstance(value.value, str) else None


def defined_names(source: str) -> set[str]:
    """Names a cell binds in the notebook's namespace: definitions, assignments (loop, `with`,
    `except` and walrus targets too) and imports, also inside `if`, `for`, `try`, `with` at the top
    level; never the names local to a function, class or comprehension."""
    from .static import parse_cell

    tree = parse_cell(source)
    if tree is None:
        return set()
    names: set[str] = set()
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names if a.name != "*")
        elif isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Store):
                names.add(node.id)
        elif isinstance(node, ast.ExceptHandler):
            if node.name:
                names.add(node.name)
            stack.extend(node.body)
        elif isinstance(node, ast.comprehension):  # its target is the comprehension's own
            stack.append(node.iter)
            stack.extend(node.ifs)
        elif not isinstance(node, ast.Lambda):
            stack.extend(ast.iter_child_nodes(node))
    return names


def imported_modules(sources: list[str]) -> set[str]:
    """Top-level modules the code imports anywhere (used to choose what workers preload)."""
    found: set[str] = set()
    for source in sources:
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module.split(".")[0])
    return found
