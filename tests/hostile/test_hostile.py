"""Every hostile notebook, graded through the real CLI beside honest students, is contained.

For each attack: (a) the batch completes, (b) the attacker gets a low grade and a message that
says what happened, (c) every honest student keeps the grade they get when graded alone, (d) no
file outside the child's working directory changed (sentinels in the submissions, the grader's
home, the host's /tmp, the output folder, the repository and a grade already in the gradebook;
and no file named after the attack anywhere), (e) the grading process finished cleanly: valid
outputs and gradebook, no internal error, no process left behind, no connection received. (c), (d) and (e) hold for a whole batch;
they are asserted in each attack's test so that each attack's verdict is complete.
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Callable
from typing import Any

import pytest

from grader.report import report_name
from grader.sandbox import isolation

from .attacks import CATALOGUE, Attack
from .world import FULL_MARKS, got_of, messages

LEVEL = isolation.detect()
HONEST = ("honest_ana", "honest_bea", "honest_zoe")


def _students(evidence: dict[str, Any]) -> dict[str, dict[str, Any]]:
    assert evidence["results"] is not None, "no results.json was written:\n" + evidence["stderr"][-3000:]
    return {s["student"]: s for s in evidence["results"]["submissions"]}


def _cases() -> list[Any]:
    marks = []
    for attack in CATALOGUE:
        skip = attack.full_only and LEVEL != "full"
        marks.append(pytest.param(attack, id=f"{attack.batch}-{attack.name}",
                                  marks=pytest.mark.skip(reason="needs full isolation") if skip else ()))
    return marks


@pytest.mark.parametrize("attack", _cases())
def test_hostile_notebook_is_contained(attack: Attack, batch_evidence: Callable[[str], dict[str, Any]],
                                       honest_alone: dict[str, float]) -> None:
    evidence = batch_evidence(attack.batch)
    students = _students(evidence)

    # (a) the batch completed
    assert evidence["returncode"] == 0, evidence["stderr"][-3000:]
    assert attack.student in students, sorted(students)

    # (b) a low grade and a message that says what happened
    sub = students[attack.student]
    report = evidence["reports"].get(report_name(attack.student), "")
    text = messages(sub) + "\n" + html.unescape(report)
    assert sub["score"] <= attack.max_score, text
    assert sub["max_score"] == FULL_MARKS
    assert report, "the student has no report"
    if attack.kind == "status":
        assert sub["status"] == "error" and sub.get("error"), sub
    elif attack.kind is not None:
        kinds = attack.kind if isinstance(attack.kind, tuple) else (attack.kind,)
        assert (sub.get("first_error") or {}).get("kind") in kinds, text
    for word in attack.words:
        assert word.lower() in text.lower(), f"{word!r} not in:\n{text}"
    if attack.reports:
        got = got_of(sub)
        assert "end" in got, f"the attack did not run to its end: {text}"
        assert "LEAK" not in got, got
    exported = json.dumps(sub, ensure_ascii=False)
    assert not any(secret in exported for secret in evidence["secrets"].values())

    # (c) every honest student keeps their grade
    for student in HONEST:
        assert students[student]["score"] == honest_alone[student], students[student]
    if attack.batch == "files":  # the honest student whose file has the same name as an attacker's
        assert students["g1/honest_dup"]["score"] == FULL_MARKS
        assert report_name("g1/honest_dup") != report_name("g2/honest_dup")
        assert "g1/honest_dup" in evidence["reports"].get(report_name("g1/honest_dup"), "")
    assert honest_alone["honest_ana"] == FULL_MARKS and honest_alone["honest_bea"] < FULL_MARKS

    # (d) nothing outside the child's working directory changed
    assert evidence["changes"] == []
    assert evidence["stray_outputs"] == []
    assert [p for p in evidence["trespass"] if f"-{attack.name}" in p] == []
    assert evidence["trespass"] == []

    # (e) the grading process and its files are intact
    assert evidence["survivors"] == []
    assert evidence["connections"] == []
    assert "internal" not in evidence["log"].lower(), evidence["log"][-3000:]
    rows = evidence["gradebook"]
    assert len(rows) == len({r[0] for r in rows}) == len(students) + 1  # and last week's grade
    before, after = evidence["sentinel_grade"]
    assert before and after == before
    lines = [line.split("\t") for line in evidence["stdout"].splitlines() if line.count("\t") == 3]
    assert sorted(line[0] for line in lines) == sorted(students)
    assert "graded " in evidence["stderr"]


@pytest.mark.parametrize("batch", ["slow", "runtime", "files"])
def test_reports_escape_what_students_wrote(batch: str, batch_evidence: Callable[[str], dict[str, Any]]) -> None:
    evidence = batch_evidence(batch)
    pages = list(evidence["reports"].values()) + [evidence["index"]]
    assert pages and all("<script>alert" not in page and "<img src=x" not in page for page in pages)
    assert all(len(page) < 2_000_000 for page in pages)  # floods stay out of the reports


def test_the_honest_students_alone(honest_alone: dict[str, float]) -> None:
    assert honest_alone["honest_ana"] == honest_alone["honest_zoe"] == FULL_MARKS
    assert 0 < honest_alone["honest_bea"] < FULL_MARKS


def test_the_catalogue_covers_the_issue() -> None:
    names = {a.name for a in CATALOGUE}
    assert len(names) == len(CATALOGUE) >= 40
    assert os.path.basename(__file__).startswith("test_")
