"""The example assignments of both tools, imported, then a class graded: honest students get what
nbgrader's or otter's own rules give them, and a student who rebinds what the assertions use loses
every converted test (which those rules would have given them)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.importers.convert import import_assignment
from grader.library import load_folder
from grader.validate import validate_exercise

from .classes import NBGRADER_SOURCE, OTTER_MASTER, nbgrader_class, otter_class

EMULATE = Path(__file__).with_name("emulate.py")
pytestmark = pytest.mark.slow


def _imported(tmp: Path, kind: str, source: Path, sandbox: Any) -> tuple[Path, str]:
    """The folder, and what importing and validating it said."""
    folder = tmp / "exercise"
    done = import_assignment(kind, source, folder)  # type: ignore[arg-type]
    verdicts = validate_exercise(load_folder(folder), sandbox)
    said = "\n".join(done.lines + done.warnings + done.notes)
    for v in verdicts:
        said += f"\n{'ok' if v.ok else 'FAIL'} {v.case} " + " ".join(v.problems) + "".join(f"\nnote: {n}" for n in v.notes)
    return folder, said


def _graded(tmp: Path, folder: Path, notebooks: dict[str, dict[str, Any]]) -> dict[str, Any]:
    for name, nb in notebooks.items():
        (tmp / "class").mkdir(exist_ok=True)
        (tmp / "class" / f"{name}.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    result = CliRunner().invoke(main, ["grade", str(tmp / "class"), "--exercise", str(folder), "--out",
                                       str(tmp / "out")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return {s["student"]: s for s in json.loads((tmp / "out" / "results.json").read_text())["submissions"]}


def _rules(kind: str, tmp: Path, name: str, original: Path) -> dict[str, float]:
    """Points under the original tool's rules, run in a process of its own beside the support files."""
    done = subprocess.run([sys.executable, str(EMULATE), kind, str(tmp / "class" / f"{name}.ipynb"), str(original)],
                          cwd=original.parent, capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout)


def _automatic(submission: dict[str, Any]) -> dict[str, float]:
    return {t["id"]: t["score"] for t in submission["tasks"] if t["kind"] != "text"}


def _converted(folder: Path) -> set[str]:
    recorded = json.loads((folder / "recorded.json").read_text())
    return {key.replace("/", ":") for key, entry in recorded["tests"].items() if entry["kind"] == "converted"}


