"""The grading process's side of a cluster: connect, send the work, take results as they come.

`grader grade PATH --cluster ADDRESS` grades through Dask: `tcp://host:8786` (any address Dask
takes) connects to a running scheduler; `local` or `local:N` starts a `LocalCluster` of N worker
processes here. What stays here is the instructor's: intake, the gradebook (each result is
committed by the batch as it arrives), similarity, reports and exports. Dask is imported inside
the functions that need it, and only the `grader.cluster*` modules do, only when a cluster is
asked for.

Faults: a worker lost while it grades a notebook costs that notebook a new start elsewhere
(Dask reschedules it); every start is announced by the worker, so a notebook whose grading was
lost with two workers is given an error result naming that instead of a third try. A scheduler
that goes away (its futures cancelled, or unreachable for `LOST_SECONDS`) ends the batch with a
clear message; what was graded is in the gradebook already, and grading again sends only the rest.
"""

from __future__ import annotations

import logging
import os
import queue
import re
import secrets
import time
import traceback
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import CancelledError
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Self

from .cluster_address import ClusterError, parse, quiet
from .cluster_pack import pack_folder
from .cluster_wire import (
    LEVELS,
    PACK_PLUGIN,
    SANDBOX_PLUGIN,
    START_TOPIC,
    WORKER_TOPIC,
    Returned,
    orders_to_json,
)
from .errors import GraderError
from .exercise import Exercise
from .grading import error_result
from .i18n import Text
from .keys import Orders
from .notebook import StudentNotebook
from .results import SubmissionResult
from .submission import Submission

CONNECT_SECONDS = 20  # to reach a scheduler
JOIN_SECONDS = 120.0  # for a first accepted worker, when none is there yet (a cluster still scaling up)
EVENT_SECONDS = 10.0  # for the present workers' isolation, once their sandboxes are up
LOST_SECONDS = 10.0  # a scheduler unreachable this long ends the batch
POLL_SECONDS = 0.5
STARTS_ALLOWED = 2  # a notebook whose grading was started this often and lost each time is not started again


@dataclass(frozen=True)
class Work:
    """One notebook to grade remotely, as the batch knows it."""

    index: int
    sub: Submission
    notebook: StudentNotebook
    exercise: Exercise
    folder: Path
    orders: Orders


@dataclass
class Trace:
    """When one notebook was sent, started and ended on its worker, and came back (this
    machine's clock for all four, since the tests and benchmark run workers here)."""

    index: int
    sent: float
    started: float = 0.0
    ended: float = 0.0
    arrived: float = 0.0
    address: str = ""


@dataclass
class _Worker:
    address: str
    host: str
    level: str
    threads: int
    accepted: bool
    why: str
    facts: dict[str, Any] = field(default_factory=dict)


