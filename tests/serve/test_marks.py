"""Marks saved through the server: in the gradebook at once with who and when, the later of two
edits kept with the history, alike answers marked together one row each, regrades with a reason
shown as such, bad marks refused, files beside the gradebook brought up to date, and re-grading
overwriting nothing."""

from __future__ import annotations

import json
import re
import threading

from click.testing import CliRunner

from grader.cli import main
from grader.manual import MarkStore

from .conftest import HOSTILE, PAYLOAD, STUDENTS, csrf_of, signed_in


def entries(out) -> dict:
    with MarkStore(out / "gradebook.sqlite") as store:
        return {(e.student, e.task, e.criterion): e for e in store.entries("exam")}


def history(out, student: str, task: str) -> list:
    with MarkStore(out / "gradebook.sqlite") as store:
        return store.history("exam", student, task)


def rows(out) -> dict:
    return {s["student"]: s for s in json.loads((out / "results.json").read_text())["submissions"]}


def test_a_mark_is_stored_at_once_with_who_and_when_and_a_second_edit_keeps_both(server, out):
    ana, bea = signed_in(server), signed_in(server)
    csrf = csrf_of(ana.get("/mark").body)
    named = ana.post("/marker", {"csrf": csrf, "marker": "Ana <b>", "back": "/mark"})
    assert named.status == 303 and named.headers["location"] == "/mark"
    ana.cookie += "; " + named.headers["set-cookie"].split(";")[0]
    bea.cookie += "; " + f"grader-marker-{server.port}=bea"
    assert ana.post("/mark/t3/s07", {"csrf": csrf, "points.recurrence": "1", "comment.recurrence": "good"}).status == 303
    first = entries(out)[("s07", "t3", "recurrence")]  # stored before any page is asked for
    assert (first.points, first.comment, first.source) == (1, "good", "browser: Ana <b>")
    assert first.entered_at.endswith("+00:00")
    assert bea.post("/mark/t3/s07", {"csrf": csrf, "points.recurrence": "0.5", "comment.recurrence": "on second "
                                     "reading"}).status == 303
    later = entries(out)[("s07", "t3", "recurrence")]
    assert (later.points, later.source) == (0.5, "browser: bea")
    assert [(h.points, h.source) for h in history(out, "s07", "t3")] == [(1, "browser: Ana <b>"), (0.5, "browser: bea")]
    page = ana.get("/mark/t3/s07").body
    assert "Ana &lt;b&gt;" in page and "on second reading" in page and "Ana <b>" not in page


def test_an_empty_save_stores_nothing_and_moves_on(server, out):
    client = signed_in(server)
    csrf = csrf_of(client.get("/mark/t4/s01").body)
    before = entries(out)
    reply = client.post("/mark/t4/s01", {"csrf": csrf})
    assert reply.status == 303 and reply.headers["location"].startswith("/mark/t4/s02?saved=0")
    assert entries(out) == before


def test_alike_answers_are_marked_together_each_with_its_own_row(server, out):
    client = signed_in(server)
    page = client.get("/mark/t1/s01").body
    csrf = csrf_of(page)
    # s02 wrote the same words (in capitals); s04 nearly the same; s06 something else.
    assert 'value="s02" checked' in page and 'value="s03" checked' in page
    assert 'value="s04">' in page and 'value="s06"' not in page
    client.post("/mark/t1/s03", {"csrf": csrf, "points.estimate": "0", "comment.estimate": "mine"})
    reply = client.post("/mark/t1/s01", {"csrf": csrf, "points.estimate": "1", "points.cost": "1",
                                         "points.noise": "0.5", "comment.noise": "which points?",
                                         "also": ["s02", "s03", "s04"]})
    assert reply.status == 303 and "saved=11" in reply.headers["location"] and "kept=1" in reply.headers["location"]
    stored = entries(out)
    for student in ("s01", "s02", "s04"):
        assert [stored[(student, "t1", c)].points for c in ("estimate", "cost", "noise")] == [1, 1, 0.5]
        assert stored[(student, "t1", "noise")].comment == "which points?"
    assert stored[("s03", "t1", "estimate")].comment == "mine"  # marked before: left as it was
    assert stored[("s03", "t1", "cost")].points == 1
    # Only students whose answers are alike can be ticked.
    refused = client.post("/mark/t1/s01", {"csrf": csrf, "points.estimate": "1", "also": ["s06"]})
    assert refused.status == 400 and ("s06", "t1", "estimate") not in entries(out)


