"""The Dask worker's side of grading on a cluster.

Each Dask worker process holds one warm sandbox pool of its own (`grader.sandbox.Sandbox`, one
slot per worker thread): the same zygote, the same forked children, the same isolation levels as
on one machine. It is started once, by the plugin the grading process installs when it connects,
or before the worker joins with `dask worker tcp://… --preload grader.cluster` (preloading the
modules named in GRADER_PRELOAD, comma-separated; numpy, torch and sympy by default).

When the grading process connects, its plugin checks the worker's isolation level (what its
sandbox's zygote found) against the level it requires: a weaker worker says why in its log and
in an event the grading process prints, and leaves the cluster (its nanny with it), so that no
notebook can be sent to it. Exercises arrive as packs (`grader.cluster_pack`), each notebook as
its bytes; the reference values are computed here, by trusted grader code, and what goes back is
the result model's JSON text, with the host, address and level that graded it in its meta.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from distributed import Reschedule, WorkerPlugin, get_worker
from distributed.worker import Worker

from . import __version__
from .cluster_pack import unpack
from .cluster_wire import (
    PACK_PLUGIN,
    START_TOPIC,
    WORKER_TOPIC,
    Returned,
    at_least,
    orders_from_json,
)
from .errors import ExerciseError, InputError
from .exercise import Exercise
from .grading import error_result, grade_notebook
from .i18n import Text
from .library import load_folder
from .notebook import content_hash, parse_notebook
from .plan import ExpectedCache
from .sandbox import Sandbox
from .sandbox.runner import DEFAULT_PRELOAD
from .submission import Submission
from .symbolic.service import SymbolicPool

logger = logging.getLogger("grader.cluster")
POOLS_KEPT = 4  # symbolic pools kept per worker: one per batch secret, for batches sharing the cluster


class _State:
    """What one Dask worker keeps between notebooks: its sandbox pool, its exercises (unpacked,
    loaded, their fixed cases planned once), its symbolic checkers."""

    def __init__(self, worker: Worker, preload: tuple[str, ...]) -> None:
        self.preload = preload
        self.slots = max(1, worker.state.nthreads)
        self.sandbox = Sandbox(workers=self.slots, preload=preload)
        self.users: dict[int, int] = {}  # notebooks running now, by id() of the pool they run on
        self.facts = self.sandbox.facts  # waits for the zygote's imports; raises if it cannot start
        self.cache = Path(worker.local_directory) / "grader-exercises"
        self.host = socket.gethostname()
        self.exercises: dict[str, tuple[Exercise, ExpectedCache]] = {}
        self.pools: OrderedDict[bytes, SymbolicPool] = OrderedDict()
        self.lock = threading.Lock()
        self.loading = threading.Lock()  # an exercise loads for seconds: notebooks of others go on
        from .batch import protected_paths

        # What a child must never see, on this machine: the grader, its caches, the worker's files.
        self.hide = protected_paths(self.cache, Path(worker.local_directory))

    @property
    def level(self) -> str:
        return str(self.facts.get("level", "basic"))

    def widen(self, preload: tuple[str, ...]) -> None:
        """A batch that wants modules the zygote did not import gets a zygote that does (the
        union, so this happens at most a few times); the old pool closes once no notebook runs
        on it."""
        if set(preload) <= set(self.preload):
            return
        wanted = tuple(dict.fromkeys(self.preload + preload))
        sandbox = Sandbox(workers=self.slots, preload=wanted)
        facts = sandbox.facts
        with self.lock:
            old, self.sandbox, self.facts, self.preload = self.sandbox, sandbox, facts, wanted
            idle = not self.users.get(id(old))
        if idle:
            old.close()

    @contextmanager
    def borrowed(self) -> Iterator[Sandbox]:
        """The pool to run one notebook on, kept open while it runs."""
        with self.lock:
            sandbox = self.sandbox
            self.users[id(sandbox)] = self.users.get(id(sandbox), 0) + 1
        try:
            yield sandbox
        finally:
            with self.lock:
                self.users[id(sandbox)] -= 1
                done = sandbox is not self.sandbox and not self.users[id(sandbox)]
                if not self.users[id(sandbox)]:
                    del self.users[id(sandbox)]
            if done:  # replaced while this notebook ran on it
                sandbox.close()

    def exercise(self, worker: Worker, fingerprint: str) -> tuple[Exercise, ExpectedCache]:
        with self.loading:
            if fingerprint not in self.exercises:
                pack = worker.plugins.get(PACK_PLUGIN + fingerprint)
                if not isinstance(pack, ExercisePack):
                    raise ExerciseError(f"the exercise pack {fingerprint[:12]} has not reached this worker")
                folder = unpack(pack.data, fingerprint, self.cache)
                self.exercises[fingerprint] = (load_folder(folder), ExpectedCache())
            return self.exercises[fingerprint]

    def symbolic(self, secret: bytes) -> SymbolicPool:
        with self.lock:
            pool = self.pools.get(secret)
            if pool is None:
                pool = self.pools[secret] = SymbolicPool(secret)
                while len(self.pools) > POOLS_KEPT:
                    self.pools.popitem(last=False)[1].close()
            self.pools.move_to_end(secret)
            return pool

    def close(self) -> None:
        for pool in self.pools.values():
            pool.close()
        self.sandbox.close()


_STATES: dict[str, _State] = {}  # by Dask worker id: one per worker process in practice
_STARTING = threading.Lock()
_REFUSED: dict[str, str] = {}  # workers refused by the grading process (leaving the cluster): why


def ensure(worker: Worker, preload: tuple[str, ...]) -> _State:
    """This worker's state, started on first use (blocking until its zygote is ready)."""
    with _STARTING:
        state = _STATES.get(worker.id)
        if state is None:
            state = _STATES[worker.id] = _State(worker, preload)
        else:
            state.widen(preload)
        return state


