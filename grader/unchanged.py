"""Recognising a batch that has not changed since its last complete grading, cheaply.

The signature covers everything a batch's outputs depend on: every notebook's identity, path
and bytes, every exercise folder's code, the grader's version and the options that change the
outputs. When it matches the one recorded after the last complete run and the outputs are in
place, nothing needs grading, rendering or writing. Only light modules are imported here, so
that answering "nothing changed" costs little more than reading the files.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from pathlib import Path
from typing import Any

from . import __version__
from .intake import find_notebooks, is_zip
from .library import exercise_dirs, folder_fingerprint, resolve

KEY = "last_batch"
SUMMARY = "last_batch_summary"  # [[student, score, max_score, status], ...] of that run
OUTPUTS = ("results.json", "grades.csv", "index.html")


def signature(path: Path, exercise: str | None, lang: str, roster: Path | None, *, keys: Path | None = None) -> str:
    """What the outputs of grading `path` with these options depend on. Who each notebook belongs
    to is a function of the same inputs (file names, bytes and times, the roster), so intake need
    not run to tell that nothing changed."""
    h = hashlib.sha256()

    def add(value: Any) -> None:
        h.update(json.dumps(value, sort_keys=True, default=str).encode() + b"\0")

    add([__version__, lang, exercise, str(path.resolve()), _digest(roster) if roster is not None else None])
    if keys is not None:
        add(["keys", _digest(keys)])
    folders = list(exercise_dirs()) + ([resolve(exercise)] if exercise else [])
    add(sorted((str(f), folder_fingerprint(f)) for f in folders))
    for found in [path] if is_zip(path) else find_notebooks(path):
        try:
            add([str(found), os.stat(found).st_mtime_ns, _digest(found)])
        except OSError:
            add([str(found), "unreadable"])
    return h.hexdigest()


def _digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "unreadable"


def recorded(out: Path) -> tuple[str, list[list[Any]]] | None:
    """The signature of the last complete run into OUT and its summary, or None."""
    db = out / "gradebook.sqlite"
    if not db.is_file() or not all((out / name).is_file() for name in OUTPUTS):
        return None
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            rows = dict(conn.execute("SELECT key, value FROM info WHERE key IN (?, ?)", (KEY, SUMMARY)))
        finally:
            conn.close()
        summary = json.loads(rows[SUMMARY])
    except (sqlite3.Error, KeyError, ValueError):
        return None
    if not rows[KEY] or not isinstance(summary, list):
        return None
    return rows[KEY], summary


def record(out: Path, value: str, summary: list[list[Any]]) -> None:
    conn = sqlite3.connect(str(out / "gradebook.sqlite"), timeout=30)
    try:
        with conn:
            conn.execute("CREATE TABLE IF NOT EXISTS info (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            conn.executemany("INSERT OR REPLACE INTO info VALUES (?, ?)",
                             [(KEY, value), (SUMMARY, json.dumps(summary))])
    finally:
        conn.close()


def forget(out: Path) -> None:
    """Before outputs change: a run killed part-way must never look complete."""
    if (out / "gradebook.sqlite").is_file():
        record(out, "", [])
