"""The world a hostile batch runs in, and the evidence that it came out unchanged.

A `World` is a submissions folder, an output folder, a fake home for the grader, a folder in the
host's /tmp, sentinel files in each, secrets the notebooks must never read, and a TCP and a Unix
socket listening for connections that must never arrive. `grade()` runs the real CLI under a
subreaper (reaper.py) so that any process the batch leaves behind is found. `Snapshot` records
files (content hash, size, mtime) before and after.
"""

from __future__ import annotations

import hashlib
import json
import os
import pwd
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.conftest import ROOT, make_notebook

REAPER = Path(__file__).with_name("reaper.py")
AS_USER = Path(__file__).with_name("as_user.py")
# The ordinary user a root test run grades as (created when missing); without root, the user
# running the tests is the ordinary user.
OS_USER = "grader-hostile"
SOLUTION = ROOT / "exercises" / "activations" / "solution.ipynb"
FULL_MARKS = 30.0
# What the grader may write in its output folder; anything else there is a trespass.
OUTPUT_FILES = {"results.json", "grades.csv", "index.html", "gradebook.sqlite", "gradebook.sqlite-wal",
                "gradebook.sqlite-shm", "grader.log", "keep.txt"}
# Repository files a notebook must not change (hashed before and after).
REPO_WATCH = ["exercises/activations", "reference/activations.py", "reference/__init__.py",
              "grader/__init__.py", "grader/sandbox"]


def grader_command() -> list[str]:
    script = Path(sys.executable).with_name("grader")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "grader.cli"]


class Listener:
    """A TCP socket on 127.0.0.1 and a Unix socket, counting the connections that reach them."""

    def __init__(self, unix_path: Path | None) -> None:
        self.connections: list[str] = []
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind(("127.0.0.1", 0))
        self.tcp.listen(16)
        self.port = self.tcp.getsockname()[1]
        self.unix_path = unix_path
        self.unix: socket.socket | None = None
        if unix_path is not None:
            try:
                self.unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.unix.bind(str(unix_path))
                os.chmod(unix_path, 0o777)
                self.unix.listen(16)
            except OSError:
                self.unix, self.unix_path = None, None
        self._stop = False
        self._threads = [threading.Thread(target=self._serve, args=(s, name), daemon=True)
                         for s, name in ((self.tcp, "tcp"), (self.unix, "unix")) if s is not None]
        for thread in self._threads:
            thread.start()

    def _serve(self, server: socket.socket, name: str) -> None:
        server.settimeout(0.2)
        while not self._stop:
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections.append(name)
            conn.close()

    def close(self) -> None:
        self._stop = True
        for thread in self._threads:
            thread.join(timeout=2)
        self.tcp.close()
        if self.unix is not None:
            self.unix.close()
        if self.unix_path is not None:
            try:
                self.unix_path.unlink()
            except FileNotFoundError:
                pass


@dataclass
class World:
    root: Path
    token: str
    subs: Path
    out: Path
    home: Path  # HOME of the grading process
    host_tmp: Path  # a folder in the host's /tmp, outside pytest's
    listener: Listener
    secrets: dict[str, str] = field(default_factory=dict)
    who: str = "root"  # "root", or "user": graded by an ordinary user whose own venv is in their home
    venv: Path = Path(sys.prefix)  # the environment the grader runs from (the user's own under "user")

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python" if self.who == "user" else Path(sys.executable)

    @property
    def site_packages(self) -> list[Path]:
        return sorted(self.venv.glob("lib/python3*/site-packages"))

    @property
    def repo(self) -> Path:
        return ROOT

    @property
    def real_home(self) -> Path:
        return Path(os.path.expanduser("~"))

    @property
    def port(self) -> int:
        return self.listener.port

    @property
    def unix_socket(self) -> str:
        return str(self.listener.unix_path or "")

    @property
    def mark(self) -> str:
        """What every file an attack tries to create carries in its name."""
        return f"owned{self.token}"

    def tag(self, attack: str) -> str:
        """A name unique to this run and attack: files carrying it must never appear."""
        return f"{self.mark}-{attack}"

    def trespass_places(self) -> list[Path]:
        return [self.subs, self.out, self.home, self.host_tmp, Path("/tmp"), Path("/var/tmp"), Path("/dev/shm"),
                self.real_home, self.repo, self.repo / "exercises", self.repo / "exercises" / "activations",
                self.repo / "reference", self.repo / "grader", self.repo / "templates", Path("/run"),
                self.venv, self.venv / "bin", *self.site_packages]