def _preload_from_environment() -> tuple[str, ...]:
    named = tuple(m.strip() for m in os.environ.get("GRADER_PRELOAD", "").split(",") if m.strip())
    return named or DEFAULT_PRELOAD


async def dask_setup(worker: Worker) -> None:
    """`dask worker … --preload grader.cluster`: the sandbox starts before the worker joins."""
    state = await asyncio.get_running_loop().run_in_executor(None, ensure, worker, _preload_from_environment())
    logger.info("grader sandbox ready: isolation %s, preloaded %s", state.level, ", ".join(state.preload))


async def dask_teardown(worker: Worker) -> None:
    state = _STATES.pop(worker.id, None)
    if state is not None:
        state.close()


class GraderSandbox(WorkerPlugin):
    """Installed by the grading process on every worker, present and future: the warm sandbox
    pool (started, or widened to `preload`) and the isolation check against `require`."""

    def __init__(self, preload: tuple[str, ...], require: str, batch: str) -> None:
        self.preload = preload
        self.require = require
        self.batch = batch  # names this installation in the events it causes
        self.version = __version__  # the grading process's: a worker must grade with the same grader

    async def setup(self, worker: Worker) -> None:
        loop = asyncio.get_running_loop()
        facts: dict[str, Any]
        try:
            state = await loop.run_in_executor(None, ensure, worker, self.preload)
            facts, why = dict(state.facts), ""
            if __version__ != self.version:
                why = f"it runs grader {__version__}, the grading process grader {self.version}"
            elif not at_least(state.level, self.require):
                why = (f"its isolation is {state.level}, weaker than the {self.require} the grading process "
                       "requires (grader doctor shows what a machine allows)")
        except Exception as exc:  # a sandbox that cannot start grades nothing
            facts, why = {"level": "none"}, f"its grading sandbox could not start ({type(exc).__name__}: {exc})"
        worker.log_event(WORKER_TOPIC, {"address": worker.address, "host": socket.gethostname(),
                                        "level": facts.get("level"), "cgroup": bool(facts.get("cgroup")),
                                        "seccomp": bool(facts.get("seccomp")), "threads": worker.state.nthreads,
                                        "accepted": not why, "why": why, "batch": self.batch})
        if why:
            _REFUSED[worker.id] = why
            logger.warning("grader: this worker is refused and leaves the cluster: %s", why)
            # After this answer reaches the scheduler; with the nanny, so that it is not restarted.
            loop.call_later(0.2, lambda: asyncio.ensure_future(worker.close(nanny=True, reason=f"grader: {why}")))

    async def teardown(self, worker: Worker) -> None:
        if worker.status.name in ("closing", "closed", "closing_gracefully", "failed"):
            await dask_teardown(worker)


