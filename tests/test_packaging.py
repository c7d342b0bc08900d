"""A plain (non-editable) install of the built wheel ships everything grading needs."""

import json
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from .conftest import ROOT


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp / "dist")], check=True, cwd=tmp)
    wheel = next((tmp / "dist").glob("grader-*.whl"))
    subprocess.run([sys.executable, "-m", "venv", str(tmp / "venv")], check=True)
    venv_python = tmp / "venv" / "bin" / "python"
    site = Path(subprocess.run([str(venv_python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    # Borrow the heavy third-party packages (torch, numpy…) instead of downloading them again; a
    # .pth-added folder's own .pth files are not processed, so the editable checkout stays out.
    (site / "_borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([str(venv_python), "-m", "pip", "install", "--no-deps", "-q", str(wheel)], check=True)
    return tmp, tmp / "venv" / "bin"


def test_the_wheel_holds_code_exercises_and_templates(installed):
    tmp, bin_dir = installed
    code = ("import grader, reference, grader.library as L; print(grader.__file__); print(reference.__file__); "
            "print(L.exercises_root()); print(L.bundle_dir('templates'))")
    out = subprocess.run([str(bin_dir / "python"), "-c", code], capture_output=True, text=True, check=True,
                         cwd=tmp).stdout.split()
    assert all(str(tmp / "venv") in line for line in out), out
    assert (Path(out[2]) / "activations" / "exercise.py").is_file()
    assert (Path(out[3]) / "report.html.j2").is_file()


def test_the_installed_grader_grades_the_sample_class(installed):
    tmp, bin_dir = installed
    subs = tmp / "subs"
    subs.mkdir()
    for name in ("ana_correct", "bruno_partly_wrong", "fede_not_json"):
        shutil.copy(ROOT / "examples" / "submissions" / f"{name}.ipynb", subs)
    run = subprocess.run([str(bin_dir / "grader"), "grade", str(subs), "--out", str(tmp / "out")],
                         capture_output=True, text=True, cwd=tmp)
    assert run.returncode == 0, run.stderr
    results = {s["student"]: s for s in json.loads((tmp / "out" / "results.json").read_text())["submissions"]}
    assert results["ana_correct"]["score"] == 30
    assert 0 < results["bruno_partly_wrong"]["score"] < 30
    assert results["fede_not_json"]["status"] == "error"
    assert (tmp / "out" / "reports" / "ana_correct.html").is_file()


def test_the_installed_grader_releases_and_checks(installed):
    tmp, bin_dir = installed
    subprocess.run([str(bin_dir / "grader"), "release", "activations", "--out", str(tmp / "rel")], check=True,
                   capture_output=True, cwd=tmp)
    check = subprocess.run([str(bin_dir / "grader"), "check", str(tmp / "rel" / "activations.ipynb")],
                           capture_output=True, text=True, cwd=tmp)
    assert check.returncode == 1 and "hidden test(s) not run" in check.stdout


def test_the_wheel_holds_the_marking_server_s_templates_and_files(installed):
    tmp, bin_dir = installed
    code = ("import grader.library as L, importlib.resources as r; "
            "print((L.bundle_dir('templates') / 'serve' / 'mark.html.j2').is_file(), "
            "(r.files('grader.serve') / 'static' / 'marking.js').is_file(), "
            "(r.files('grader.serve') / 'static' / 'serve.css').is_file())")
    out = subprocess.run([str(bin_dir / "python"), "-c", code], capture_output=True, text=True, check=True,
                         cwd=tmp).stdout.split()
    assert out == ["True", "True", "True"]
