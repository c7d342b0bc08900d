"""The example instructor exercise (examples/logreg): helper modules, an HDF5 data set, a cell meant
to raise. A synthetic class is graded as an instructor would grade it; then with a support file
taken away, which must show on the class page once and in no student's list of mistakes."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
from html import unescape
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.library import load_folder
from grader.validate import validate_exercise

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "logreg"


def make_class(folder: Path) -> dict[str, set[str]]:
    spec = importlib.util.spec_from_file_location("make_logreg_class", ROOT / "examples" / "make_logreg_class.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.make_class(folder, copies=2)


def grade(submissions: Path, exercise: Path, out: Path) -> tuple[dict[str, dict], str]:
    result = CliRunner().invoke(main, ["grade", str(submissions), "--exercise", str(exercise), "--out", str(out),
                                       "--jobs", "2"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    subs = json.loads((out / "results.json").read_text())["submissions"]
    return {s["student"]: s for s in subs}, result.output


def text(html: str) -> str:
    plain = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))
    return re.sub(r" ([:,.])", r"\1", plain)


def fix_first(report: str) -> str:
    """The "what to fix first" list of a report, as text ("" when there is none)."""
    match = re.search(r'<ol class="fix">(.*?)</ol>', report, re.DOTALL)
    return text(match.group(1)) if match else ""


@pytest.fixture(scope="module")
def klass(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, set[str]]]:
    folder = tmp_path_factory.mktemp("logreg") / "submissions"
    return folder, make_class(folder)


def test_the_exercise_proves_itself(sandbox):
    verdicts = validate_exercise(load_folder(EXAMPLE), sandbox)
    problems = [f"{v.case}: {p}" for v in verdicts for p in v.problems]
    assert not problems and all(v.ok for v in verdicts), problems
    assert sum(v.case.startswith("wrong/") for v in verdicts) == 4


def test_the_class_gets_its_grades_and_the_reports_say_nothing_of_the_environment(klass, tmp_path):
    submissions, expected = klass
    out = tmp_path / "out"
    results, _ = grade(submissions, EXAMPLE, out)
    assert set(results) == set(expected)
    for student, loses in expected.items():
        sub = results[student]
        lost = {t["id"] for t in sub["tasks"] if t["score"] < t["max_score"]}
        assert lost == loses, (student, lost, sub.get("first_error"))
        assert "environment" not in sub
        report = (out / "reports" / f"{student}.html").read_text()
        assert "not your mistake" not in report and "raises-exception" not in report
        assert "np.dot(train_y, train_y)" not in report and "not aligned" not in report  # the demo cell is silent
        if student != "edited_path":  # who edits a given cell owns it, its magic line too
            assert "%matplotlib" not in report  # a given cell's magic is not the student's to hear about
        if not loses and student not in ("edited_path", "tagged_own"):
            assert fix_first(report) == "", (student, fix_first(report))
    # A student's own mistakes stay theirs: a path they typed into a given cell, and a failing cell
    # of their own that carries an instructor's cell id and a raises-exception tag.
    assert "data/cats.h5" in fix_first((out / "reports" / "edited_path.html").read_text())
    assert "cat_plots" in fix_first((out / "reports" / "tagged_own.html").read_text())
    index = (out / "index.html").read_text()
    assert 'id="environment"' not in index


def test_a_missing_data_file_is_shown_once_on_the_class_page_and_is_nobodys_mistake(klass, tmp_path):
    submissions, expected = klass
    exercise = tmp_path / "logreg"
    shutil.copytree(EXAMPLE, exercise)
    (exercise / "files" / "datasets" / "test_cats.h5").unlink()
    out = tmp_path / "out"
    results, _ = grade(submissions, exercise, out)
    for student, loses in expected.items():
        sub = results[student]
        assert [(e["problem"], e["name"]) for e in sub["environment"]] == [("file", "datasets/test_cats.h5")]
        lost = {t["id"] for t in sub["tasks"] if t["score"] < t["max_score"]}
        assert lost == loses  # probes need none of the data: grades do not change
        report = (out / "reports" / f"{student}.html").read_text()
        assert "test_cats.h5" not in fix_first(report)
        assert "the data file `datasets/test_cats.h5` was not found" in text(report)
        assert "This is not a mistake of yours" in report
    page = text((out / "index.html").read_text())
    line = f"{len(expected)} notebooks: the data file `datasets/test_cats.h5` was not found"
    assert page.count(line) == 1
    assert str(exercise / "files" / "datasets" / "test_cats.h5") in page


def test_a_missing_helper_module_is_named_and_grading_again_once_it_is_back_regrades(klass, tmp_path):
    submissions, _ = klass
    exercise = tmp_path / "logreg"
    shutil.copytree(EXAMPLE, exercise)
    helper = exercise / "files" / "test_cases.py"
    kept = helper.read_text()
    helper.unlink()
    some = tmp_path / "some"
    some.mkdir()
    for student in ("right_01", "wrong_rows"):
        shutil.copy(submissions / f"{student}.ipynb", some)
    out = tmp_path / "out"
    results, _ = grade(some, exercise, out)
    for student in ("right_01", "wrong_rows"):
        assert [(e["problem"], e["name"]) for e in results[student]["environment"]] == [("module", "test_cases")]
        report = (out / "reports" / f"{student}.html").read_text()
        assert "test_cases" not in fix_first(report) and "propagate_test_case" not in fix_first(report)
    assert results["right_01"]["score"] == results["right_01"]["max_score"]
    page = text((out / "index.html").read_text())
    assert page.count("2 notebooks: the helper module `test_cases` was not found") == 1
    assert "test_cases.py" in page

    # Nothing changed, yet notebooks that met the environment's problems are graded again: what
    # was missing may have been installed since.
    _, output = grade(some, exercise, out)
    assert "graded 2, unchanged 0" in output

    helper.write_text(kept)
    results, output = grade(some, exercise, out)
    assert "graded 2, unchanged 0" in output
    assert all("environment" not in sub for sub in results.values())
    assert 'id="environment"' not in (out / "index.html").read_text()


def test_release_ships_the_support_files_and_check_shows_them_to_the_notebook(tmp_path: Path) -> None:
    # A student gets the released folder: their notebook, the checks, the helper modules and the
    # data, under the paths the notebook opens. `grader check` there passes the public tests of a
    # correct notebook (the helpers import, the data opens), with nothing of the exercise folder.
    released = tmp_path / "release"
    result = CliRunner().invoke(main, ["release", str(EXAMPLE), "--out", str(released)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    for name in ("lr_utils.py", "test_cases.py", "datasets"):
        assert (released / name).exists(), sorted(p.name for p in released.iterdir())
    assert (released / "datasets" / "train_cats.h5").read_bytes() == (EXAMPLE / "files" / "datasets" / "train_cats.h5").read_bytes()
    checks = json.loads(next(released.glob("*.checks.json")).read_text())
    assert checks["exercise"]["files"] == ["datasets", "lr_utils.py", "test_cases.py"]
    classroom = tmp_path / "class"
    make_class(classroom)
    mine = next(released.glob("*.ipynb"))
    shutil.copy(classroom / "right_01.ipynb", mine)
    passed = CliRunner().invoke(main, ["check", str(mine)], catch_exceptions=False)
    assert passed.exit_code == 0, passed.output
    assert "✗" not in passed.output and "public tests:" in passed.output
    # The instructor's demo cell meant to raise (tagged raises-exception in solution.ipynb) is not
    # the student's: the released checks say which cells are the instructor's.
    assert "raised" not in passed.output and "!" not in passed.output, passed.output
    (released / "datasets" / "train_cats.h5").unlink()  # the data the student was given, lost
    lost = CliRunner().invoke(main, ["check", str(mine)], catch_exceptions=False)
    assert "train_cats.h5" in lost.output, lost.output