class ExercisePack(WorkerPlugin):
    """One exercise folder by content, registered once per fingerprint (idempotent): present and
    future workers unpack it when it arrives, after checking its bytes."""

    idempotent = True

    def __init__(self, fingerprint: str, data: bytes) -> None:
        self.fingerprint = fingerprint
        self.data = data

    async def setup(self, worker: Worker) -> None:
        # Loaded now (its references import torch), not by the first notebook to need it.
        await asyncio.get_running_loop().run_in_executor(None, _prepare, self.data, self.fingerprint,
                                                         Path(worker.local_directory) / "grader-exercises")


def _prepare(data: bytes, fingerprint: str, cache: Path) -> None:
    load_folder(unpack(data, fingerprint, cache))


def grade(fingerprint: str, student: str, file: str, meta: dict[str, Any], data: bytes, orders: dict[str, Any],
          secret: bytes, preload: tuple[str, ...]) -> str:
    """One notebook, graded on this worker; returns `Returned.to_text()`. A fault of the grader
    raises (the grading process records it as that student's error)."""
    started = time.time()
    worker = get_worker()
    if worker.id in _REFUSED:  # it is leaving the cluster: the scheduler finds the notebook another worker
        raise Reschedule()
    state = ensure(worker, preload)
    worker.log_event(START_TOPIC, {"key": worker.get_current_task(), "address": worker.address})
    exercise, cache = state.exercise(worker, fingerprint)
    sub = Submission(student, Path(file), dict(meta))
    try:
        notebook = parse_notebook(data, Path(file))
    except InputError as exc:
        result = error_result(sub, Text.of(str(exc)), exercise, content_hash(data))
    else:
        with state.borrowed() as sandbox:
            result = grade_notebook(sub, notebook, exercise, sandbox, cache=cache, hide=state.hide,
                                    symbolic=state.symbolic(secret), orders=orders_from_json(orders))
    result = replace(result, meta=dict(result.meta, graded_by={"host": state.host, "address": worker.address,
                                                               "isolation": state.level}))
    return Returned(result, started, time.time(), worker.address).to_text()


def describe(dask_worker: Worker) -> dict[str, Any]:
    """What `grader doctor --cluster` shows of this worker: isolation (its running sandbox's, or a
    short-lived one's), cores, memory, torch and CUDA."""
    import importlib.metadata
    import importlib.util

    import psutil

    state = _STATES.get(dask_worker.id)
    if state is not None:
        facts = dict(state.facts)
    else:
        with Sandbox(workers=1, preload=("numpy",)) as sandbox:
            facts = dict(sandbox.facts)
    torch_version, cuda, devices = None, False, []
    if importlib.util.find_spec("torch") is not None:
        torch_version = importlib.metadata.version("torch")
        import torch

        cuda = bool(torch.cuda.is_available())
        devices = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())] if cuda else []
    return {"address": dask_worker.address, "host": socket.gethostname(), "level": facts.get("level"),
            "cgroup": bool(facts.get("cgroup")), "seccomp": bool(facts.get("seccomp")),
            "threads": dask_worker.state.nthreads, "cpus": len(os.sched_getaffinity(0)),
            "memory_limit": dask_worker.memory_manager.memory_limit, "memory_total": psutil.virtual_memory().total,
            "torch": torch_version, "cuda": cuda, "devices": devices,
            "sandbox": "running" if state is not None else "not started"}
