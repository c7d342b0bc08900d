"""Grading through a real Dask cluster (a scheduler and two workers over TCP on 127.0.0.1).

The same scores and verdicts as grading here; hostile notebooks contained as they are here; a
worker killed mid-notebook costs a retry, a notebook lost with two workers gets an error; the
grading process killed mid-batch resumes; a worker that isolates less than required is refused;
the scheduler going away ends the batch with what was graded kept. The tests share one cluster
and run in file order in one process (the last one stops the scheduler).
"""

from __future__ import annotations

import html
import json
import os
import shutil
import signal
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from grader.report import report_name
from tests.conftest import ROOT, make_notebook
from tests.hostile.attacks import CATALOGUE, reporting
from tests.hostile.world import (
    FULL_MARKS,
    Snapshot,
    close_world,
    find_named,
    got_of,
    grade,
    make_world,
    messages,
    repo_snapshot,
    write_honest,
)
from tests.memory_search import SEARCH, pattern

from .conftest import (
    Cluster,
    grade_cli,
    results,
    sleepy,
    start_cli,
    verdicts,
    wait_lines,
    write_class,
)

pytestmark = [pytest.mark.xdist_group("dask-cluster"), pytest.mark.slow]

# A few of the hostile catalogue's notebooks: escaping through processes, files, memory, the
# network and the result channel.
ATTACKS = ("os_exit", "kill_ancestors", "kill_grader_by_name", "read_submissions", "read_home", "network_tcp",
           "write_tmp", "write_repository", "forge_channel_frames", "pickle_returns")


def _reach_the_cluster(cluster: Cluster, workers: list[str]) -> list[str]:
    """A notebook that goes for the cluster itself: the scheduler's and the workers' ports, a Dask
    client of its own, the workers' secret in its memory and in /proc."""
    ports = [(a.rsplit(":", 1)[0].split("//")[1], int(a.rsplit(":", 1)[1])) for a in [cluster.address, *workers]]
    return reporting(
        "import socket",
        SEARCH,
        f"for i, (host, port) in enumerate({ports!r}):",
        "    def connect(host=host, port=port):",
        "        s = socket.create_connection((host, port), timeout=2)",
        "        leak('connected')",
        "    attempt(f'port{i}', connect)",
        "def client():",
        "    from distributed import Client",
        f"    Client({cluster.address!r}, timeout=1).submit(sum, [1]).result()",
        "    leak('dask_client')",
        "attempt('client', client)",
        f"hits = look({pattern(cluster.secret)!r})",
        "if hits:",
        "    leak('worker_secret:' + ','.join(hits[:3]))",
        "if any('dask' in open(f'/proc/{p}/cmdline').read() for p in os.listdir('/proc') if p.isdigit()):",
        "    leak('dask_process')",
    )


