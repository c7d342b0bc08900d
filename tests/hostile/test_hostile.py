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
from .world import FULL_MARKS, got_of, messages, user_level

LEVEL = isolation.detect()
HONEST = ("honest_ana", "honest_bea", "honest_zoe")
# Run as root, every batch is graded twice: by root (full isolation) and by an ordinary user from
# the environment in their home (user namespaces), as most instructors grade.
WHO = ("root", "user") if os.geteuid() == 0 else ("root",)
USER_LEVEL = user_level() if "user" in WHO else LEVEL


def _students(evidence: dict[str, Any]) -> dict[str, dict[str, Any]]:
    assert evidence["results"] is not None, "no results.json was written:\n" + evidence["stderr"][-3000:]
    return {s["student"]: s for s in evidence["results"]["submissions"]}


def _skip(who: str, attack: Attack | None = None) -> str | None:
    level = LEVEL if who == "root" else USER_LEVEL
    if who == "user" and level not in ("full", "userns"):
        return "ordinary users get no user namespaces on this machine (grade refuses basic isolation)"
    if attack is not None and attack.full_only and level != "full":
        return "needs full isolation"
    return None


def _cases() -> list[Any]:
    marks = []
    for who in WHO:
        for attack in CATALOGUE:
            reason = _skip(who, attack)
            marks.append(pytest.param(who, attack, id=f"{who}-{attack.batch}-{attack.name}",
                                      marks=pytest.mark.skip(reason=reason) if reason else ()))
    return marks


@pytest.mark.parametrize("who, attack", _cases())
def test_hostile_notebook_is_contained(who: str, attack: Attack, batch_evidence: Callable[..., dict[str, Any]],
                                       honest_alone: dict[str, float]) -> None:
    evidence = batch_evidence(attack.batch, who)
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
    assert evidence["numpy_intact"]
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


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("batch", ["slow", "runtime", "files"])
def test_reports_escape_what_students_wrote(batch: str, who: str, batch_evidence: Callable[..., dict[str, Any]]) -> None:
    if _skip(who):
        pytest.skip(_skip(who))
    evidence = batch_evidence(batch, who)
    pages = list(evidence["reports"].values()) + [evidence["index"]]
    assert pages and all("<script>alert" not in page and "<img src=x" not in page for page in pages)
    assert all(len(page) < 2_000_000 for page in pages)  # floods stay out of the reports


def test_the_honest_students_alone(honest_alone: dict[str, float]) -> None:
    assert honest_alone["honest_ana"] == honest_alone["honest_zoe"] == FULL_MARKS
    assert 0 < honest_alone["honest_bea"] < FULL_MARKS


def test_the_user_runs_get_the_isolation_they_claim() -> None:
    """Graded by an ordinary user, the grader runs as them, at the level they are allowed."""
    if "user" not in WHO:
        pytest.skip("not run as root: the tests' own user is the ordinary user")
    assert USER_LEVEL in ("userns", "basic")  # never "full": no uid of its own without root


def test_the_catalogue_covers_the_issue() -> None:
    names = {a.name for a in CATALOGUE}
    assert len(names) == len(CATALOGUE) >= 40
    assert os.path.basename(__file__).startswith("test_")
