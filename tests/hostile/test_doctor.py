"""`grader doctor` lists the protections and limits; `grader grade` warns when they are weaker."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.sandbox import isolation
from tests.conftest import ROOT, make_notebook

from .attacks import tree_hog
from .world import SOLUTION, grader_command

LEVEL = isolation.detect()


def invoke(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_doctor_lists_every_protection_and_the_limits():
    result = invoke("doctor")
    assert result.exit_code == 0
    out = result.output
    assert out.startswith(f"isolation level: {LEVEL}")
    for words in ("no network", "private /tmp", "hidden", "process namespace", "unprivileged user",
                  "control group", "system call filter", "audit hook", "end when the grading process ends"):
        assert words in out
    assert "✓ separate process per notebook" in out
    assert "did not run" not in out
    for words in ("15 s per cell", "5 s per call", "60 s per notebook", "2 GiB per process", "processes and threads: 32",
                  "open files: 256", "32 MiB each"):
        assert words in out
    if LEVEL == "full":
        for row in ("own root file system", "hidden", "no network", "process namespace", "unprivileged user",
                    "system call filter"):
            assert f"✓ {row}" in out or any(line.startswith("  ✓") and row in line for line in out.splitlines()), row
        assert "weaker than full" not in out


def test_doctor_says_what_a_weaker_level_lacks():
    result = invoke("doctor", env={"GRADER_ISOLATION": "basic"})
    assert result.exit_code == 0
    out = result.output
    assert out.startswith("isolation level: basic (forced by GRADER_ISOLATION")
    assert "✗ no network (own network namespace)" in out
    assert "✗ unprivileged user of its own" in out
    assert "✗ own root file system" in out
    assert "✓ audit hook" in out
    assert "isolation: basic, weaker than full" in out
    assert "--accept-weak-isolation" in out  # what grade will refuse, and how to accept it


@pytest.mark.parametrize("level", ["basic", "userns", None])
def test_grade_says_at_the_start_when_isolation_is_weaker_than_full(level, tmp_path):
    if level == "userns" and LEVEL not in ("full", "userns"):
        pytest.skip("user namespaces are not available here")
    if level is None and LEVEL != "full":
        pytest.skip("this machine cannot give full isolation")
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copy(SOLUTION, subs / "ana.ipynb")
    env = {"GRADER_ISOLATION": level} if level else {"GRADER_ISOLATION": ""}
    command = ["grade", str(subs), "--out", str(tmp_path / "out"), "--jobs", "1"]
    if level == "basic":
        refused = CliRunner().invoke(main, command, env=dict(env, GRADER_ACCEPT_WEAK_ISOLATION=None))
        assert refused.exit_code == 2 and "refuses to run untrusted notebooks" in refused.output
        assert "user namespaces" in refused.output and "--accept-weak-isolation" in refused.output
        assert not (tmp_path / "out" / "results.json").exists()
        command.append("--accept-weak-isolation")
    result = CliRunner().invoke(main, command, env=env)
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    if level is None:
        assert not any("weaker than full" in line for line in lines)
    else:
        assert lines[0].startswith(f"isolation: {level}, weaker than full")
        assert sum("isolation:" in line for line in lines) == 1
    data = json.loads((tmp_path / "out" / "results.json").read_text())
    assert data["submissions"][0]["score"] == 30  # a weaker sandbox still grades
    assert data["submissions"][0]["meta"]["isolation"] == (level or "full")


def _without_sys_resource() -> list[str]:
    """A command prefix dropping CAP_SYS_RESOURCE, without which a worker may not lower its OOM
    score (as in many containers, where root lacks it)."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to take a capability away")
    return ["setpriv", "--bounding-set", "-sys_resource", "--"]


def test_doctor_and_grade_hold_the_tree_budget_where_the_worker_may_not_lower_its_oom_score(tmp_path):
    if LEVEL != "full":
        pytest.skip("the control group needs full isolation")
    prefix = _without_sys_resource()
    doctor = subprocess.run([*prefix, *grader_command(), "doctor"], capture_output=True, text=True, timeout=300)
    lines = doctor.stdout.splitlines()
    assert any(line.startswith("  ✓ one memory and process budget") and "2.5 GiB" in line for line in lines), doctor.stdout
    assert "  ✗ the worker is the out-of-memory killer's last choice" in lines, doctor.stdout
    # The tree hog of the hostile catalogue: more than three of its six children holding their
    # 720 MiB at one instant would mean the tree's budget did not hold. Graded against a copy of
    # the exercise whose cells have 30 s, so that on a busy machine every child has had its try
    # at the memory by the deadline.
    exercise = tmp_path / "activations"
    shutil.copytree(ROOT / "exercises" / "activations", exercise)
    source = (exercise / "exercise.py").read_text()
    limits = "limits=Limits(cell_seconds=5, notebook_seconds=30, probe_seconds=5)"
    assert limits in source
    (exercise / "exercise.py").write_text(source.replace(limits, "limits=Limits(cell_seconds=30, notebook_seconds=90, probe_seconds=5)"))
    subs = tmp_path / "subs"
    subs.mkdir()
    start, count = tree_hog(12)
    cells = ["import numpy as np\n" + start, count + "\ndef step(x):\n    return np.full_like(x, held)\n"]
    (subs / "hog.ipynb").write_text(json.dumps(make_notebook(cells)))
    run = subprocess.run([*prefix, *grader_command(), "grade", str(subs), "--exercise", str(exercise),
                          "--out", str(tmp_path / "out"), "--jobs", "1"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    result = json.loads((tmp_path / "out" / "results.json").read_text())["submissions"][0]
    step = next(t for t in result["tasks"] if t["id"] == "step")
    got = next((t["got"] for t in step["tests"] if t.get("got")), None)
    assert got is not None, json.dumps(result, indent=1)[:4000]
    held = re.search(r"(\d+)\.", got)  # "array([2., 2., …])": how many children held their memory at once
    assert held is not None and 1 <= int(held.group(1)) <= 3, got