def test_the_class_and_hostile_notebooks_grade_as_they_do_here(dask_cluster: Cluster, tmp_path: Path) -> None:
    workers = sorted(dask_cluster.wait_workers(2))
    world = make_world(tmp_path, "world")
    try:
        shutil.copytree(ROOT / "examples" / "submissions", world.subs / "sample")
        write_honest(world)
        here = tmp_path / "here"
        shutil.copytree(world.subs, here)  # the honest class alone, graded on this machine
        chosen = [a for a in CATALOGUE if a.name in ATTACKS]
        assert len(chosen) == len(ATTACKS)
        for attack in chosen:
            (world.subs / f"{attack.student}.ipynb").write_text(json.dumps(make_notebook(attack.build(world))))
        (world.subs / "h_reach_the_cluster.ipynb").write_text(
            json.dumps(make_notebook(_reach_the_cluster(dask_cluster, workers))))
        before = {"repo": repo_snapshot(), "inputs": Snapshot([world.subs, world.home, world.host_tmp])}
        local = start_cli(here, tmp_path / "out-here", "--jobs", "2")
        run = grade(world, "--cluster", dask_cluster.address)
        local.communicate(timeout=300)
        assert local.returncode == 0
        after = {"repo": repo_snapshot(), "inputs": Snapshot([world.subs, world.home, world.host_tmp])}
        changes = [c for key in before for c in before[key].changes(after[key])]
        trespass = find_named(world.trespass_places() + [dask_cluster.root], world.mark)
        connections = list(world.listener.connections)
    finally:
        close_world(world)

    assert run.returncode == 0, run.stderr[-3000:]
    ours, theirs = results(tmp_path / "out-here"), run.by_student
    assert len(ours) == 11 and set(ours) <= set(theirs)
    for student, sub in ours.items():  # the same score and every test's verdict
        assert (theirs[student]["status"], theirs[student]["score"]) == (sub["status"], sub["score"]), student
        assert verdicts(theirs[student]) == verdicts(sub), student
    assert ours["ana_correct"]["score"] == FULL_MARKS and ours["honest_bea"]["score"] < FULL_MARKS
    graded_by = {s["meta"]["graded_by"]["address"] for s in theirs.values() if "graded_by" in s.get("meta", {})}
    assert graded_by <= set(workers) and graded_by, graded_by
    assert all(s["meta"]["graded_by"]["isolation"] == "full" for s in theirs.values() if s["status"] == "graded")

    for attack in chosen:  # contained the same way as on one machine (tests/hostile)
        sub = theirs[attack.student]
        text = messages(sub) + html.unescape((world.out / "reports" / report_name(attack.student)).read_text())
        assert sub["score"] <= attack.max_score, text
        if attack.kind is not None:
            kinds = attack.kind if isinstance(attack.kind, tuple) else (attack.kind,)
            assert (sub.get("first_error") or {}).get("kind") in kinds, text
        for word in attack.words:
            assert word.lower() in text.lower(), (word, text)
        if attack.reports:
            assert "end" in got_of(sub) and "LEAK" not in got_of(sub), (attack.name, got_of(sub))
    reach = got_of(theirs["h_reach_the_cluster"])
    assert "end" in reach and "LEAK" not in reach and "client=" in reach, reach
    attackers = json.dumps([theirs[a.student] for a in chosen] + [theirs["h_reach_the_cluster"]])
    assert not any(secret in attackers for secret in world.secrets.values())
    assert dask_cluster.secret not in json.dumps(run.results)
    assert changes == [] and trespass == []
    assert connections == [] and run.survivors == []
    assert "internal" not in (world.out / "grader.log").read_text().lower()
    for address, pid in dask_cluster.pids().items():  # nothing a notebook started lives on
        assert _strays(pid) == [], address


def _strays(pid: int) -> list[str]:
    """Descendants of a Dask worker process that are not its sandbox pool's (the zygote, a
    supervisor waiting for the next job, its spare child)."""
    import psutil

    found = []
    for child in psutil.Process(pid).children(recursive=True):
        try:
            line = " ".join(child.cmdline())
        except psutil.Error:
            continue
        if "grader.sandbox.worker" not in line:
            found.append(line)
    sandbox = [c for c in psutil.Process(pid).children(recursive=True) if c.is_running()]
    return found + ([f"{len(sandbox)} sandbox processes"] if len(sandbox) > 3 else [])


class _Killer(threading.Thread):
    """Kills (SIGKILL) the Dask worker process running a notebook whose task key starts with
    `grade-<student>-`, as many times as asked for that student."""

    def __init__(self, cluster: Cluster, times: dict[str, int]) -> None:
        super().__init__(daemon=True)
        self.cluster, self.left, self.killed = cluster, dict(times), []  # type: ignore[var-annotated]
        self.stop = threading.Event()

    def run(self) -> None:
        while any(self.left.values()) and not self.stop.is_set():
            try:
                running, pids = self.cluster.executing(), self.cluster.pids()
            except Exception:
                time.sleep(0.2)
                continue
            for address, keys in running.items():
                for student, left in self.left.items():
                    running_it = any(k.startswith(f"grade-{student}-") for k in keys)
                    if left and running_it and isinstance(pids.get(address), int):
                        os.kill(pids[address], signal.SIGKILL)
                        self.left[student] -= 1
                        self.killed.append((student, address))
                        time.sleep(0.5)  # the scheduler notices before the next look
            time.sleep(0.1)


