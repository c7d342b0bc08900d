"""Gradescope: results.json always valid, hidden tests never revealed, the autograder zip runs."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import sysconfig
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from grader.lms import autograder, gradescope

from ..conftest import ROOT
from .conftest import SAMPLES, make_result
from .platforms import gradescope_check

SOLUTION = ROOT / "exercises" / "activations" / "solution.ipynb"


def test_a_graded_submission_maps_test_by_test():
    result = make_result("ana", [(3, 3), (0, 2)])
    data = gradescope.results_json(result, "en")
    assert gradescope_check(data) == []
    assert data["score"] == 3 and len(data["tests"]) == 4
    public, hidden = data["tests"][2], data["tests"][3]
    assert public == {"number": "2.1", "name": "Task 2 — values", "score": 0, "max_score": 2, "status": "failed",
                      "visibility": "visible", "tags": ["t2"], "output_format": "text",
                      "output": "wrong value at x=2\nInput: x=2\nExpected: 4\nGot: 5\nHint: square it"}
    assert hidden["visibility"] == "after_published" and hidden["output"] == "wrong on an edge case"
    text = json.dumps(data)
    assert all(secret not in text for secret in ("SECRET-INPUT", "EXPECTED-HIDDEN", "GOT-HIDDEN", "HIDDEN-SOURCE"))
    assert "hidden" not in {t["visibility"] for t in data["tests"]}  # would hide the student's total
    assert data["tests"][0]["status"] == "passed" and "output" not in data["tests"][0]


def test_score_only_visibility_shows_no_output_and_spanish_words():
    result = make_result("ana", [(0, 2)])
    task = result.tasks[0]
    quiet = replace(task, tests=(replace(task.tests[0], visibility="score"), task.tests[1]))
    data = gradescope.results_json(replace(result, tasks=(quiet,)), "es")
    assert "output" not in data["tests"][0] and data["tests"][0]["name"] == "Tarea 1 — values"
    assert gradescope_check(data) == []


def test_a_submission_that_could_not_be_graded_is_still_valid():
    data = gradescope.results_json(make_result("x", [], status="error"), "en")
    assert gradescope_check(data) == []
    assert data["score"] == 0
    assert data["tests"] == [{"name": "Grading failed", "score": 0, "max_score": 0, "status": "failed",
                              "visibility": "visible", "output": "not a notebook", "output_format": "text"}]


def test_a_grader_crash_shows_students_a_failure_and_keeps_the_traceback_hidden():
    data = gradescope.crash_json("Traceback: boom", 30, "en")
    assert gradescope_check(data) == []
    assert [t["visibility"] for t in data["tests"]] == ["visible", "hidden"]
    assert data["tests"][0]["max_score"] == 30 and "boom" in data["tests"][1]["output"]


def fake_root(tmp_path, notebooks=(), metadata=True):
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    (root / "results").mkdir()
    for i, (name, source) in enumerate(notebooks):
        shutil.copy(source, root / "submission" / name)
        os.utime(root / "submission" / name, (1_700_000_000 + i, 1_700_000_000 + i))
    if metadata:
        (root / "submission_metadata.json").write_text(json.dumps(
            {"id": 1, "users": [{"email": "ana@example.edu", "id": 4242, "name": "Ana"}],
             "assignment": {"title": "Lab", "total_points": 30}}))
    return root


def read_results(root):
    data = json.loads((root / "results" / "results.json").read_text())
    assert gradescope_check(data) == []
    return data


def test_run_without_a_notebook_writes_a_visible_failure(tmp_path, monkeypatch):
    root = fake_root(tmp_path)
    (root / "submission" / "answers.pdf").write_bytes(b"%PDF")
    monkeypatch.setenv("GRADER_AUTOGRADER_ROOT", str(root))
    assert gradescope.main(["--exercise", "activations"]) == 0
    data = read_results(root)
    assert data["tests"][0]["name"] == "Grading failed" and data["tests"][0]["max_score"] == 30
    assert "No notebook" in data["tests"][0]["output"]


def test_run_with_an_unknown_exercise_still_writes_results(tmp_path):
    root = fake_root(tmp_path, [("hw.ipynb", SOLUTION)])
    gradescope.run(root, "no_such_exercise")
    data = read_results(root)
    assert data["score"] == 0 and [t["visibility"] for t in data["tests"]] == ["visible", "hidden"]
    assert "unknown exercise" in data["tests"][1]["output"]


def test_run_grades_the_newest_notebook(tmp_path):
    root = fake_root(tmp_path, [("good.ipynb", SOLUTION), ("broken.ipynb", SAMPLES / "fede_not_json.ipynb")])
    gradescope.run(root, "activations", "es")
    data = read_results(root)
    assert data["score"] == 0 and data["tests"][0]["name"] == "Corrección fallida"
    assert "broken.ipynb" in data["output"]


# --- the autograder zip ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built():
    data, members = autograder.build("activations")
    return zipfile.ZipFile(io.BytesIO(data)), members


def test_the_zip_holds_setup_and_run_at_its_root(built):
    zf, members = built
    wheel = f"grader-{__import__('grader').__version__}-py3-none-any.whl"
    assert members == ["setup.sh", "run_autograder", wheel]
    for name in ("setup.sh", "run_autograder"):
        info = zf.getinfo(name)
        assert stat.S_IMODE(info.external_attr >> 16) & 0o111, f"{name} is not executable"
        assert zf.read(name).startswith(b"#!/usr/bin/env bash\n")
    setup = zf.read("setup.sh").decode()
    assert f'"{autograder.TORCH_PIN}"' in setup and f"/autograder/source/{wheel}" in setup
    assert "python3.11" in setup and "/autograder/venv" in setup
    run = zf.read("run_autograder").decode()
    assert "-m grader.lms.gradescope --root /autograder --exercise 'activations' --lang en" in run
    fallback = run.split("<<'EOF'\n", 1)[1].split("\nEOF\n", 1)[0]
    assert gradescope_check(json.loads(fallback)) == []


def test_the_torch_pin_is_the_one_scripts_setup_installs():
    assert f'install --quiet "{autograder.TORCH_PIN}"' in (ROOT / "scripts" / "setup").read_text()


def test_the_wheel_is_complete_and_its_record_true(built):
    zf, members = built
    wheel = zipfile.ZipFile(io.BytesIO(zf.read(members[2])))
    names = set(wheel.namelist())
    for needed in ("grader/cli.py", "grader/lms/gradescope.py", "grader/_bundle/exercises/activations/exercise.py",
                   "grader/_bundle/templates/report.html.j2", "reference/__init__.py"):
        assert needed in names, needed
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    info = next(n for n in names if n.endswith(".dist-info/METADATA"))
    metadata = wheel.read(info).decode()
    assert "Requires-Dist: torch" in metadata and "Requires-Dist: pytest" not in metadata
    record = wheel.read(info.replace("METADATA", "RECORD")).decode().splitlines()
    for line in record:
        name, digest, size = line.rsplit(",", 2)
        if not digest:
            continue
        data = wheel.read(name)
        assert digest == "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        assert int(size) == len(data)


def test_an_exercise_folder_of_ones_own_travels_in_the_zip(tmp_path):
    folder = tmp_path / "my_activations"
    shutil.copytree(ROOT / "exercises" / "activations", folder, ignore=shutil.ignore_patterns("__pycache__"))
    data, members = autograder.build(str(folder))
    zf = zipfile.ZipFile(io.BytesIO(data))
    assert "exercise/exercise.py" in members and "exercise/solution.ipynb" in members
    assert "--exercise '/autograder/source/exercise'" in zf.read("run_autograder").decode()


def run_script(script: str, root: Path, python: str) -> subprocess.CompletedProcess:
    """run_autograder with /autograder pointed at a fake tree and the venv's python at `python`."""
    text = script.replace("/autograder/venv/bin/python", python).replace("/autograder", str(root))
    path = root / "run_autograder"
    path.write_text(text)
    path.chmod(0o755)
    return subprocess.run([str(path)], capture_output=True, text=True, timeout=300)


