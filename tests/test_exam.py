"""Exam questions: choice answers and partial credit, per-student shuffling, rubric suggestions,
and instructors' marks merged without being overwritten."""

import csv
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.exam import mentions, parse_letters, score_choice, suggest
from grader.exercise import Choice, Criterion, Option
from grader.i18n import Text
from grader.keys import permutation

from .conftest import ROOT

EXAM_SOLUTION = ROOT / "exercises" / "exam" / "solution.ipynb"


def opts(*correct: bool) -> tuple[Option, ...]:
    return tuple(Option(str(i), Text(str(i), str(i)), c) for i, c in enumerate(correct))


@pytest.mark.parametrize("value, chosen", [("b", (1,)), ("B)", (1,)), (" (b) ", (1,)), (["a", "c"], (0, 2)),
                                           ("a, c", (0, 2)), ("a c a", (0, 2))])
def test_letters_are_read_in_the_usual_ways(value, chosen):
    assert parse_letters(value, 4, True, None).chosen == chosen


def test_letters_go_through_the_order_the_student_saw():
    assert parse_letters("a", 4, False, [2, 0, 3, 1]).chosen == (2,)
    assert parse_letters("a", 4, False, [9, 9, 9, 9]).chosen == (0,)  # a tampered order is ignored


@pytest.mark.parametrize("value", [3, "e", "ab", ["a", 1]])
def test_unreadable_answers_are_problems_not_crashes(value):
    assert parse_letters(value, 4, True, None).problem is not None


def test_several_letters_for_a_single_answer_question_are_refused():
    assert parse_letters("a b", 4, False, None).problem is not None


def test_partial_credit_rules():
    multi = Choice(opts(True, True, True, False, False), multiple=True, scoring="right_minus_wrong")
    assert score_choice(multi, (0, 1, 2), 2) == 2
    assert score_choice(multi, (0, 1), 2) == pytest.approx(4 / 3, abs=1e-3)
    assert score_choice(multi, (0, 1, 2, 3), 2) == pytest.approx(1.0)
    assert score_choice(multi, (3, 4), 2) == 0  # never below zero
    strict = Choice(opts(True, True, False), multiple=True)
    assert score_choice(strict, (0,), 1) == 0 and score_choice(strict, (0, 1), 1) == 1


def test_permutations_are_per_student_reproducible_and_need_the_secret():
    secret, other = b"s" * 32, b"t" * 32
    a = permutation(secret, "exam", "ana", "q1", 5)
    assert a == permutation(secret, "exam", "ana", "q1", 5) and sorted(a) == list(range(5))
    assert any(permutation(secret, "exam", s, "q1", 5) != a for s in ("bea", "carlos", "dani", "eva"))
    # Without the secret, knowing the exercise, the student and the question does not give the order.
    assert any(permutation(other, "exam", "ana", q, 5) != permutation(secret, "exam", "ana", q, 5)
               for q in ("q1", "q2", "q3"))


def test_concepts_match_without_accents_case_or_endings():
    assert mentions("Evita el DESVANECIMIENTO del gradiente", "desvanec")
    assert mentions("It uses mini-batches", "mini-batch")
    assert not mentions("a big model", "big data")
    criterion = Criterion("c", 2, Text("", ""), (("encoder", "codificador"), ("decoder", "decodificador")))
    assert suggest(criterion, "Un codificador y nada más").points == 1
    assert suggest(criterion, "encoder and decoder").points == 2


