"""The gradebook: one SQLite file in the output folder, one row per (student, exercise).

WAL mode and one transaction per graded submission, made durable before `save` returns
(synchronous=FULL): a batch killed at any moment (kill -9, a power cut) keeps every grade
already written and nothing half-written; the key (student, exercise) makes a duplicate
impossible; and a re-run skips exactly the submissions whose content hash and exercise
fingerprint are unchanged. A stored row that cannot be read back counts as not graded.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import datetime, timezone
from pathlib import Path

from . import __version__
from .errors import InputError
from .results import SubmissionResult
from .untrusted import clean

SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    student TEXT NOT NULL,
    exercise TEXT NOT NULL,
    file TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status TEXT NOT NULL,
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    result TEXT NOT NULL,
    graded_at TEXT NOT NULL,
    PRIMARY KEY (student, exercise)
);
CREATE TABLE IF NOT EXISTS info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

FILENAME = "gradebook.sqlite"


class Gradebook:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30)
        self._lock = threading.Lock()
        try:
            with self._lock:
                self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.execute("PRAGMA synchronous=FULL")
                self._conn.executescript(SCHEMA)
                self._conn.execute("INSERT OR REPLACE INTO info VALUES ('grader_version', ?)", (__version__,))
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise InputError(f"not a usable gradebook ({exc}); move it away to start a new one", path) from None

    @classmethod
    def in_folder(cls, folder: Path) -> Gradebook:
        return cls(folder / FILENAME)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Gradebook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def lookup(self, student: str, exercise: str | None, content_hash: str, fingerprint: str
               ) -> SubmissionResult | None:
        """The stored result if it was graded from the same file with the same exercise (the
        fingerprint names the exercise's code, so `exercise` may be left out)."""
        query = "SELECT result FROM results WHERE student=? AND content_hash=? AND fingerprint=?"
        params: tuple[str, ...] = (clean(student), content_hash, fingerprint)
        if exercise is not None:
            query += " AND exercise=?"
            params += (exercise,)
        with self._lock:
            row = self._conn.execute(query, params).fetchone()
        if row is None:
            return None
        try:
            return SubmissionResult.from_dict(json.loads(row[0]))
        except (ValueError, TypeError, KeyError):
            return None  # written by another version of the grader: grade it again

    def save(self, result: SubmissionResult, fingerprint: str) -> None:
        payload = json.dumps(result.to_dict(), separators=(",", ":"))
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.execute(
                    "INSERT OR REPLACE INTO results VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (clean(result.student), clean(result.exercise or ""), clean(result.file), result.content_hash,
                     fingerprint, result.status, result.score, result.max_score, payload,
                     datetime.now(timezone.utc).isoformat(timespec="seconds")))
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def all(self, exercise: str | None = None) -> list[SubmissionResult]:
        query = "SELECT result FROM results" + (" WHERE exercise=?" if exercise else "") + " ORDER BY student"
        with self._lock:
            rows = self._conn.execute(query, (exercise,) if exercise else ()).fetchall()
        return [SubmissionResult.from_dict(json.loads(r[0])) for r in rows]

    def count(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM results").fetchone()[0])