def test_run_autograder_writes_valid_results_even_when_python_cannot_start(built, tmp_path):
    zf, _ = built
    root = fake_root(tmp_path, [("hw.ipynb", SOLUTION)])
    run_script(zf.read("run_autograder").decode(), root, str(tmp_path / "no" / "python"))
    data = read_results(root)
    assert data["score"] == 0 and data["tests"][0]["visibility"] == "visible"


@pytest.mark.slow
def test_the_wheel_installs_and_run_autograder_grades_a_submission(built, tmp_path):
    zf, members = built
    wheel = tmp_path / members[2]
    wheel.write_bytes(zf.read(members[2]))
    subprocess.run([sys.executable, "-m", "venv", str(tmp_path / "venv")], check=True)
    python = tmp_path / "venv" / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    # Borrow torch, numpy… from this environment rather than downloading them (as the packaging test does).
    (site / "_borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "-q", str(wheel)], check=True)
    root = fake_root(tmp_path, [("mine.ipynb", SOLUTION)])
    done = run_script(zf.read("run_autograder").decode(), root, str(python))
    assert done.returncode == 0, done.stderr
    data = read_results(root)
    assert data["score"] == 30 and all(t["status"] == "passed" for t in data["tests"])
    assert data["extra_data"]["exercise"] == "activations"
    assert re.match(r"activations: Score 30/30", data["output"])