def grade(subs: Path, out: Path, *extra: str) -> dict:
    result = CliRunner().invoke(main, ["grade", str(subs), "--out", str(out), *extra], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return {s["student"]: s for s in json.loads((out / "results.json").read_text())["submissions"]}


def by_test(sub: dict) -> dict:
    return {f"{t['id']}:{x['name']}": x for t in sub["tasks"] for x in t["tests"]}


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("exam")
    (tmp / "roster.csv").write_text("student,email\nana,a@x\nbea,b@x\n")
    result = CliRunner().invoke(main, ["release", "exam", "--out", str(tmp / "rel"), "--students",
                                       str(tmp / "roster.csv"), "--lang", "es"])
    assert result.exit_code == 0, result.output
    return tmp


def shown_order(nb: dict, lang: str = "es") -> dict[str, list[int]]:
    """The order each choice question's options are shown in, read from the notebook's question
    cells as a student reads them."""
    from grader.library import load

    exam = load("exam")
    found = {}
    for cell in nb["cells"]:
        tags = cell.get("metadata", {}).get("tags", [])
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        for tag in tags:
            if tag.startswith("choice:"):
                task = exam.task(tag[len("choice:"):])
                texts = [line.split(")** ", 1)[1] for line in src.split("\n") if line.startswith("- **")]
                options = [o.text(lang) for o in task.choice.options]
                found[task.id] = [options.index(text) for text in texts]
    return found


def answer(nb: dict, order: dict[str, list[int]], right: bool = True) -> dict:
    """Fill a released notebook with the right letters (or wrong ones) for `order`."""
    from grader.library import load

    exam = load("exam")
    for cell in nb["cells"]:
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        for task in exam.tasks:
            if task.kind == "choice" and src.startswith(f'{task.id} = ""'):
                seen = order.get(task.id, list(range(len(task.choice.options))))
                letters = [chr(97 + pos) for pos, i in enumerate(seen) if task.choice.options[i].correct == right]
                cell["source"] = f"{task.id} = {letters!r}" if task.choice.multiple else f"{task.id} = {letters[0]!r}"
    return nb


def answer_right(nb: dict) -> dict:
    """Fill a released (shuffled) notebook with the right letters for the order it shows."""
    return answer(nb, shown_order(nb))


def test_release_per_student_shuffles_and_records_the_key(released):
    rel = released / "rel"
    ana = json.loads((rel / "ana" / "exam.ipynb").read_text())
    bea = json.loads((rel / "bea" / "exam.ipynb").read_text())
    assert shown_order(ana) != shown_order(bea)
    assert "shuffle" not in ana["metadata"]["grader"]  # the order is the instructor's, not the notebook's
    keys = list(csv.DictReader((rel / "keys.csv").open()))
    assert {k["student"] for k in keys} == {"ana", "bea"} and {"question", "letter", "option"} <= set(keys[0])
    assert "Una respuesta" in json.dumps(ana)  # question cells rendered in the language asked for


def test_a_shuffled_notebook_answered_right_scores_every_choice_point(released, tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    for who in ("ana", "bea"):
        nb = answer_right(json.loads((released / "rel" / who / "exam.ipynb").read_text()))
        (subs / f"{who}.ipynb").write_text(json.dumps(nb))
    results = grade(subs, tmp_path / "out", "--keys", str(released / "rel" / "keys.csv"))
    for who in ("ana", "bea"):
        tests = by_test(results[who])
        choice = [t for k, t in tests.items() if k.startswith("q")]
        assert all(t["status"] == "passed" for t in choice), [t["message"] for t in choice if t["status"] != "passed"]
        written = [t for k, t in tests.items() if k.startswith("t")]
        assert all(t["status"] == "error" for t in written)  # no written answers given


@pytest.fixture()
def exam_class(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copy(EXAM_SOLUTION, subs / "ana.ipynb")
    nb = json.loads(EXAM_SOLUTION.read_text())
    nb["cells"].append({"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                        "source": 'q04 = ["a", "b", "c", "d"]'})
    (subs / "bea.ipynb").write_text(json.dumps(nb))
    return subs, tmp_path / "out"


def test_written_answers_wait_for_marks_and_marks_survive_regrading(exam_class, tmp_path):
    subs, out = exam_class
    first = grade(subs, out)
    t1 = by_test(first["ana"])["t1:estimate"]
    assert t1["status"] == "pending" and t1["score"] == 0 and t1["suggested"] == 1
    assert "Suggestion" in t1["message"]
    q04 = by_test(first["bea"])["q04:answer"]
    assert q04["score"] == 1.0 and q04["misconception"] == "q04:centred" and "tanh" in q04["hint"]
    template = list(csv.DictReader((out / "marks_template.csv").open()))
    assert {"student", "task", "criterion", "points", "suggested"} <= set(template[0])

    marks = tmp_path / "marks.csv"
    marks.write_text("student,task,criterion,points,comment\nana,t1,estimate,1,clear\nana,t1,cost,0.5,\n"
                     "bea,q04,answer,2,accepted after review\n")
    merged = grade(subs, out, "--manual", str(marks))
    assert by_test(merged["ana"])["t1:estimate"]["score"] == 1
    assert by_test(merged["ana"])["t1:cost"]["status"] == "failed" and by_test(merged["ana"])["t1:cost"]["score"] == 0.5
    assert by_test(merged["bea"])["q04:answer"]["score"] == 2
    assert merged["ana"]["score"] == first["ana"]["score"] + 1.5

    # The student's notebook changes and is graded again: the marks stay.
    nb = json.loads((subs / "ana.ipynb").read_text())
    nb["cells"].append({"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": "x = 1"})
    (subs / "ana.ipynb").write_text(json.dumps(nb))
    again = grade(subs, out)
    assert by_test(again["ana"])["t1:estimate"]["score"] == 1 and by_test(again["bea"])["q04:answer"]["score"] == 2


def test_marks_in_yaml(exam_class, tmp_path):
    subs, out = exam_class
    marks = tmp_path / "marks.yaml"
    marks.write_text("ana:\n  t2:\n    definition: 1\n    gradient: {points: 0.5, comment: 'say why'}\n")
    results = grade(subs, out, "--manual", str(marks))
    assert by_test(results["ana"])["t2:gradient"]["score"] == 0.5


@pytest.mark.parametrize("content, words", [
    ("student,task,criterion,points\nana,t9,x,1\n", "no task 't9'"),
    ("student,task,criterion,points\nana,t1,nope,1\n", "no criterion 'nope'"),
    ("student,task,criterion,points\nana,t1,estimate,7\n", "outside 0..1"),
    ("student,task,criterion,points\nana,t1,estimate,lots\n", "row 2"),
    ("name,score\nana,1\n", "needs the columns"),
])
def test_bad_marks_files_are_refused_naming_the_file_and_row(exam_class, tmp_path, content, words):
    subs, out = exam_class
    marks = tmp_path / "bad.csv"
    marks.write_text(content)
    result = CliRunner().invoke(main, ["grade", str(subs), "--out", str(out), "--manual", str(marks)])
    assert result.exit_code == 2 and words in result.output and "bad.csv" in result.output