@pytest.fixture(scope="module")
def nbgrader_run(tmp_path_factory: pytest.TempPathFactory, sandbox: Any) -> tuple[Path, Path, str, dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("nbgrader")
    folder, said = _imported(tmp, "nbgrader", NBGRADER_SOURCE, sandbox)
    return tmp, folder, said, _graded(tmp, folder, nbgrader_class())


@pytest.fixture(scope="module")
def otter_run(tmp_path_factory: pytest.TempPathFactory, sandbox: Any) -> tuple[Path, Path, str, dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("otter")
    folder, said = _imported(tmp, "otter", OTTER_MASTER, sandbox)
    return tmp, folder, said, _graded(tmp, folder, otter_class())


def test_an_nbgrader_assignment_imports_and_validates(nbgrader_run: Any) -> None:
    _, folder, out, _ = nbgrader_run
    assert "FAIL" not in out
    for case in ("solution", "blank", "references"):
        assert f"ok {case}" in out
    assert "test test_sigmoid/all" in out and "converted: 4 checks" in out
    assert "test test_forward_checks/tests" in out and "runs in the student's process" in out
    assert "could pass them" in out and "test_forward_checks/tests" in out.split("could pass them")[0]
    assert "note: 1 test(s) run their code in the student's process and pass when it raises nothing: " \
           "test_forward_checks:tests. A student who patches numpy" in out  # validation says it too
    exercise = (folder / "exercise.py").read_text()
    assert 'RECORDED.test("test_sigmoid/all", points=2, public=False)' in exercise
    assert 'RECORDED.test("test_sigmoid/public", points=0, public=True)' in exercise
    assert 'RECORDED.manual("explain_softmax", points=2)' in exercise
    solution = json.loads((folder / "solution.ipynb").read_text())
    code = "\n".join("".join(c["source"]) for c in solution["cells"] if c["cell_type"] == "code")
    assert "BEGIN SOLUTION" in code and "HIDDEN" not in code and "rtol=1e-7, atol=0" not in code
    assert (folder / "files" / "nn_utils.py").is_file() and (folder / "files" / "data" / "points.csv").is_file()
    assert "Sigmoid" in (folder / "statement.en.md").read_text()


def test_honest_nbgrader_students_get_what_nbgraders_rules_give(nbgrader_run: Any) -> None:
    tmp, _, _, results = nbgrader_run
    for name in ("ana_right", "ben_unstable", "cruz_partly", "dana_rounded", "eli_blank"):
        ours = _automatic(results[name])
        rules = _rules("nbgrader", tmp, name, NBGRADER_SOURCE)
        assert ours == pytest.approx(rules), name
    assert _automatic(results["ana_right"])["test_softmax"] == 3
    assert _automatic(results["ben_unstable"])["test_softmax"] == 0  # its hidden test: softmax of 1000
    assert _automatic(results["cruz_partly"])["test_forward_checks"] == 0
    written = next(t for t in results["ana_right"]["tasks"] if t["id"] == "explain_softmax")
    assert written["tests"][0]["status"] == "pending" and written["max_score"] == 2


def test_an_nbgrader_student_who_patches_what_the_tests_use_loses_every_converted_test(nbgrader_run: Any) -> None:
    tmp, folder, _, results = nbgrader_run
    rules = _rules("nbgrader", tmp, "hal_hostile", NBGRADER_SOURCE)
    assert rules == {"test_sigmoid": 2, "test_softmax": 3, "test_loss": 2, "test_forward_checks": 1}  # all of them
    hostile = {f"{t['id']}:{x['name']}": x for t in results["hal_hostile"]["tasks"] for x in t["tests"]}
    converted = _converted(folder)
    assert len(converted) == 6
    assert all(hostile[name]["status"] != "passed" for name in converted)
    assert hostile["test_forward_checks:tests"]["status"] == "passed"  # runs in the student's process, as said


def test_an_otter_assignment_imports_and_validates(otter_run: Any) -> None:
    _, folder, out, _ = otter_run
    assert "FAIL" not in out
    for case in ("solution", "blank", "references"):
        assert f"ok {case}" in out
    assert "q2/test3" in out.split("could pass them")[0]
    assert "run their code in the student's process and pass when it raises nothing: q2:test3." in out
    exercise = (folder / "exercise.py").read_text()
    assert 'RECORDED.test("q1/test4", points=1, public=False)' in exercise  # TEST CONFIG: hidden, 1 point
    assert 'RECORDED.test("q1/test1", points=0.3333333333333333, public=True)' in exercise  # the rest shared
    assert 'RECORDED.test("q1/test3", points=0.3333333333333333, public=False)' in exercise  # `# HIDDEN`
    assert 'RECORDED.manual("q4", points=2)' in exercise
    assert (folder / "files" / "helpers.py").is_file() and (folder / "files" / "otter" / "__init__.py").is_file()
    solution = json.loads((folder / "solution.ipynb").read_text())
    code = "\n".join("".join(c["source"]) for c in solution["cells"] if c["cell_type"] == "code")
    assert "# STUDENT: mean_activation = ..." in code and "leaky_relu(-2.0, alpha=0.1)" not in code
    assert "intercell seeding" in out  # what does not carry over is said


def test_honest_otter_students_get_what_otters_rules_give(otter_run: Any) -> None:
    tmp, _, _, results = otter_run
    for name in ("ana_right", "ben_leaky_wrong", "cruz_partly", "eli_blank"):
        ours = _automatic(results[name])
        rules = _rules("otter", tmp, name, OTTER_MASTER)
        assert ours == pytest.approx(rules), name
    assert _automatic(results["ana_right"]) == pytest.approx({"q1": 2, "q2": 2, "q3": 1})
    assert _automatic(results["ben_leaky_wrong"])["q2"] == 0
    written = next(t for t in results["ana_right"]["tasks"] if t["id"] == "q4")
    assert written["tests"][0]["status"] == "pending" and written["max_score"] == 2


def test_an_otter_student_who_patches_what_the_tests_use_loses_every_converted_test(otter_run: Any) -> None:
    tmp, folder, _, results = otter_run
    rules = _rules("otter", tmp, "hal_hostile", OTTER_MASTER)
    assert rules["q1"] == pytest.approx(2) and rules["q3"] == pytest.approx(1)  # otter's rules are fooled
    hostile = {f"{t['id']}:{x['name']}": x for t in results["hal_hostile"]["tasks"] for x in t["tests"]}
    converted = _converted(folder)
    assert len(converted) == 8
    assert all(hostile[name]["status"] != "passed" for name in converted)
