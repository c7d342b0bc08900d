"""A real Dask cluster for the cluster tests: a `dask scheduler` and two `dask worker` processes
(each under its nanny, each preloading `grader.cluster`) on 127.0.0.1 over TCP, shared by the
tests of this folder, which run in one pytest process (`xdist_group`).

The workers' environment holds a secret of their own: no notebook graded there may find it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import make_notebook
from tests.hostile.world import grader_command, solution_cells

DASK = Path(sys.executable).with_name("dask")
START_SECONDS = 120.0


@dataclass
class Cluster:
    """Processes we started (each the leader of its own process group) and how to reach them."""

    root: Path
    address: str
    secret: str
    groups: list[subprocess.Popen[bytes]] = field(default_factory=list)
    client: Any = None

    def worker_env(self, **extra: str) -> dict[str, str]:
        return dict(os.environ, CLUSTER_WORKER_TOKEN=self.secret, GRADER_PRELOAD="numpy", **extra)

    def add_worker(self, name: str, *options: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        log = (self.root / f"{name}.log").open("wb")
        proc = subprocess.Popen([str(DASK), "worker", self.address, "--host", "127.0.0.1", "--nthreads", "1",
                                 "--no-dashboard", "--local-directory", str(self.root / name), "--death-timeout", "30",
                                 "--preload", "grader.cluster", *options],
                                stdout=log, stderr=subprocess.STDOUT, env=env or self.worker_env(),
                                start_new_session=True, cwd=self.root)
        self.groups.append(proc)
        return proc

    def wait_workers(self, count: int, timeout: float = START_SECONDS) -> dict[str, Any]:
        until = time.monotonic() + timeout
        while time.monotonic() < until:
            workers = self.client.scheduler_info(n_workers=-1)["workers"]
            if len(workers) == count:
                return workers
            time.sleep(0.3)
        raise AssertionError(f"{count} workers expected, {len(workers)} there")

    def pids(self) -> dict[str, int]:
        return self.client.run(os.getpid, on_error="return")

    def executing(self) -> dict[str, list[str]]:
        """The keys each worker is running now."""
        found = self.client.run(lambda dask_worker: [t.key for t in dask_worker.state.executing],
                                on_error="return")
        return {a: keys for a, keys in found.items() if isinstance(keys, list)}

    def stop(self) -> None:
        if self.client is not None:
            self.client.close()
        for proc in self.groups:  # each group is one of ours: a scheduler, or a worker with its nanny
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    from distributed import Client  # the cluster extra: part of the development install

    root = tmp_path_factory.mktemp("dask")
    scheduler_file = root / "scheduler.json"
    log = (root / "scheduler.log").open("wb")
    # A test run killed before its teardown leaves nothing for long: an idle scheduler ends, and
    # its workers with it (--death-timeout).
    scheduler = subprocess.Popen([str(DASK), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                  "--scheduler-file", str(scheduler_file), "--idle-timeout", "120"],
                                 stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=root)
    cluster = Cluster(root, "", f"WORKER-SECRET-{uuid.uuid4().hex}", [scheduler])
    try:
        until = time.monotonic() + START_SECONDS
        while not scheduler_file.is_file() and time.monotonic() < until:
            time.sleep(0.1)
        cluster.address = json.loads(scheduler_file.read_text())["address"]
        assert cluster.address.startswith("tcp://127.0.0.1:")
        for name in ("w1", "w2"):
            cluster.add_worker(name)
        cluster.client = Client(cluster.address, timeout=30)
        cluster.wait_workers(2)
        yield cluster
    finally:
        cluster.stop()


def write_class(folder: Path, cells_by_student: dict[str, list[str]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for student, cells in cells_by_student.items():
        (folder / f"{student}.ipynb").write_text(json.dumps(make_notebook(cells)), encoding="utf-8")


def sleepy(seconds: float, tag: str) -> list[str]:
    """A correct notebook that takes `seconds` in its last cell (long enough to be caught running)."""
    return solution_cells() + [f"import time\ntime.sleep({seconds})\nmark_{tag} = 1\n"]


def grade_cli(subs: Path, out: Path, *extra: str, env_cluster: str | None = None,
              timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`grader grade`; `env_cluster` names the cluster through GRADER_CLUSTER instead of the flag."""
    env = dict(os.environ, GRADER_CLUSTER=env_cluster) if env_cluster else None
    return subprocess.run([*grader_command(), "grade", str(subs), "--out", str(out), *extra],
                          check=False, capture_output=True, text=True, timeout=timeout, env=env)


def start_cli(subs: Path, out: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([*grader_command(), "grade", str(subs), "--out", str(out), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_lines(proc: subprocess.Popen[str], count: int, timeout: float = 120) -> list[str]:
    """The first `count` result lines the CLI printed (one per graded submission)."""
    lines: list[str] = []
    until = time.monotonic() + timeout
    assert proc.stdout is not None
    while len(lines) < count and time.monotonic() < until:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
    return lines


def results(out: Path) -> dict[str, dict[str, Any]]:
    return {s["student"]: s for s in json.loads((out / "results.json").read_text())["submissions"]}


def verdicts(sub: dict[str, Any]) -> list[tuple[str, str, str, float]]:
    return [(task["id"], test["name"], test["status"], test["score"])
            for task in sub["tasks"] for test in task["tests"]]