def test_killed_workers_cost_a_retry_and_a_notebook_lost_twice_gets_an_error(dask_cluster: Cluster,
                                                                            tmp_path: Path) -> None:
    dask_cluster.wait_workers(2)
    honest = {f"h{i}": sleepy(1.0, f"h{i}") for i in range(5)}
    write_class(tmp_path / "subs", {**honest, "lost": sleepy(4, "lost")})
    killer = _Killer(dask_cluster, {"h1": 1, "lost": 2})
    killer.start()
    try:
        run = grade_cli(tmp_path / "subs", tmp_path / "out", "--cluster", dask_cluster.address)
    finally:
        killer.stop.set()
    assert [s for s, _ in killer.killed] in (["h1", "lost", "lost"], ["lost", "h1", "lost"], ["lost", "lost", "h1"])
    assert run.returncode == 0, run.stderr[-3000:]
    got = results(tmp_path / "out")
    assert sorted(got) == sorted([*honest, "lost"])
    for student in honest:  # each graded once, as if nothing had happened
        assert (got[student]["status"], got[student]["score"]) == ("graded", FULL_MARKS), got[student]
    assert got["lost"]["status"] == "error" and "twice" in got["lost"]["error"], got["lost"]
    lines = [line.split("\t")[0] for line in run.stdout.splitlines()]
    assert sorted(lines) == sorted(got)  # one result each
    with sqlite3.connect(tmp_path / "out" / "gradebook.sqlite") as db:
        assert sorted(r[0] for r in db.execute("SELECT student FROM results")) == sorted(got)


def test_the_grading_process_killed_mid_batch_resumes_with_what_is_missing(dask_cluster: Cluster,
                                                                          tmp_path: Path) -> None:
    dask_cluster.wait_workers(2)
    write_class(tmp_path / "subs", {f"s{i}": sleepy(0.6, f"s{i}") for i in range(6)})
    proc = start_cli(tmp_path / "subs", tmp_path / "out", "--cluster", dask_cluster.address)
    first = wait_lines(proc, 2)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    assert len(first) == 2
    with sqlite3.connect(tmp_path / "out" / "gradebook.sqlite") as db:
        kept = dict(db.execute("SELECT student, graded_at FROM results").fetchall())
    assert len(kept) >= 2
    again = grade_cli(tmp_path / "subs", tmp_path / "out", env_cluster=dask_cluster.address)
    assert again.returncode == 0, again.stderr[-3000:]
    assert f"graded {6 - len(kept)}, unchanged {len(kept)}," in again.stderr
    with sqlite3.connect(tmp_path / "out" / "gradebook.sqlite") as db:
        now = dict(db.execute("SELECT student, graded_at FROM results").fetchall())
    assert sorted(now) == [f"s{i}" for i in range(6)] and all(now[s] == t for s, t in kept.items())
    assert all(s["score"] == FULL_MARKS for s in results(tmp_path / "out").values())