def os_user() -> pwd.struct_passwd:
    """The ordinary user of the "user" worlds: created (as root) when missing, else ourselves."""
    if os.geteuid() != 0:
        return pwd.getpwuid(os.getuid())
    try:
        return pwd.getpwnam(OS_USER)
    except KeyError:
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/sh", OS_USER], check=True,
                       capture_output=True)
        return pwd.getpwnam(OS_USER)


def user_level() -> str:
    """The isolation level the ordinary user gets on this machine ("basic" when they get none)."""
    user = os_user()
    ways = [sys.base_prefix, sys.prefix, str(ROOT), *(p for p in sys.path if p.endswith("site-packages"))]
    command = [sys.executable, "-c", "from grader.sandbox.isolation import detect; print(detect())"]
    if os.geteuid() == 0:
        command = [sys.executable, str(AS_USER), user.pw_name, "/tmp",
                   *(arg for way in ways for arg in ("--see", way)), "--", *command]
    run = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd="/tmp")
    return run.stdout.strip() or "basic"


def _user_venv(home: Path) -> Path:
    """The user's own environment in their home, as an instructor installs the grader: writable
    by them, and seeing the packages of this test run's environment."""
    venv = home / ".venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, capture_output=True)
    ours = [p for p in sys.path if p.endswith("site-packages")]
    for site in venv.glob("lib/python3*/site-packages"):
        (site / "zz_test_run_packages.pth").write_text(
            "import site; " + "; ".join(f"site.addsitedir({p!r})" for p in ours) + "\n")
    return venv


def make_world(base: Path, name: str, who: str = "root") -> World:
    token = f"hx{uuid.uuid4().hex[:10]}"
    user = os_user() if who == "user" else None
    root = Path(user.pw_dir) / f"{name}-{token}" if user is not None and os.geteuid() == 0 else base / name
    subs, out, home = root / "subs", root / "out", root / "home"
    if user is not None:
        # The user's home holds their environment, whose path the notebook sees: not the token.
        home = Path(user.pw_dir) / f"home-{uuid.uuid4().hex[:8]}" if os.geteuid() == 0 else home
    for folder in (subs, out, home):
        folder.mkdir(parents=True)
    host_tmp = Path("/tmp") / f"{token}-host"
    host_tmp.mkdir()
    unix_path = Path("/run") / f"{token}.sock" if os.access("/run", os.W_OK) else None
    world = World(root, token, subs, out, home, host_tmp, Listener(unix_path), who=who)
    world.secrets = {place: f"SECRET-{token}-{place}" for place in ("home", "tmp", "out", "subs", "env")}
    (home / "notes.txt").write_text(world.secrets["home"])
    (home / ".bashrc").write_text("# the grader's own shell settings\n")
    (host_tmp / "keep.txt").write_text(world.secrets["tmp"])
    (out / "keep.txt").write_text(world.secrets["out"])
    if user is not None:
        world.venv = _user_venv(home)
    return world


def close_world(world: World) -> None:
    world.listener.close()
    shutil.rmtree(world.host_tmp, ignore_errors=True)
    if world.who == "user" and os.geteuid() == 0:
        shutil.rmtree(world.root, ignore_errors=True)
        shutil.rmtree(world.home, ignore_errors=True)


def solution_cells() -> list[str]:
    nb = json.loads(SOLUTION.read_text())
    return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in nb["cells"] if c["cell_type"] == "code"]


def write_honest(world: World) -> dict[str, Path]:
    """The honest students of every batch: full marks, a partial score, and one more full mark."""
    secret = f"# {world.secrets['subs']}\n"
    cells = solution_cells()
    # Each carries the secret in its code: a notebook graded after them must not find it.
    files = {
        "honest_ana": cells[:1] + [secret + cells[1]] + cells[2:],
        "honest_bea": cells[:1] + [secret + cells[1]] + cells[2:] + ["def relu(x):\n    return np.abs(x)\n"],
        "honest_zoe": [secret + cells[0]] + cells[1:],
    }
    paths = {}
    for student, student_cells in files.items():
        path = world.subs / f"{student}.ipynb"
        path.write_text(json.dumps(make_notebook(student_cells)), encoding="utf-8")
        paths[student] = path
    return paths


