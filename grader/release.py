"""`grader release`: the student's notebook (solutions stripped) and the public-test bundle.

Solution regions are marked in an exercise's `solution.ipynb` by `# BEGIN SOLUTION` and
`# END SOLUTION` lines (replaced by a `raise NotImplementedError` at the same indentation), or
by tagging a whole cell `solution` (a code cell's source becomes a placeholder comment; a markdown
cell keeps its first paragraph, the prompt, and its other tags). A `# STUDENT: <line>` inside a
region gives the line the student starts from instead (e.g. `# STUDENT: d_tanh = ""`). Cells tagged
`instructor` are dropped. Outputs are cleared and the exercise id is written to the metadata.

The public tests travel with the notebook: packed into its metadata (for `grader check`) and into
a first cell that binds them to `_grader_checks`, which is how `grader.check()` finds them from the
kernel's side: a kernel cannot read its notebook's file (Colab keeps none beside it). Grading
skips that cell (`grader.notebook.checks_payload`).
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

from .bundle import BUNDLE_SUFFIX, bundle_json, pack
from .errors import ExerciseError
from .exam import LETTERS, render_choice
from .exercise import Exercise
from .files import write_atomic
from .keys import release_secret, shuffled_orders
from .notebook import ANSWER_PLACEHOLDER, CHECKS_VARIABLE, METADATA_KEY
from .spreadsheet import csv_text
from .untrusted import file_stem

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


CHOICE_TAG = "choice:"
CHECKS_TAG = "grader-checks"

_CHECKS_WORDS = {
    "en": ("Public tests for grader.check(): run this cell and leave it as it is",
           "The public tests of this exercise and their expected values (no hidden test). Check your work in",
           "any cell with `import grader; grader.check(\"task\")`, or `grader.check()` for every task.",
           "Advice only: your grade comes from your instructor's grading."),
    "es": ("Pruebas públicas para grader.check(): ejecuta esta celda y déjala como está",
           "Las pruebas públicas de este ejercicio y sus valores esperados (ninguna oculta). Comprueba tu trabajo",
           "en cualquier celda con `import grader; grader.check(\"tarea\")`, o `grader.check()` para todas.",
           "Solo orienta: tu nota sale de la corrección de tu profesor."),
}


def checks_cell(packed: str, lang: str) -> dict[str, Any]:
    """The first cell of a released notebook: the public tests as one string, hidden in Colab's form
    view and collapsed in JupyterLab and VS Code, read only by `grader.check()`."""
    title, *lines = _CHECKS_WORDS["es" if lang == "es" else "en"]
    source = "\n".join([f'#@title {title} {{ display-mode: "form" }}', *(f"# {line}" for line in lines),
                        f"{CHECKS_VARIABLE} = {json.dumps(packed)}"])
    return {"cell_type": "code", "execution_count": None, "outputs": [], "source": source,
            "metadata": {"tags": [CHECKS_TAG], "cellView": "form", "editable": False, "deletable": False,
                         "jupyter": {"source_hidden": True}}}


def student_notebook(exercise: Exercise, student: str | None = None, lang: str = "en",
                     orders: dict[str, list[int]] | None = None, checks: str | None = None) -> dict[str, Any]:
    """The released notebook; for `student`, choice options in the order `orders` gives each
    shuffled question (`grader.keys`). The notebook shows that order and records none of it:
    grading reads it from the release's keys. `checks` (the packed public tests) goes into the
    metadata and a first cell."""
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
        choice_tag = next((t for t in tags if t.startswith(CHOICE_TAG)), None)
        if choice_tag is not None:
            task = exercise.task(choice_tag[len(CHOICE_TAG):])
            n = len(task.choice.options)
            order = (orders or {}).get(task.id, list(range(n)))
            cell["source"] = render_choice(task.question, task.choice, order, lang, task.id + ".")
        if cell.get("cell_type") == "code":
            cell["source"] = "# YOUR CODE HERE / TU CÓDIGO AQUÍ\n" if "solution" in tags else \
                strip_solutions(_source(cell))
            cell["outputs"] = []
            cell["execution_count"] = None
        elif "solution" in tags:
            # A markdown answer cell: keep its prompt (the first paragraph) and its tags, drop the answer.
            prompt = _source(cell).split("\n\n")[0]
            cell["source"] = prompt + "\n\n" + ANSWER_PLACEHOLDER
            cell["metadata"]["tags"] = [t for t in tags if t != "solution"]
            cell["metadata"]["grader"] = {"prompt": prompt}  # so grading reads only what the student added
        cells.append(cell)
    if checks is not None:
        cells.insert(0, checks_cell(checks, lang))
    nb["cells"] = cells
    meta = nb.setdefault("metadata", {})
    meta[METADATA_KEY] = {"exercise": exercise.id, "version": exercise.version, "lang": lang}
    if checks is not None:
        meta[METADATA_KEY]["checks"] = checks
    if student is not None:
        meta[METADATA_KEY]["student"] = student
    return nb


def release(exercise: Exercise, out: Path, students: list[str] | None = None, lang: str = "en") -> list[Path]:
    """Write the student notebook (one per student when `students` is given, each with its own
    option order made from `release.secret`, and `keys.csv` recording every order) and the
    public-test bundle."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    checks = bundle_json(exercise, lang)
    packed = pack(checks)
    if not students:
        notebook = out / f"{exercise.id}.ipynb"
        write_atomic(notebook, json.dumps(student_notebook(exercise, lang=lang, checks=packed), indent=1,
                                          ensure_ascii=False) + "\n")
        written.append(notebook)
    else:
        keys = [["student", "question", "letter", "option"]]
        secret = release_secret(out)
        for student in students:
            orders = shuffled_orders(exercise, student, secret)
            nb = student_notebook(exercise, student, lang, orders, checks=packed)
            notebook = out / _safe(student) / f"{exercise.id}.ipynb"
            write_atomic(notebook, json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
            written.append(notebook)
            for qid, order in orders.items():
                options = exercise.task(qid).choice.options
                keys += [[student, qid, letter, options[i].id] for letter, i in zip(LETTERS, order)]
        write_atomic(out / "keys.csv", csv_text(keys))
        written.append(out / "keys.csv")
    bundle = out / f"{exercise.id}{BUNDLE_SUFFIX}"
    write_atomic(bundle, json.dumps(checks, ensure_ascii=False, separators=(",", ":")))
    written.append(bundle)
    for folder in sorted({path.parent for path in written if path.suffix == ".ipynb"}):
        written += ship_support_files(exercise, folder)
    for lang in ("en", "es"):
        statement = Path(exercise.path) / f"statement.{lang}.md"
        if statement.is_file():
            target = out / f"{exercise.id}.statement.{lang}.md"
            write_atomic(target, statement.read_text(encoding="utf-8"))
            written.append(target)
    return written


def ship_support_files(exercise: Exercise, folder: Path) -> list[Path]:
    """The exercise's support files (helper modules, data) beside a student's notebook, under the
    paths the notebook uses; hard links where the file system allows (a class of 300 shares one
    copy of a data set), copies elsewhere."""
    source = Path(exercise.path) / "files" if exercise.path else None
    if source is None or not source.is_dir():
        return []

    def link_or_copy(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    shipped = []
    for entry in sorted(source.iterdir()):
        if entry.name.startswith("."):
            continue
        target = folder / entry.name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif target.exists() or target.is_symlink():
            target.unlink()
        if entry.is_dir():
            shutil.copytree(entry, target, copy_function=link_or_copy)
        else:
            link_or_copy(str(entry), str(target))
        shipped.append(target)
    return shipped


def _safe(name: str) -> str:
    """A folder per student: two ids never share one, however long or alike."""
    return file_stem(name)


def read_roster(path: Path) -> list[str]:
    """Student ids from a CSV with a `student` column (or one id per line)."""
    import csv

    from .errors import InputError

    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError("no such file", path) from None
    rows = list(csv.reader(text.splitlines()))
    if rows and "student" in [c.strip().lower() for c in rows[0]]:
        col = [c.strip().lower() for c in rows[0]].index("student")
        names = [r[col].strip() for r in rows[1:] if len(r) > col and r[col].strip()]
    else:
        names = [r[0].strip() for r in rows if r and r[0].strip()]
    if not names:
        raise InputError("no student ids found (a 'student' column, or one id per line)", path)
    return names