def test_a_worker_weaker_than_required_is_refused(dask_cluster: Cluster, tmp_path: Path) -> None:
    dask_cluster.wait_workers(2)
    weak = dask_cluster.add_worker("weak", "--no-nanny", env=dask_cluster.worker_env(GRADER_ISOLATION="userns"))
    dask_cluster.wait_workers(3)
    write_class(tmp_path / "subs", {f"s{i}": sleepy(0.2, f"s{i}") for i in range(3)})
    lowered = grade_cli(tmp_path / "subs", tmp_path / "lowered", "--cluster", dask_cluster.address,
                        "--worker-isolation", "userns")
    assert lowered.returncode == 0 and "refused" not in lowered.stderr, lowered.stderr
    assert "isolation userns, 1 thread(s), accepted" in (tmp_path / "lowered" / "grader.log").read_text()

    run = grade_cli(tmp_path / "subs", tmp_path / "out", "--cluster", dask_cluster.address)
    assert run.returncode == 0, run.stderr
    line = next(line for line in run.stderr.splitlines() if "refused" in line)
    assert "isolation is userns, weaker than the full" in line, line
    weak.wait(timeout=30)  # it left the cluster
    assert {s["meta"]["graded_by"]["isolation"] for s in results(tmp_path / "out").values()} == {"full"}
    assert len(dask_cluster.wait_workers(2)) == 2


def test_doctor_lists_each_worker(dask_cluster: Cluster) -> None:
    from click.testing import CliRunner

    from grader.cli import main

    workers = dask_cluster.wait_workers(2)
    run = CliRunner().invoke(main, ["doctor", "--cluster", dask_cluster.address])
    assert run.exit_code == 0, run.output
    rows = [line for line in run.output.splitlines() if line.startswith("tcp://")]
    assert sorted(r.split()[0] for r in rows) == sorted(workers)
    import torch

    cuda = "yes" if torch.cuda.is_available() else "no"
    for row in rows:
        assert " full " in row and " 1/" in row and torch.__version__ in row, row
        assert row.split(torch.__version__, 1)[1].split()[0].rstrip(":") == cuda, row


def test_workers_are_found_when_their_events_outrun_the_subscription(dask_cluster: Cluster,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker's event can reach the scheduler before the grading process's subscription does;
    the scheduler's record is read again, so the workers are still found, and each told once."""
    from distributed import Client

    from grader.cluster_client import Remote

    workers = dask_cluster.wait_workers(2)
    # The subscription never delivers, and the first read of the record comes before the events.
    monkeypatch.setattr(Client, "subscribe_topic", lambda self, topic, handler: None)
    reads: list[str] = []
    get_events = Client.get_events

    def late(self: Client, topic: str | None = None) -> Any:
        reads.append(str(topic))
        return () if len(reads) == 1 else get_events(self, topic)

    monkeypatch.setattr(Client, "get_events", late)
    lines: list[str] = []
    started = time.monotonic()
    with Remote(dask_cluster.address, (), "full", lines.append) as remote:
        assert sorted(remote.workers) == sorted(workers)
        assert all(w.accepted for w in remote.workers.values())
    assert time.monotonic() - started < 30  # found by reading the record, not after a long wait
    assert sorted(line.split()[2] for line in lines if line.startswith("cluster worker")) == sorted(workers), lines


def test_the_scheduler_going_away_ends_the_batch_and_a_rerun_resumes(dask_cluster: Cluster, tmp_path: Path) -> None:
    dask_cluster.wait_workers(2)
    write_class(tmp_path / "subs", {f"s{i}": sleepy(0.6, f"s{i}") for i in range(5)})
    proc = start_cli(tmp_path / "subs", tmp_path / "out", "--cluster", dask_cluster.address)
    first = wait_lines(proc, 2)
    os.kill(dask_cluster.groups[0].pid, signal.SIGKILL)  # the scheduler
    _, err = proc.communicate(timeout=60)
    assert len(first) == 2 and proc.returncode == 3, err
    assert "went away" in err and "grade again with the same command" in err, err
    with sqlite3.connect(tmp_path / "out" / "gradebook.sqlite") as db:
        kept = {r[0] for r in db.execute("SELECT student FROM results")}
    assert len(kept) >= 2
    again = grade_cli(tmp_path / "subs", tmp_path / "out", "--cluster", "local:1")
    assert again.returncode == 0, again.stderr[-3000:]
    assert f"graded {5 - len(kept)}, unchanged {len(kept)}," in again.stderr
    assert all(s["score"] == FULL_MARKS for s in results(tmp_path / "out").values())