def test_marks_out_of_range_or_not_numbers_are_refused_and_nothing_is_stored(server, out):
    client = signed_in(server)
    csrf = csrf_of(client.get("/mark/t5/s02").body)
    before = entries(out)
    for points in ("2", "-1", "abc", "nan", "inf", "1e400"):
        reply = client.post("/mark/t5/s02", {"csrf": csrf, "points.composition": "1", "points.product": points})
        assert reply.status == 400 and "points" in reply.body, points
    bad_grid = client.post("/mark/t5/grid", {"csrf": csrf, "p:nobody:composition": "1"})
    assert bad_grid.status == 400
    no_answer = client.get("/mark/t1/s12")  # s12 wrote no answer to t1: nothing to mark
    assert no_answer.status == 404
    assert entries(out) == before


def test_regrades_need_a_reason_show_as_such_and_can_be_undone(server, out):
    client = signed_in(server)
    page = client.get("/students/s03/regrade").body
    csrf = csrf_of(page)
    q01 = next(s for s in rows(out)["s03"]["tasks"] if s["id"] == "q01")["tests"][0]
    assert q01["score"] == 0  # s03 answered "a"; the right option is "c"
    assert client.post("/students/s03/regrade", {"csrf": csrf, "task": "q01", "test": "answer", "points": "1",
                                                 "reason": " ", "action": "save"}).status == 400
    assert client.post("/students/s03/regrade", {"csrf": csrf, "task": "t2", "test": "definition", "points": "1",
                                                 "reason": "x", "action": "save"}).status == 400  # awaits marks
    assert ("s03", "q01", "answer") not in entries(out)
    reason = "the question was ambiguous <i>"
    saved = client.post("/students/s03/regrade", {"csrf": csrf, "task": "q01", "test": "answer", "points": "1",
                                                  "reason": reason, "action": "save"})
    assert saved.status == 303
    report = client.get("/students/s03").body
    assert "Regraded" in report and "the question was ambiguous &lt;i&gt;" in report and "gave 0 of 1" in report
    server.outputs.flush()
    written = (out / "reports" / "s03.html").read_text()
    assert "the question was ambiguous &lt;i&gt;" in written and "Regraded" in written
    test = next(s for s in rows(out)["s03"]["tasks"] if s["id"] == "q01")["tests"][0]
    assert test["score"] == 1 and test["message"].startswith("Regraded by your instructor: the question was")
    assert rows(out)["s03"]["meta"]["marks"][0]["regraded"] is True
    undone = client.post("/students/s03/regrade", {"csrf": csrf, "task": "q01", "test": "answer",
                                                   "action": "restore"})
    assert undone.status == 303 and ("s03", "q01", "answer") not in entries(out)
    assert [h.points for h in history(out, "s03", "q01")] == [1, None]
    assert "Regraded" not in client.get("/students/s03").body


def test_files_beside_the_gradebook_follow_the_marks(server, out):
    client = signed_in(server)
    csrf = csrf_of(client.get("/mark/t2/s09").body)
    score = rows(out)["s09"]["score"]
    client.post("/mark/t2/s09", {"csrf": csrf, "points.definition": "1", "points.gradient": "1",
                                 "comment.gradient": "clear and complete"})
    assert server.outputs.flush()
    assert abs(rows(out)["s09"]["score"] - (score + 2)) < 1e-9
    assert "clear and complete" in (out / "reports" / "s09.html").read_text()
    assert f"{score + 2:g}" in (out / "grades.csv").read_text().split("s09,", 1)[1].split("\n")[0]
    template = (out / "marks_template.csv").read_text()
    assert "s09,t2,definition" not in template and "s09,t2,practical" in template
    assert "similarity" in json.loads((out / "results.json").read_text())  # what only grade knows is kept


