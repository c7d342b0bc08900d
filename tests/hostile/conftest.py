"""Batches of hostile notebooks graded through the real CLI, once per test session.

Each batch is graded by whichever pytest process asks first (a file lock makes the others wait
and read the same evidence, so `pytest -n 2` grades each batch once). The evidence is plain
JSON: what the CLI printed and wrote, what changed on disk, which connections arrived and which
processes outlived the grader.
"""

from __future__ import annotations

import fcntl
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import make_notebook

from .attacks import attacks
from .world import (
    OUTPUT_FILES,
    Run,
    Snapshot,
    World,
    close_world,
    find_named,
    grade,
    gradebook_rows,
    make_world,
    repo_snapshot,
    solution_cells,
    write_honest,
)


def _shared_dir(factory: pytest.TempPathFactory, worker: str) -> Path:
    base = factory.getbasetemp()
    return base.parent if worker != "master" else base


def _once(factory: pytest.TempPathFactory, worker: str, name: str,
          compute: Callable[[Path], dict[str, Any]]) -> dict[str, Any]:
    shared = _shared_dir(factory, worker)
    cache = shared / f"hostile-{name}.json"
    with open(shared / f"hostile-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not cache.is_file():
            cache.write_text(json.dumps(compute(shared)))
    return json.loads(cache.read_text())


def _write_batch(world: World, batch: str) -> None:
    for attack in attacks(batch):
        built = attack.build(world)
        data = built if isinstance(built, bytes) else json.dumps(make_notebook(built)).encode()
        folder = world.subs / attack.folder if attack.folder else world.subs
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{attack.stem or 'h_' + attack.name}.ipynb").write_bytes(data)
        for relative, make in attack.extra_files:
            target = world.subs / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(make(world))
    if batch == "files":  # the honest twin of the duplicate name
        twin = world.subs / "g1" / "honest_dup.ipynb"
        twin.parent.mkdir(parents=True, exist_ok=True)
        twin.write_text(json.dumps(make_notebook(solution_cells())))


def _numpy_intact(world: World) -> bool:
    """numpy's own files are where they were (renaming one broke every later start)."""
    import numpy

    return (Path(numpy.__file__).parent / "version.py").is_file()


def _evidence(world: World, run: Run, before: dict[str, Snapshot]) -> dict[str, Any]:
    after = {"repo": repo_snapshot(), "inputs": Snapshot([world.subs, world.home, world.host_tmp]),
             "out_sentinel": Snapshot([world.out / "keep.txt"])}
    changes = [c for key in before for c in before[key].changes(after[key])]
    reports = world.out / "reports"
    stray = sorted(p.name for p in world.out.iterdir() if p.name not in OUTPUT_FILES | {"reports"}
                   and not p.name.startswith(".tmp"))
    stray += sorted(p.name for p in reports.iterdir() if not p.name.endswith(".html")) if reports.is_dir() else []
    report_texts = {p.name: p.read_text(errors="replace") for p in reports.glob("*.html")} if reports.is_dir() else {}
    index = world.out / "index.html"
    return {
        "returncode": run.returncode, "stdout": run.stdout, "stderr": run.stderr, "seconds": run.seconds,
        "survivors": run.survivors, "results": run.results, "changes": changes, "stray_outputs": stray,
        "trespass": find_named(world.trespass_places(), world.mark),
        "connections": list(world.listener.connections),
        "gradebook": [list(r) for r in gradebook_rows(world.out)] if (world.out / "gradebook.sqlite").is_file() else [],
        "log": (world.out / "grader.log").read_text(errors="replace") if (world.out / "grader.log").is_file() else "",
        "reports": report_texts, "index": index.read_text(errors="replace") if index.is_file() else "",
        "token": world.token, "secrets": world.secrets, "numpy_intact": _numpy_intact(world), "who": world.who,
        "unix_socket": world.unix_socket,
    }


SENTINEL_STUDENT = "zz_graded_last_week"


def _sentinel_grade(world: World) -> list[Any]:
    """A grade already in the gradebook from an earlier batch: no notebook may touch it."""
    from grader.gradebook import Gradebook
    from grader.results import SubmissionResult

    with Gradebook.in_folder(world.out) as book:
        book.save(SubmissionResult(student=SENTINEL_STUDENT, file="old/zz.ipynb", exercise="activations",
                                   exercise_version="1", status="graded", max_score=30.0,
                                   content_hash=world.secrets["out"]), "fingerprint-of-last-week")
    return _sentinel_row(world)


def _sentinel_row(world: World) -> list[Any]:
    with sqlite3.connect(f"file:{world.out / 'gradebook.sqlite'}?mode=ro", uri=True) as conn:
        row = conn.execute("SELECT * FROM results WHERE student=?", (SENTINEL_STUDENT,)).fetchone()
    return list(row) if row else []


def grade_batch_once(batch: str, who: str = "root") -> Callable[[Path], dict[str, Any]]:
    def compute(shared: Path) -> dict[str, Any]:
        world = make_world(shared, f"world-{who}-{batch}", who)
        try:
            write_honest(world)
            if batch != "alone":
                _write_batch(world, batch)
            sentinel = _sentinel_grade(world)
            before = {"repo": repo_snapshot(), "inputs": Snapshot([world.subs, world.home, world.host_tmp]),
                      "out_sentinel": Snapshot([world.out / "keep.txt"])}
            # The slow batch mostly waits for deadlines: more workers than cores shorten it.
            run = grade(world, jobs=4 if batch == "slow" else 2)
            evidence = _evidence(world, run, before)
            evidence["sentinel_grade"] = [sentinel, _sentinel_row(world)]
            return evidence
        finally:
            close_world(world)

    return compute


@pytest.fixture(scope="session")
def batch_evidence(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Callable[..., dict[str, Any]]:
    """A batch's evidence, graded once per session: `who` is "root" (full isolation where the
    tests run as root) or "user" (an ordinary user grading from their own environment)."""
    def get(batch: str, who: str = "root") -> dict[str, Any]:
        return _once(tmp_path_factory, worker_id, f"{who}-{batch}", grade_batch_once(batch, who))

    return get


@pytest.fixture(scope="session")
def worker_id(request: pytest.FixtureRequest) -> str:
    """The xdist worker's name ("master" without xdist), also when pytest-xdist is absent."""
    workerinput = getattr(request.config, "workerinput", None)
    return workerinput["workerid"] if workerinput else "master"


@pytest.fixture(scope="session")
def honest_alone(batch_evidence: Callable[..., dict[str, Any]]) -> dict[str, float]:
    """Each honest student's score when graded with nobody hostile in the batch."""
    evidence = batch_evidence("alone")
    assert evidence["returncode"] == 0, evidence["stderr"][-3000:]
    return {s["student"]: s["score"] for s in evidence["results"]["submissions"]}
