"""The grader works from an environment anywhere: a clone under /tmp, installed there, grades.

The notebook's own root file system is built from the grader's environment wherever it lives; a
private /tmp for the notebook must not hide a virtual environment that lives under the host's
/tmp. The derivation answer below is a sympy expression, whose judging makes sympy import modules
it had not imported yet (sympy.tensor.tensor among them): they must be found, in the child too.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.conftest import ROOT, make_notebook


@pytest.mark.slow
def test_a_clone_under_tmp_installed_there_grades_a_sympy_answer() -> None:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs the repository and git")
    base = Path(tempfile.mkdtemp(prefix="grader-anywhere-", dir="/tmp"))
    try:
        clone = base / "grader"
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=120)
        venv = base / "venv"
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
        site = next(venv.glob("lib/python3*/site-packages"))
        # sympy itself lives in the environment under /tmp (copied there, as pip would put it);
        # the rest (torch, numpy …) comes from this test run's environment, behind it on the path.
        import mpmath
        import sympy

        for module in (sympy, mpmath):
            shutil.copytree(Path(module.__file__).parent, site / module.__name__)
        ours = [p for p in sys.path if p.endswith("site-packages") and not p.startswith(str(base))]
        (site / "zz_more_packages.pth").write_text(
            "import site; " + "; ".join(f"site.addsitedir({p!r})" for p in ours) + "\n")
        python = venv / "bin" / "python"
        install = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
                                  "--no-deps", "--no-build-isolation", str(clone)],
                                 capture_output=True, text=True, timeout=300)
        assert install.returncode == 0, install.stderr
        where = subprocess.run([str(python), "-c", "import grader, sympy; print(grader.__file__); print(sympy.__file__)"],
                               capture_output=True, text=True, timeout=120, cwd=base)
        assert where.stdout.splitlines() == [str(site / "grader" / "__init__.py"), str(site / "sympy" / "__init__.py")]

        subs = base / "subs"
        subs.mkdir()
        cells = ["import sympy as sp\nx = sp.Symbol('x')\nsigma = lambda z: 1 / (1 + sp.exp(-z))\n"
                 "d_sigmoid = sigma(x) * (1 - sigma(x))\n"]
        (subs / "ana.ipynb").write_text(json.dumps(make_notebook(cells, exercise="derivations")))
        run = subprocess.run([str(python), "-m", "grader.cli", "grade", str(subs), "--out", str(base / "out"),
                              "--jobs", "1"], capture_output=True, text=True, timeout=600, cwd=base)
        assert run.returncode == 0, run.stderr
        result = json.loads((base / "out" / "results.json").read_text())["submissions"][0]
        task = next(t for t in result["tasks"] if t["id"] == "d_sigmoid")
        assert task["score"] == task["max_score"] > 0, json.dumps(task, indent=1)[:3000]
        assert "No module named" not in json.dumps(result)
    finally:
        shutil.rmtree(base, ignore_errors=True)
