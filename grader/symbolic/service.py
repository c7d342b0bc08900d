"""A process that judges derivation answers for the grading process.

The grading process runs threads, and forking it would be unsafe; so answers are sent, as
frames, to a single-threaded service (`python -m grader.symbolic.service`) that imports sympy
once and judges each batch in a forked, resource-limited child (`check_answers`). Student code
never runs in this service: it only reads answer text through the safe reader.

Requests: {"op": "check" | "read", "specs": {id: spec_json},
"items": [[id, text, latex, [batch seed, student seed]], ...]}. Reply: {"verdicts": [verdict_json, ...]}.

The seeds of each answer's sample points are derived by the pool from a secret it draws when it
starts (so once per batch), the spec's id and, for the student's own points, the student's id:
reproducible within a batch, different for every student and every batch, and written nowhere a
student can read them.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import secrets
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any

from ..sandbox.protocol import ProtocolError, read_frame, write_frame
from .spec import DerivationSpec, spec_from_json, spec_to_json
from .verdict import Verdict, VerdictDecodeError


def _read_only(spec: DerivationSpec, text: str, latex: bool) -> dict[str, Any]:
    """How the answer reads, without judging it (self-checks must not reveal the answer)."""
    from .api import read_answer
    from .errors import AnswerFormatError

    try:
        parsed = read_answer(spec, text, latex=latex)
    except AnswerFormatError as exc:
        return {"status": "invalid", "decided_by": "parse", "message": dict(exc.message), "read_as": None,
                "misconception": None, "hint": None, "witness": None}
    return {"status": "undetermined", "decided_by": "parse", "read_as": parsed.read_as, "misconception": None,
            "hint": None, "witness": None,
            "message": {"en": f"Your answer was read as {parsed.read_as}; whether it is right is checked when "
                              f"your instructor grades.",
                        "es": f"Tu respuesta se leyó como {parsed.read_as}; si es correcta se comprueba cuando "
                              f"tu profesor corrige."}}


def _seed(data: object) -> int | tuple[int, int] | None:
    if isinstance(data, list) and len(data) == 2 and all(isinstance(v, int) for v in data):
        return (data[0], data[1])
    return data if isinstance(data, int) else None


def _reader(spec: DerivationSpec, text: str | None, latex: bool) -> Callable[[], dict[str, Any] | None]:
    return lambda: None if text is None else _read_only(spec, text, latex)


def serve() -> int:
    proto_in, proto_out = os.dup(0), os.dup(1)
    os.dup2(2, 1)
    from .api import DEFAULT_LIMITS, check_answers, default_parallel, prepare
    from .bounded import run_each

    specs: dict[str, DerivationSpec] = {}
    while True:
        try:
            frame = read_frame(proto_in)
        except EOFError:
            return 0
        header = frame.header
        try:
            for key, data in header.get("specs", {}).items():
                if key not in specs:
                    specs[key] = spec_from_json(data)
            rows = header["items"]
            items = [(specs[row[0]], row[1] if isinstance(row[1], str) else None, bool(row[2])) for row in rows]
            seeds = [_seed(row[3]) if len(row) > 3 else None for row in rows]
            if header.get("op") == "read":
                for spec, _, latex in items:
                    prepare(spec, latex=latex)
                # Each answer in a child of its own: one that uses up its budget is read by no one
                # else's clock.
                results = run_each([_reader(*item) for item in items], DEFAULT_LIMITS,
                                   parallel=default_parallel())
                verdicts = [r.value if r.ok else None for r in results]
            else:
                verdicts = [v.to_json() for v in check_answers(items, seeds=seeds)]  # type: ignore[arg-type]
            write_frame(proto_out, {"verdicts": verdicts})
        except Exception as exc:  # a broken request must not take the service down
            write_frame(proto_out, {"error": f"{type(exc).__name__}: {exc}"})


class SymbolicService:
    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "grader.symbolic.service"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE,
                                     stderr=None if os.environ.get("GRADER_DEBUG") else subprocess.DEVNULL)
        self.sent: set[str] = set()

    def request(self, op: str, items: list[tuple[DerivationSpec, Any, bool]],
                seeds: list[tuple[int, int]] | None = None) -> list[Verdict | None]:
        specs = {}
        keys = []
        for spec, _, _ in items:
            data = spec_to_json(spec)
            key = spec.id + ":" + hashlib.sha1(json.dumps(data, sort_keys=True).encode()).hexdigest()[:12]
            keys.append(key)
            if key not in self.sent:
                specs[key] = data
        chosen = seeds if seeds is not None else [None] * len(items)
        rows = [[k, t, latex, None if seed is None else list(seed)]
                for k, (_, t, latex), seed in zip(keys, items, chosen)]
        write_frame(self.proc.stdin.fileno(), {"op": op, "specs": specs, "items": rows})  # type: ignore[union-attr]
        self.sent.update(specs)
        reply = read_frame(self.proc.stdout.fileno()).header  # type: ignore[union-attr]
        if "error" in reply:
            raise RuntimeError(reply["error"])
        out: list[Verdict | None] = []
        for data in reply.get("verdicts", []):
            try:
                out.append(None if data is None else Verdict.from_json(data))
            except VerdictDecodeError:
                out.append(None)
        return out

    def close(self) -> None:
        try:
            self.proc.stdin.close()  # type: ignore[union-attr]
            self.proc.wait(timeout=2)
        except Exception:
            self.proc.kill()


class SymbolicPool:
    """Services started on first use, one per concurrent caller. The pool's secret (drawn when it
    is made, kept in memory only) seeds every answer's sample points."""

    def __init__(self, secret: bytes | None = None) -> None:
        """`secret`: a batch's own, when several pools (one per cluster worker) grade it and must
        sample the same points; by default one is drawn here."""
        self._idle: queue.LifoQueue[SymbolicService] = queue.LifoQueue()
        self._all: list[SymbolicService] = []
        self._lock = threading.Lock()
        self._secret = secret if secret is not None else secrets.token_bytes(32)

    def seed(self, student: str, spec_id: str) -> tuple[int, int]:
        """The seeds of one student's answer, (the batch's, the student's own): the same within
        this pool, unknowable without its secret."""
        return self._derive(["batch", spec_id]), self._derive(["student", student, spec_id])

    def _derive(self, parts: list[str]) -> int:
        message = json.dumps(parts).encode()
        return int.from_bytes(hashlib.blake2b(message, key=self._secret, digest_size=8).digest(), "big")

    def request(self, op: str, items: list[tuple[DerivationSpec, Any, bool]],
                student: str = "") -> list[Verdict | None]:
        if not items:
            return []
        seeds = [self.seed(student, spec.id) for spec, _, _ in items]
        try:
            service = self._idle.get_nowait()
        except queue.Empty:
            service = SymbolicService()
            with self._lock:
                self._all.append(service)
        try:
            verdicts = service.request(op, items, seeds)
        except (EOFError, ProtocolError, OSError, RuntimeError):
            service.close()
            with self._lock:
                self._all.remove(service)
            return [None] * len(items)
        self._idle.put(service)
        return verdicts

    def close(self) -> None:
        with self._lock:
            for service in self._all:
                service.close()
            self._all.clear()

    def __enter__(self) -> SymbolicPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


if __name__ == "__main__":
    sys.exit(serve())
