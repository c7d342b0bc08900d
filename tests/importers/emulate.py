"""The points nbgrader's or otter-grader's own rules give a notebook, as a reference for the tests.

    python emulate.py nbgrader STUDENT.ipynb SOURCE.ipynb
    python emulate.py otter STUDENT.ipynb MASTER.ipynb

Run in the folder that holds the assignment's support files; prints {test: points} as JSON.

nbgrader (autograde): the student's cells run top to bottom in one namespace, each autograder test
cell replaced by the source's (hidden tests back in); a test cell that raises nothing earns its
points. otter (grade): the student's cells run top to bottom; then each test case of the master
notebook runs in that namespace, and earns its points when its last line shows what the master's
output shows (doctest), or, without output, when it raises nothing. Points follow otter's rules.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import sys
import types
from pathlib import Path
from typing import Any


def _source(cell: dict[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _run(source: str, ns: dict[str, Any]) -> bool:
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(source, "<cell>", "exec"), ns)  # noqa: S102 (test notebooks)
    except BaseException:  # noqa: BLE001
        return False
    return True


def nbgrader(student: dict[str, Any], source: dict[str, Any]) -> dict[str, float]:
    tests = {c["metadata"]["nbgrader"]["grade_id"]: c for c in source["cells"]
             if c["metadata"].get("nbgrader", {}).get("grade") and not c["metadata"]["nbgrader"].get("solution")
             and c["cell_type"] == "code"}
    steps = []  # read before anything runs: a student's notebook may rebind builtins this process uses
    for cell in student["cells"]:
        if cell["cell_type"] != "code":
            continue
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id in tests:
            original = tests[grade_id]
            steps.append((grade_id, _source(original), float(original["metadata"]["nbgrader"]["points"])))
        else:
            steps.append((None, _source(cell), 0.0))
    ns: dict[str, Any] = {"__name__": "__main__"}
    scores = {}
    for grade_id, code, points in steps:
        passed = _run(code, ns)
        if grade_id is not None:
            scores[grade_id] = points if passed else 0.0
    return scores


def _raw(cell: dict[str, Any]) -> str:
    return re.sub(r"<[^>]+>", "", _source(cell)).strip()


def _cases(master: dict[str, Any]) -> list[tuple[str, float, str, str | None]]:
    """(question, points, code, expected output) of every test case, points by otter's rules."""
    found, question, points, block, pending = [], None, None, None, []
    for cell in master["cells"]:
        if cell["cell_type"] == "raw":
            text = _raw(cell)
            head = text.split("\n")[0].upper()
            if head.startswith("# BEGIN QUESTION"):
                question = re.search(r"name:\s*(\S+)", text).group(1)  # type: ignore[union-attr]
                match = re.search(r"points:\s*([\d.]+)", text)
                points = float(match.group(1)) if match else None
            elif head.startswith("# END QUESTION"):
                given = [p for _, p, _, _ in pending if p is not None]
                unset = [c for c in pending if c[1] is None]
                for name, p, code, want in pending:
                    if p is None:
                        if given:
                            p = 0.0 if points is None else (points - sum(given)) / len(unset)
                        else:
                            p = (1.0 if points is None else points) / len(pending)
                    found.append((name, p, code, want))
                pending = []
            elif head.startswith("# BEGIN"):
                block = head.split()[2]
            elif head.startswith("# END"):
                block = None
            continue
        if block == "TESTS" and cell["cell_type"] == "code":
            code = _source(cell)
            match = re.search(r"^points:\s*([\d.]+)", code, re.MULTILINE)
            outputs = [o for o in cell.get("outputs", []) if o.get("output_type") == "execute_result"]
            want = "".join(outputs[0]["data"]["text/plain"]) if outputs else None
            pending.append((question, float(match.group(1)) if match else None, code, want))
    return found


def otter(student: dict[str, Any], master: dict[str, Any]) -> dict[str, float]:
    sys.modules["otter"] = types.SimpleNamespace(Notebook=lambda *a, **k: types.SimpleNamespace(  # type: ignore[assignment]
        check=lambda *a, **k: None, check_all=lambda *a, **k: None, export=lambda *a, **k: None))
    ns: dict[str, Any] = {"__name__": "__main__"}
    for cell in student["cells"]:
        if cell["cell_type"] == "code":
            _run(_source(cell), ns)
    scores: dict[str, float] = {}
    for question, points, code, want in _cases(master):
        *body, last = code.rstrip().split("\n")
        passed = _run("\n".join(body), ns)
        if passed and want is not None:
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    shown = repr(eval(last, ns))
            except BaseException:  # noqa: BLE001
                shown = None
            passed = shown == want
        elif passed:
            passed = _run(last, ns)
        scores[question] = scores.get(question, 0.0) + (points if passed else 0.0)
    return scores


def main(argv: list[str]) -> None:
    import builtins

    kind, student, original = argv
    sys.path.insert(0, ".")
    student_nb = json.loads(Path(student).read_text(encoding="utf-8"))
    original_nb = json.loads(Path(original).read_text(encoding="utf-8"))
    saved = dict(vars(builtins))
    scores = nbgrader(student_nb, original_nb) if kind == "nbgrader" else otter(student_nb, original_nb)
    vars(builtins).update(saved)  # what a notebook rebound is put back before the answer is written
    print(json.dumps(scores))


if __name__ == "__main__":
    main(sys.argv[1:])