class Remote:
    """A connection to a Dask cluster that grades notebooks with the grader's own sandboxes."""

    def __init__(self, address: str, preload: tuple[str, ...], require: str,
                 log: Callable[[str], None], warn: Callable[[str], None] | None = None) -> None:
        if require not in LEVELS:
            raise ValueError(f"unknown isolation level {require!r}")
        self.address, self.count = parse(address)
        self.preload = preload
        self.require = require
        self.log = log
        self.warn = warn or (lambda text: None)
        self.client: Any = None
        self.cluster: Any = None
        self.workers: dict[str, _Worker] = {}
        self.trace: list[Trace] = []
        self._events: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
        self._told: set[str] = set()
        self._batch = ""  # names our installation of the sandbox plugin in the workers' events
        self._fingerprints: dict[Path, str] = {}

    @property
    def where(self) -> str:
        if self.address == "local":
            return f"the local cluster of {self.count} worker(s)"
        return f"the Dask scheduler at {self.address}"

    @property
    def level(self) -> str:
        """The weakest isolation among the accepted workers seen."""
        levels = [w.level for w in self.workers.values() if w.accepted and w.level in LEVELS]
        return max(levels, key=LEVELS.index) if levels else ""

    def __enter__(self) -> Self:
        try:
            self.connect()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def connect(self) -> None:
        """Reach the scheduler (or start a local cluster), install the sandbox plugin on every
        worker, and wait until at least one worker is accepted."""
        from distributed import Client, LocalCluster

        from .cluster import GraderSandbox

        quiet()
        try:
            if self.address == "local":
                self.cluster = LocalCluster(n_workers=self.count, threads_per_worker=1, processes=True,
                                            host="127.0.0.1", dashboard_address=":0", scheduler_port=0,
                                            silence_logs=logging.DEBUG if os.environ.get("GRADER_DEBUG")
                                            else logging.CRITICAL)
                self.client = Client(self.cluster)
            else:
                self.client = Client(self.address, timeout=CONNECT_SECONDS)
        except (OSError, TimeoutError, ValueError) as exc:  # ValueError: an address Dask cannot read
            raise ClusterError(f"cannot reach {self.where}: {exc}") from None
        self.client.subscribe_topic(WORKER_TOPIC, lambda event: self._events.put(("worker", event[1])))
        self.client.subscribe_topic(START_TOPIC, lambda event: self._events.put(("start", event[1])))
        present = set(self.client.scheduler_info(n_workers=-1)["workers"])
        self._batch = secrets.token_hex(8)
        self.client.register_plugin(GraderSandbox(self.preload, self.require, self._batch), name=SANDBOX_PLUGIN)
        self._wait_workers(lambda: present <= set(self.workers), EVENT_SECONDS)
        if not any(w.accepted for w in self.workers.values()):
            self.log(f"waiting for a worker of {self.where} that isolates at least at {self.require}")
            self._wait_workers(lambda: any(w.accepted for w in self.workers.values()), JOIN_SECONDS)
        if not any(w.accepted for w in self.workers.values()):
            refused = "; ".join(f"{w.address} ({w.host}): {w.why}" for w in self.workers.values())
            raise ClusterError(f"no worker of {self.where} can grade: "
                               + (refused or f"none joined within {JOIN_SECONDS:.0f} s"))
        for text, count in Counter(w.facts.get("unheld") or "" for w in self.workers.values() if w.accepted).items():
            if text:
                self.warn(f"{count} cluster worker(s): {text}")

    def send_exercises(self, folders: list[Path]) -> None:
        """Each exercise folder, packed once and registered by its fingerprint: every worker,
        present and future, unpacks it once (a pack the scheduler already holds is not sent)."""
        from .cluster import ExercisePack

        for folder in folders:
            pack = pack_folder(folder)
            try:
                self.client.register_plugin(ExercisePack(pack.fingerprint, pack.data),
                                            name=PACK_PLUGIN + pack.fingerprint)
            except GraderError:
                raise
            except Exception as exc:
                raise ClusterError(f"the exercise {folder.name} could not be sent to the workers of {self.where}: "
                                   f"{type(exc).__name__}: {exc}") from None
            self._fingerprints[folder] = pack.fingerprint

    def close(self) -> None:
        # The isolation this batch required is not left standing for workers joining later.
        steps = [lambda: self.client.close(timeout=5), lambda: self.cluster.close(timeout=10)]
        if self.client is not None and self.client.status == "running":  # else it would wait for the scheduler
            steps.insert(0, lambda: self.client.unregister_worker_plugin(SANDBOX_PLUGIN))
        for step in steps:
            try:
                step()
            except Exception:
                pass  # a cluster that is gone is closed enough
        self.client = self.cluster = None

    def grade(self, works: list[Work]) -> Iterator[tuple[int, SubmissionResult]]:
        """Each notebook's result as it arrives, in no particular order; every work gets exactly
        one. Raises ClusterError when the scheduler goes away (results given so far stand)."""
        from distributed import wait
        from distributed.scheduler import KilledWorker

        from .cluster import grade

        secret, nonce = secrets.token_bytes(32), secrets.token_hex(4)
        waiting: deque[Work] = deque(works)
        flying: dict[Any, Work] = {}
        by_key: dict[str, Work] = {}
        starts: Counter[int] = Counter()
        hosts: dict[int, list[str]] = {}
        traces: dict[int, Trace] = {}
        given, lost_since, window, window_at = 0, 0.0, 2, 0.0

        ready: list[tuple[int, SubmissionResult]] = []  # results decided here, given before waiting again

        def fail(work: Work, reason: Text) -> None:
            ready.append((work.index, error_result(work.sub, reason, work.exercise, work.notebook.content_hash)))

        def submit(work: Work) -> None:
            try:
                data = work.sub.path.read_bytes()
            except OSError as exc:
                fail(work, Text(f"the notebook could not be read again to send it to the cluster ({exc})",
                                f"no se pudo volver a leer el cuaderno para enviarlo al clúster ({exc})"))
                return
            key = f"grade-{_slug(work.sub.student)}-{nonce}-{work.index}-{len(by_key)}"
            trace = traces[work.index] = Trace(work.index, time.time())
            future = self.client.submit(
                grade, self._fingerprints[work.folder], work.sub.student, work.sub.file, dict(work.sub.meta), data,
                orders_to_json(work.orders), secret, self.preload, key=key, pure=False)
            flying[future] = work
            by_key[key] = work
            # Called as the result reaches this process, before this loop gets to it.
            future.add_done_callback(lambda _, trace=trace: setattr(trace, "arrived", trace.arrived or time.time()))

        def note_starts() -> None:
            """Count each notebook's starts; one started a third time was lost with two workers."""
            for kind, event in self._take_events(timeout=0.0):
                work = by_key.get(str(event.get("key"))) if kind == "start" else None
                if work is None:
                    continue
                starts[work.index] += 1
                hosts.setdefault(work.index, []).append(str(event.get("address", "")))
                if starts[work.index] > STARTS_ALLOWED:
                    future = next((f for f, w in flying.items() if w is work), None)
                    if future is not None:
                        flying.pop(future)
                        future.cancel()
                        fail(work, _twice(hosts[work.index][:STARTS_ALLOWED]))

        while waiting or flying or ready:
            now = time.monotonic()
            if now - window_at > 2.0:  # two notebooks per worker thread: none waits for the next
                window, window_at = max(2, 2 * sum(self._threads().values())), now
            while waiting and len(flying) < window:
                submit(waiting.popleft())
            note_starts()
            while ready:
                given += 1
                yield ready.pop()
            if not flying:
                continue
            gone = ClusterError(f"{self.where} went away: {given} of the {len(works)} notebooks sent were graded "
                                "and are in the gradebook; grade again with the same command to grade the rest")
            try:
                done, _ = wait(list(flying), timeout=POLL_SECONDS, return_when="FIRST_COMPLETED")
            except TimeoutError:
                done = set()
            except CancelledError as exc:  # with the scheduler's connection, every future is cancelled
                if self.client.status != "running" or "connection" in str(exc):
                    raise gone from None
                done = {f for f in flying if f.cancelled()}
            if self.client.status == "running":
                lost_since = 0.0
            else:
                lost_since = lost_since or time.monotonic()
                if self.client.status in ("closing", "closed") or time.monotonic() - lost_since > LOST_SECONDS:
                    raise gone
            for future in done:
                work = flying.pop(future, None)
                if work is None:
                    continue
                if future.status == "finished":
                    result = self._returned(work, future.result(), traces[work.index])
                elif future.status == "cancelled":
                    if self.client.status != "running":
                        flying[future] = work  # the scheduler is gone: decided above, on the next turn
                        continue
                    waiting.appendleft(work)
                    continue
                else:
                    exc = future.exception()
                    note_starts()  # where it ran, when its start was announced after its end
                    if isinstance(exc, KilledWorker):
                        if starts[work.index] < STARTS_ALLOWED:  # lost while waiting, not while graded: again
                            waiting.appendleft(work)
                            continue
                        result = error_result(work.sub, _twice(hosts.get(work.index, [])[:STARTS_ALLOWED]),
                                              work.exercise, work.notebook.content_hash)
                    else:
                        where = (hosts.get(work.index) or ["?"])[-1]
                        self.log(f"internal error grading {work.sub.path} on cluster worker {where}:\n"
                                 + "".join(traceback.format_exception(exc)))
                        why = f"{type(exc).__name__}: {exc}"
                        result = error_result(work.sub, Text(f"internal grader error on cluster worker {where} ({why})",
                                                             f"error interno del corrector en el trabajador {where} "
                                                             f"del clúster ({why})"),
                                              work.exercise, work.notebook.content_hash)
                given += 1
                yield work.index, result

    def _returned(self, work: Work, text: str, trace: Trace) -> SubmissionResult:
        """A worker's answer as this batch's result: the identity is the one intake gave."""
        returned = Returned.from_text(text)
        trace.started, trace.ended, trace.address = returned.started, returned.ended, returned.address
        trace.arrived = trace.arrived or time.time()
        arrived = trace.arrived
        self.trace.append(trace)
        result = returned.result.with_identity(work.sub.student, work.sub.file)
        timings = dict(result.timings, worker=round(returned.ended - returned.started, 4),
                       dask=round(max(0.0, arrived - trace.sent - (returned.ended - returned.started)), 4))
        return replace(result, timings=timings)

    def _threads(self) -> dict[str, int]:
        try:
            return dict(self.client.nthreads())
        except Exception:
            return {}

    def _wait_workers(self, done: Callable[[], bool], seconds: float) -> None:
        """Worker events until `done()` or `seconds` pass. A worker's event travels to the scheduler
        apart from its answer to the installation and from our subscription, so it may reach the
        scheduler before the subscription does: the scheduler's record is read again each second."""
        until = time.monotonic() + seconds
        reread = 0.0
        while not done() and time.monotonic() < until:
            if time.monotonic() >= reread:
                self._reread_workers()
                reread = time.monotonic() + 1.0
            self._take_events(timeout=0.2)

    def _reread_workers(self) -> None:
        try:
            record = self.client.get_events(WORKER_TOPIC)
        except Exception:  # the scheduler unreachable for a moment: the wait goes on until its end
            return
        for _, event in record:
            if isinstance(event, dict) and event.get("batch") == self._batch and event.get("address") not in self.workers:
                self._events.put(("worker", event))

    def _take_events(self, timeout: float) -> list[tuple[str, dict[str, Any]]]:
        """The events that arrived; workers joining are noted (and refusals told) here."""
        taken = []
        try:
            taken.append(self._events.get(timeout=timeout) if timeout > 0 else self._events.get_nowait())
            while True:
                taken.append(self._events.get_nowait())
        except queue.Empty:
            pass
        for kind, event in taken:
            if kind == "worker" and isinstance(event, dict):
                self._joined(event)
        return taken

    def _joined(self, event: dict[str, Any]) -> None:
        from .sandbox import isolation

        worker = _Worker(str(event.get("address")), str(event.get("host")), str(event.get("level")),
                         int(event.get("threads") or 1), bool(event.get("accepted")), str(event.get("why") or ""))
        worker.facts = {"unheld": isolation.unheld({"level": worker.level, "cgroup": event.get("cgroup"),
                                                    "seccomp": event.get("seccomp")})}
        if self.workers.get(worker.address) == worker:  # read both from the record and as it came
            return
        self.workers[worker.address] = worker
        line = (f"cluster worker {worker.address} on {worker.host}: isolation {worker.level}, "
                f"{worker.threads} thread(s), " + ("accepted" if worker.accepted else f"refused: {worker.why}"))
        self.log(line)
        if not worker.accepted and worker.address not in self._told:
            self._told.add(worker.address)
            self.warn(f"cluster worker {worker.address} on {worker.host} refused: {worker.why}")


def _twice(hosts: list[str]) -> Text:
    where = ", then ".join(hosts) or "?"
    donde = ", luego ".join(hosts) or "?"
    return Text(f"grading this notebook lost its Dask worker process twice (on {where}); it was not tried again",
                f"calificar este cuaderno hizo perder dos veces el proceso trabajador de Dask (en {donde}); "
                "no se volvió a intentar")


def _slug(student: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", student)[:60] or "_"