def test_grading_again_overwrites_no_mark(server, out, exam_class):
    client = signed_in(server)
    csrf = csrf_of(client.get("/mark/t4/s10").body)
    client.post("/mark/t4/s10", {"csrf": csrf, "points.structure": "1", "points.bottleneck": "0.5"})
    server.outputs.flush()
    again = CliRunner().invoke(main, ["grade", str(exam_class / "subs"), "--out", str(out),
                                      "--roster", str(exam_class / "roster.csv")])
    assert again.exit_code == 0, again.output
    tests = {t["name"]: t for task in rows(out)["s10"]["tasks"] if task["id"] == "t4" for t in task["tests"]}
    assert (tests["structure"]["score"], tests["bottleneck"]["score"]) == (1, 0.5)
    assert tests["uses"]["status"] == "pending"


def test_markers_saving_at_once_lose_nothing(server, out):
    """Twelve markers, each on another student, all saving at the same moment."""
    clients = [signed_in(server) for _ in STUDENTS]
    csrf = csrf_of(clients[0].get("/mark").body)
    barrier = threading.Barrier(len(STUDENTS))
    replies: dict[str, int] = {}

    def mark(client, student: str) -> None:
        barrier.wait()
        replies[student] = client.post(f"/mark/t5/{student}", {"csrf": csrf, "points.reverse": "1",
                                                               "comment.reverse": f"by {student}'s marker"}).status

    threads = [threading.Thread(target=mark, args=(c, s)) for c, s in zip(clients, STUDENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert replies == {s: 303 for s in STUDENTS}
    stored = entries(out)
    assert all(stored[(s, "t5", "reverse")].comment == f"by {s}'s marker" for s in STUDENTS)


def test_hostile_answers_leave_the_server_as_text(server):
    client = signed_in(server)
    for path in ("/mark/t1/" + HOSTILE, "/mark/t1/grid", "/students/" + HOSTILE):
        body = client.get(path).body
        assert "<script>window.__pwned" not in body and "<img src=x" not in body and "<svg onload" not in body
        if path != "/students/" + HOSTILE:  # the report shows a summary of a pending answer, not the answer
            assert "&lt;script&gt;window.__pwned" in body and "{{ 7*7 }}" in body
            assert r"\frac{\partial L}{\partial w}" in body
    assert PAYLOAD.startswith("<script>")


def test_the_grid_saves_every_changed_box_at_once_and_keeps_comments(server, out):
    client = signed_in(server)
    page = client.get("/mark/t3/grid").body
    csrf = csrf_of(page)
    assert page.count('name="p:') == 3 * len(STUDENTS) and "<pre" in page
    client.post("/mark/t3/s11", {"csrf": csrf, "points.lstm": "1", "comment.lstm": "kept through the grid"})
    reply = client.post("/mark/t3/grid", {"csrf": csrf, "p:s11:lstm": "0.5", "o:s11:lstm": "1",
                                          "p:s11:uses": "1", "o:s11:uses": "", "p:s12:uses": "", "o:s12:uses": "",
                                          "p:s10:uses": "1", "o:s10:uses": "1"})
    assert reply.status == 303 and "saved=2" in reply.headers["location"]
    stored = entries(out)
    assert (stored[("s11", "t3", "lstm")].points, stored[("s11", "t3", "lstm")].comment) == (0.5,
                                                                                            "kept through the grid")
    assert stored[("s11", "t3", "uses")].points == 1
    assert ("s12", "t3", "uses") not in stored and ("s10", "t3", "uses") not in stored


def class_row(page: str, student: str) -> str:
    """The student's row in the class page's list of every student: their score and its maximum."""
    found = re.search(rf'<a href="/students/{student}">{student}</a></td>\s*<td class="num">.*?</span></span> '
                      r"([\d.]+) / (\d+)</td>", page, re.DOTALL)
    assert found, student
    return found.group(1)


def test_the_class_page_is_live_and_links_every_student(server, out):
    client = signed_in(server)
    before = client.get("/").body
    assert all(f'href="/students/{s}"' in before for s in STUDENTS)
    csrf = csrf_of(client.get("/mark/t5/s08").body)
    client.post("/mark/t5/s08", {"csrf": csrf, "points.composition": "1", "points.product": "1"})
    after = client.get("/").body
    assert float(class_row(after, "s08")) == float(class_row(before, "s08")) + 2
    assert class_row(after, "s07") == class_row(before, "s07")
