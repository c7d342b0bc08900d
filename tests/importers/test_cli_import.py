"""`grader import nbgrader|otter`: what it writes and says, and how it refuses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from grader.cli import main


def _code(source: str, **nbgrader: Any) -> dict[str, Any]:
    meta = {"nbgrader": {"schema_version": 3, **nbgrader}} if nbgrader else {}
    return {"cell_type": "code", "metadata": meta, "source": source, "outputs": [], "execution_count": None}


def _source(tmp_path: Path, test: str = "assert double(2) == 4") -> Path:
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": "# Doubling\n\nWrite `double(x)`."},
        _code("def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION", solution=True,
              grade_id="double"),
        _code(test, grade=True, points=3, grade_id="test_double"),
    ]}
    path = tmp_path / "source" / "lab1.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb))
    (path.parent / "data.txt").write_text("1 2 3\n")
    return path


def test_import_writes_the_folder_says_what_became_what_and_validates_it(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["import", "nbgrader", str(_source(tmp_path)), "--out", str(tmp_path / "lab1")])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "into " + str(tmp_path / "lab1") in out and "(exercise lab1, 3 points)" in out
    assert "test test_double/tests" in out and "converted: 1 check computed in the grading process" in out
    assert any(line.split() == ["files/", "data.txt"] for line in out.splitlines())
    assert "ok   lab1             solution                         3/3" in out
    assert "ok   lab1             blank                            0/3" in out
    for name in ("exercise.py", "solution.ipynb", "statement.en.md", "recorded.json", "files/data.txt"):
        assert (tmp_path / "lab1" / name).is_file(), name


def test_a_folder_in_use_is_refused_unless_forced(tmp_path: Path) -> None:
    source = _source(tmp_path)
    (tmp_path / "lab1").mkdir()
    (tmp_path / "lab1" / "notes.txt").write_text("mine")
    result = CliRunner().invoke(main, ["import", "nbgrader", str(source), "--out", str(tmp_path / "lab1")])
    assert result.exit_code == 2 and "is not empty" in result.output and "--force" in result.output
    assert "Traceback" not in result.output
    result = CliRunner().invoke(main, ["import", "nbgrader", str(source), "--out", str(tmp_path / "lab1"), "--force"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "lab1" / "notes.txt").read_text() == "mine"  # only what an import writes is replaced


def test_what_is_not_an_assignment_is_an_input_error_naming_the_file(tmp_path: Path) -> None:
    plain = tmp_path / "plain.ipynb"
    plain.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []}))
    for kind, words in (("nbgrader", "no cell carries nbgrader metadata"), ("otter", "no '# BEGIN QUESTION' raw cell")):
        result = CliRunner().invoke(main, ["import", kind, str(plain), "--out", str(tmp_path / kind)])
        assert result.exit_code == 2 and str(plain) in result.output and words in result.output
    result = CliRunner().invoke(main, ["import", "otter", str(tmp_path / "none.ipynb"), "--out", str(tmp_path / "x")])
    assert result.exit_code == 2 and "no such notebook" in result.output


def test_a_test_the_solution_fails_is_said_and_validation_fails(tmp_path: Path) -> None:
    source = _source(tmp_path, "assert double(2) == 5")
    result = CliRunner().invoke(main, ["import", "nbgrader", str(source), "--out", str(tmp_path / "lab1")])
    assert result.exit_code == 1
    assert "the solution fails this test where it stands" in result.output and "FAIL" in result.output
