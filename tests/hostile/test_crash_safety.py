"""A grader killed mid-batch loses nothing, duplicates nothing, and leaves no process behind.

The batch runs the real CLI under a subreaper (reaper.py): whatever process outlives the grader
is adopted by it and reported. The gradebook is read directly with sqlite3.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import make_notebook

from .world import (
    FULL_MARKS,
    REAPER,
    close_world,
    grade,
    gradebook_rows,
    grader_command,
    make_world,
    solution_cells,
)

SLOW = 6  # students whose notebook sleeps 2 s: three rounds on two workers, so a kill lands mid-round


def write_slow_class(subs: Path, extra: str = "") -> list[str]:
    cells = solution_cells()
    students = []
    for k in range(SLOW):
        student = f"slow_{k:02d}"
        code = f"# {student}\nimport time\n{extra}time.sleep(2.0)\n"
        (subs / f"{student}.ipynb").write_text(json.dumps(make_notebook(cells + [code])))
        students.append(student)
    return students


def start(world, jobs: int = 2) -> tuple[subprocess.Popen[str], Path]:
    report = world.root / "reaper.json"
    env = dict(os.environ, HOME=str(world.home), MPLCONFIGDIR=str(world.root / "mplconfig"))
    proc = subprocess.Popen([sys.executable, str(REAPER), str(report), "--", *grader_command(), "grade",
                             str(world.subs), "--out", str(world.out), "--jobs", str(jobs)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=world.root)
    return proc, report


def wait_for_lines(proc: subprocess.Popen[str], count: int, timeout: float = 120) -> list[str]:
    """Result lines the grader printed: each is printed after its grade was committed."""
    lines: list[str] = []
    until = time.monotonic() + timeout
    assert proc.stdout is not None
    while len(lines) < count and time.monotonic() < until:
        line = proc.stdout.readline()
        if not line:
            break
        if line.count("\t") == 3:
            lines.append(line)
    return lines


def grader_pid(report: Path) -> int:
    pid_file = Path(str(report) + ".pid")
    for _ in range(200):
        if pid_file.is_file() and pid_file.read_text():
            return int(pid_file.read_text())
        time.sleep(0.05)
    raise AssertionError("the grader did not start")


def _stat(pid: str) -> tuple[int, int, str]:
    """(parent pid, session id, state) of a process."""
    with open(f"/proc/{pid}/stat", "rb") as fh:
        fields = fh.read().rsplit(b")", 1)[1].split()
    return int(fields[1]), int(fields[3]), fields[0].decode()


def wait_for_lingerer(root: int, timeout: float = 30) -> int:
    """A live process below `root` that leads a session of its own (a student's LINGER process)."""
    until = time.monotonic() + timeout
    while time.monotonic() < until:
        parents, found = {}, []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    parent, session, state = _stat(entry)
                except (OSError, IndexError, ValueError):
                    continue
                parents[int(entry)] = parent
                if session == int(entry) and state not in ("Z", "X"):
                    found.append(int(entry))
        for pid in found:
            ancestor = parents.get(pid)
            while ancestor and ancestor != root:
                ancestor = parents.get(ancestor)
            if ancestor == root and pid != root:
                return pid
        time.sleep(0.02)
    raise AssertionError("no student process was running when the grader was to be killed")


def finish(proc: subprocess.Popen[str], report: Path) -> dict:
    proc.communicate(timeout=60)
    return json.loads(report.read_text())


@pytest.fixture
def world(tmp_path):
    w = make_world(tmp_path, "crash")
    yield w
    close_world(w)


LINGER = "import os\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(600)\n"  # a process in a session of its own


def test_kill_9_mid_batch_then_rerun_grades_exactly_the_missing_ones(world):
    students = write_slow_class(world.subs, extra=LINGER)
    proc, report = start(world)
    committed = wait_for_lines(proc, 2)
    assert len(committed) == 2, "the grader printed too few results before the kill"
    pid = grader_pid(report)
    wait_for_lingerer(pid)
    os.killpg(pid, signal.SIGKILL)  # the grader and its workers, mid-batch, with students running
    outcome = finish(proc, report)
    assert outcome["returncode"] == -signal.SIGKILL

    # No worker, sandbox child or student process outlived the grader.
    assert outcome["survivors"] == []

    # Every grade the grader announced is in the gradebook, whole, once; nothing else is half-done.
    rows = gradebook_rows(world.out)
    stored = {r[0]: r for r in rows}
    assert len(stored) == len(rows)
    assert {line.split("\t")[0] for line in committed} <= set(stored)
    assert 2 <= len(rows) < SLOW
    assert all(r[1] == FULL_MARKS for r in rows)

    # The re-run grades exactly the missing ones and leaves the stored ones as they were.
    rerun = grade(world)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert f"graded {SLOW - len(rows)}, unchanged {len(rows)}," in rerun.stderr
    after = {r[0]: r for r in gradebook_rows(world.out)}
    assert sorted(after) == sorted(students)
    assert all(after[s] == stored[s] for s in stored)  # same hash, fingerprint and graded_at
    assert all(r[1] == FULL_MARKS for r in after.values())
    assert {s["student"]: s["score"] for s in rerun.results["submissions"]} == {s: FULL_MARKS for s in students}
    assert rerun.survivors == []

    # And a third run has nothing left to do.
    again = grade(world)
    assert f"graded 0, unchanged {SLOW}," in again.stderr


def test_killing_only_the_grading_process_takes_its_workers_and_children_with_it(world):
    write_slow_class(world.subs, extra=LINGER)
    proc, report = start(world)
    assert len(wait_for_lines(proc, 2)) == 2
    pid = grader_pid(report)
    wait_for_lingerer(pid)
    os.kill(pid, signal.SIGKILL)  # the main process alone: its workers are orphaned
    outcome = finish(proc, report)
    assert outcome["returncode"] == -signal.SIGKILL
    assert outcome["survivors"] == []
    assert outcome["settled"] < 1.0  # at once: not when the running notebook would have ended


def test_the_gradebook_survives_a_kill_during_its_own_commits(tmp_path):
    # Many small transactions, killed at random points: what is there is complete and readable.
    from grader.gradebook import Gradebook

    code = (
        "import sys\nfrom pathlib import Path\nfrom grader.gradebook import Gradebook\n"
        "from grader.results import SubmissionResult\n"
        "with Gradebook(Path(sys.argv[1])) as book:\n"
        "    for k in range(100000):\n"
        "        book.save(SubmissionResult(student=f's{k:06d}', file='f', exercise='e', exercise_version='1',\n"
        "                  status='graded', max_score=1.0, content_hash=str(k)), 'fp')\n"
        "        print(k, flush=True)\n"
    )
    path = tmp_path / "book.sqlite"
    for round_ in range(3):
        proc = subprocess.Popen([sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        last = -1
        for _ in range(20 + 15 * round_):
            last = int(proc.stdout.readline())
        proc.kill()
        proc.wait()
        with Gradebook(path) as book:
            # every save that returned is there (saves are durable before they return)
            assert book.count() >= last + 1
            assert all(r.content_hash == r.student[1:].lstrip("0") or r.content_hash == "0"
                       for r in book.all())
