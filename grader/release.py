"""`grader release`: the student's notebook (solutions stripped) and the public-test bundle.

Solution regions are marked in an exercise's `solution.ipynb` by `# BEGIN SOLUTION` and
`# END SOLUTION` lines (replaced by a `raise NotImplementedError` at the same indentation), or
by tagging a whole cell `solution` (a code cell's source becomes a placeholder comment; a markdown
cell keeps its first paragraph, the prompt, and its other tags). A `# STUDENT: <line>` inside a
region gives the line the student starts from instead (e.g. `# STUDENT: d_tanh = ""`). Cells tagged
`instructor` are dropped. Outputs are cleared and the exercise id is written to the metadata.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

from .bundle import BUNDLE_SUFFIX, write_bundle
from .errors import ExerciseError
from .exercise import Exercise
from .files import write_atomic
from .notebook import METADATA_KEY

BEGIN = re.compile(r"^(\s*)#+\s*BEGIN SOLUTION\s*$")
END = re.compile(r"^\s*#+\s*END SOLUTION\s*$")
PLACEHOLDER = "raise NotImplementedError(\"your code here / tu código aquí\")"


STUDENT = re.compile(r"^\s*#\s*STUDENT:\s?(.*)$")


def strip_solutions(source: str) -> str:
    """Replace each solution region by its `# STUDENT:` lines, or by a NotImplementedError."""
    out: list[str] = []
    inside = False
    indent = ""
    region: list[str] = []
    for line in source.split("\n"):
        begin = BEGIN.match(line)
        if begin and not inside:
            inside, indent, region = True, begin.group(1), []
            continue
        if inside:
            if END.match(line):
                inside = False
                out += region or [indent + PLACEHOLDER]
                continue
            student = STUDENT.match(line)
            if student:
                region.append(indent + student.group(1))
            continue
        out.append(line)
    if inside:
        raise ExerciseError("a '# BEGIN SOLUTION' has no matching '# END SOLUTION'")
    return "\n".join(out)


def _source(cell: dict[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def student_notebook(exercise: Exercise) -> dict[str, Any]:
    path = Path(exercise.path) / "solution.ipynb"
    if not path.is_file():
        raise ExerciseError("has no solution.ipynb", Path(exercise.path))
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = []
    for cell in nb.get("cells", []):
        tags = cell.get("metadata", {}).get("tags", [])
        if "instructor" in tags:
            continue
        cell = copy.deepcopy(cell)
        if cell.get("cell_type") == "code":
            cell["source"] = "# YOUR CODE HERE / TU CÓDIGO AQUÍ\n" if "solution" in tags else \
                strip_solutions(_source(cell))
            cell["outputs"] = []
            cell["execution_count"] = None
        elif "solution" in tags:
            # A markdown answer cell: keep its prompt (the first paragraph) and its tags, drop the answer.
            prompt = _source(cell).split("\n\n")[0]
            cell["source"] = prompt + "\n\n*(your answer here / tu respuesta aquí)*"
            cell["metadata"]["tags"] = [t for t in tags if t != "solution"]
        cells.append(cell)
    nb["cells"] = cells
    meta = nb.setdefault("metadata", {})
    meta[METADATA_KEY] = {"exercise": exercise.id, "version": exercise.version}
    return nb


def release(exercise: Exercise, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    notebook = out / f"{exercise.id}.ipynb"
    write_atomic(notebook, json.dumps(student_notebook(exercise), indent=1, ensure_ascii=False) + "\n")
    written.append(notebook)
    bundle = out / f"{exercise.id}{BUNDLE_SUFFIX}"
    write_bundle(exercise, bundle)
    written.append(bundle)
    for lang in ("en", "es"):
        statement = Path(exercise.path) / f"statement.{lang}.md"
        if statement.is_file():
            target = out / f"{exercise.id}.statement.{lang}.md"
            write_atomic(target, statement.read_text(encoding="utf-8"))
            written.append(target)
    return written
