"""A teaching assistant running `grader check` on a student's folder runs nothing the folder holds.

A notebook's metadata names an exercise; beside it the student may put a folder of that name with
an `exercise.py`, a checks file of that name, and modules named like the libraries the grader
imports. None of it may run outside the sandbox, whatever folder `check` is started from.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from grader.check import _plan
from grader.sandbox.limits import CHECK_CEILING
from tests.conftest import ROOT, make_notebook

from .world import grader_command

PAYLOAD = "import pathlib; pathlib.Path({marker!r}).write_text('ran outside the sandbox')\n"


def _student_folder(tmp_path: Path, exercise: str) -> tuple[Path, Path]:
    folder = tmp_path / "student"
    folder.mkdir()
    marker = tmp_path / "RAN"
    nb = make_notebook(["import numpy as np\ndef step(x):\n    return np.where(x >= 0, 1.0, 0.0)\n"],
                       exercise=exercise)
    (folder / "lab.ipynb").write_text(json.dumps(nb))
    return folder, marker


def _check(folder: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*grader_command(), "check", "lab.ipynb", *extra], cwd=folder, capture_output=True,
                          text=True, timeout=300, env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))


@pytest.mark.parametrize("name", ["evilex", "./evilex", "activations/../evilex"])
def test_a_folder_the_metadata_names_is_never_loaded(tmp_path: Path, name: str) -> None:
    folder, marker = _student_folder(tmp_path, name)
    (folder / "evilex").mkdir()
    (folder / "evilex" / "exercise.py").write_text(PAYLOAD.format(marker=str(marker)))
    run = _check(folder)
    assert not marker.exists(), "check ran the exercise.py the student put beside the notebook"
    assert run.returncode == 2, run.stdout + run.stderr
    assert "evilex" in run.stderr and "--exercise" in run.stderr  # names the problem and the way out


def test_modules_beside_the_notebook_never_stand_in_for_the_graders(tmp_path: Path) -> None:
    # Started from the student's folder, the worker must not import their numpy.py (or anything
    # else there) in place of the real one, outside the sandbox.
    folder, marker = _student_folder(tmp_path, "activations")
    for module in ("numpy", "torch", "sympy", "grader", "encodings"):
        (folder / f"{module}.py").write_text(PAYLOAD.format(marker=str(marker)))
    run = _check(folder)
    assert not marker.exists(), "a module beside the notebook ran outside the sandbox"
    assert "public tests:" in run.stdout, run.stdout + run.stderr


def test_a_checks_file_beside_the_notebook_is_data_and_cannot_widen_the_limits(tmp_path: Path) -> None:
    folder, marker = _student_folder(tmp_path, "activations")
    release = subprocess.run([*grader_command(), "release", "activations", "--out", str(tmp_path / "rel")],
                             capture_output=True, text=True, timeout=300)
    assert release.returncode == 0, release.stderr
    bundle = json.loads((tmp_path / "rel" / "activations.checks.json").read_text())
    bundle["exercise"]["limits"].update(cell_seconds=1e9, notebook_seconds=1e9, memory_bytes=2**50)
    bundle["exercise"]["requires"] = ["evilmod", "numpy"]
    (folder / "activations.checks.json").write_text(json.dumps(bundle))
    (folder / "evilmod.py").write_text(PAYLOAD.format(marker=str(marker)))
    run = _check(folder)
    assert not marker.exists()
    assert "public tests:" in run.stdout, run.stdout + run.stderr
    exercise, _, source = _plan(folder / "lab.ipynb", "activations", named_by_caller=False)
    assert source.endswith("activations.checks.json")
    assert exercise.limits == exercise.limits.within(CHECK_CEILING)
    assert exercise.limits.cell_seconds <= 60 and exercise.limits.memory_bytes <= 4 * 2**30


def test_the_caller_may_still_name_a_folder(tmp_path: Path) -> None:
    folder, _ = _student_folder(tmp_path, "evilex")
    run = _check(folder, "--exercise", str(ROOT / "exercises" / "activations"))
    assert "public tests:" in run.stdout, run.stdout + run.stderr