class Snapshot:
    """Every file under some roots: (size, mtime_ns, sha256), and every folder's entries."""

    def __init__(self, roots: list[Path], skip: tuple[str, ...] = ()) -> None:
        self.state: dict[str, Any] = {}
        for root in roots:
            self._walk(root, skip)

    def _walk(self, path: Path, skip: tuple[str, ...]) -> None:
        if any(part in skip for part in path.parts):
            return
        try:
            st = path.lstat()
        except FileNotFoundError:
            self.state[str(path)] = None
            return
        if path.is_symlink():
            self.state[str(path)] = ("link", os.readlink(path))
        elif path.is_dir():
            names = sorted(os.listdir(path))
            self.state[str(path)] = ("dir", tuple(names))
            for name in names:
                self._walk(path / name, skip)
        else:
            digest = hashlib.sha256(path.read_bytes()).hexdigest() if st.st_size < 64 * 2**20 else ""
            self.state[str(path)] = ("file", st.st_size, st.st_mtime_ns, digest)

    def changes(self, other: Snapshot) -> list[str]:
        keys = sorted(set(self.state) | set(other.state))
        return [f"{k}: {self.state.get(k)!r} -> {other.state.get(k)!r}" for k in keys
                if self.state.get(k) != other.state.get(k)]


def repo_snapshot() -> Snapshot:
    return Snapshot([ROOT / p for p in REPO_WATCH], skip=("__pycache__",))


def find_named(places: list[Path], needle: str, depth: int = 3) -> list[str]:
    """Paths whose name contains `needle`, a few levels deep under each place."""
    found: list[str] = []

    def walk(path: Path, level: int) -> None:
        try:
            entries = list(os.scandir(path))
        except OSError:
            return
        for entry in entries:
            if needle in entry.name:
                found.append(entry.path)
            if level < depth and entry.is_dir(follow_symlinks=False) and entry.name not in (".git", ".venv", "proc"):
                walk(Path(entry.path), level + 1)

    for place in places:
        walk(place, 1)
    return sorted(set(found))


@dataclass
class Run:
    """One `grader grade` run: what it printed, wrote and left behind."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float
    survivors: list[dict[str, Any]]
    results: dict[str, Any] | None

    @property
    def by_student(self) -> dict[str, dict[str, Any]]:
        return {s["student"]: s for s in (self.results or {}).get("submissions", [])}


def grade(world: World, *extra: str, jobs: int = 2, timeout: float = 400) -> Run:
    report = world.root / f"reaper-{time.monotonic_ns()}.json"
    # The grading process's own caches go outside the home whose sentinels are compared; a secret
    # in its environment (an API token, say) must never reach a notebook.
    env = dict(os.environ, HOME=str(world.home), PYTHONDONTWRITEBYTECODE="1",
               MPLCONFIGDIR=str(world.root / "mplconfig"), MY_API_TOKEN=world.secrets["env"])
    grader = grader_command() if world.who == "root" else [str(world.python), "-m", "grader.cli"]
    if world.who == "user" and os.geteuid() == 0:
        user = os_user()
        ways = [sys.base_prefix, sys.prefix, str(ROOT), *(p for p in sys.path if p.endswith("site-packages"))]
        grader = [sys.executable, str(AS_USER), user.pw_name, str(world.home),
                  *(arg for way in ways for arg in ("--see", way)), "--", *grader]
        for folder in (world.root, world.home, world.host_tmp):  # what the test wrote as root becomes theirs
            subprocess.run(["chown", "-R", f"{user.pw_uid}:{user.pw_gid}", str(folder)], check=True)
    command = [sys.executable, str(REAPER), str(report), "--", *grader, "grade", str(world.subs),
               "--out", str(world.out), "--jobs", str(jobs), *extra]
    started = time.monotonic()
    proc = subprocess.run(command, check=False, capture_output=True, text=True, env=env, cwd=world.root,
                          timeout=timeout)
    seconds = time.monotonic() - started
    survivors = json.loads(report.read_text())["survivors"] if report.is_file() else [{"reaper": "no report"}]
    results_file = world.out / "results.json"
    results = json.loads(results_file.read_text()) if results_file.is_file() else None
    return Run(proc.returncode, proc.stdout, proc.stderr, seconds, survivors, results)


def gradebook_rows(out: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(f"file:{out / 'gradebook.sqlite'}?mode=ro", uri=True) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return conn.execute("SELECT student, score, max_score, content_hash, fingerprint, graded_at "
                            "FROM results ORDER BY student").fetchall()


def messages(sub: dict[str, Any]) -> str:
    """Everything a student is told, in one string (for looking up words)."""
    parts = [str(sub.get("status")), str(sub.get("error") or "")]
    first = sub.get("first_error") or {}
    parts += [str(first.get("kind", "")), str(first.get("message", ""))]
    for task in sub.get("tasks", []):
        for test in task.get("tests", []):
            parts += [str(test.get("message", "")), str(test.get("got", ""))]
    return "\n".join(parts)


def got_of(sub: dict[str, Any], task_id: str = "step") -> str:
    """What the student's `task_id` function returned on its first test (how attacks report back)."""
    for task in sub.get("tasks", []):
        if task["id"] == task_id:
            for test in task["tests"]:
                if test.get("got") is not None:
                    return str(test["got"])
    return ""
