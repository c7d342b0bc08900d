"""Results and downloads for the LMS tests, made up without grading anything."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from grader.i18n import Text
from grader.results import SubmissionResult, TaskResult, TestResult

from ..conftest import ROOT

SAMPLES = ROOT / "examples" / "submissions"
NOTEBOOK = json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []})


def make_result(student: str, scores: list[tuple[float, float]], meta: dict | None = None,
                status: str = "graded", hidden_input: str = "SECRET-INPUT") -> SubmissionResult:
    """A result with one task per (score, max) pair: a public test worth the pair, and a hidden
    test worth 1 that failed on `hidden_input`."""
    tasks = []
    for i, (score, top) in enumerate(scores, start=1):
        public = TestResult(name="values", status="passed" if score == top else "failed", score=score, max_score=top,
                            visibility="traceback", public=True, message=Text("wrong value at x=2", "valor erróneo en x=2"),
                            input="x=2", expected="4", got="5", hint=Text("square it", "elévalo al cuadrado"))
        hidden = TestResult(name="edge", status="failed", score=0.0, max_score=1.0, visibility="message", public=False,
                            message=Text(f"wrong for {hidden_input}", f"mal para {hidden_input}"),
                            summary=Text("wrong on an edge case", "mal en un caso límite"), input=hidden_input,
                            expected="EXPECTED-HIDDEN", got="GOT-HIDDEN", source="HIDDEN-SOURCE")
        tasks.append(TaskResult(f"t{i}", Text(f"Task {i}", f"Tarea {i}"), "function", (public, hidden)))
    max_score = sum(top + 1 for _, top in scores)
    error = Text("not a notebook", "no es un cuaderno") if status == "error" else None
    return SubmissionResult(student=student, file=f"{student}.ipynb", exercise="activations", exercise_version="1",
                            status=status, max_score=max_score, tasks=tuple(tasks) if status == "graded" else (),
                            error=error, meta=dict(meta or {}))


def write_zip(path: Path, members: dict[str, bytes | str], times: dict[str, tuple] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=(times or {}).get(name, (2024, 10, 6, 12, 0, 0)))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return path
