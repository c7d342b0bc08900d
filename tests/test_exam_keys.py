"""The order of a student's choice options comes from the release's keys and the student's id,
never from the notebook: copying a classmate's letters with their metadata, deleting or forging
the metadata, or grading under an id the keys do not know never gives marks by the written
order. No shape of a submission's metadata makes grading fail."""

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.exam import parse_letters, score_choice
from grader.keys import Keys, Orders, orders_for, read_keys, released_per_student
from grader.library import load

from .test_exam import answer, by_test, shown_order

EXAM = load("exam")
CHOICES = [task for task in EXAM.tasks if task.kind == "choice"]
STUDENTS = ["ana", "bea", "cris", "dani", "eva", "fede", "gus"]
SHAPES = [f"m{i:02d}" for i in range(22)]


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("keys")
    (tmp / "roster.csv").write_text("student\n" + "\n".join(STUDENTS + SHAPES) + "\n")
    result = CliRunner().invoke(main, ["release", "exam", "--out", str(tmp / "rel"), "--students",
                                       str(tmp / "roster.csv"), "--lang", "es"])
    assert result.exit_code == 0, result.output
    return tmp / "rel"


def released(rel: Path, who: str) -> dict:
    return json.loads((rel / who / "exam.ipynb").read_text())


def grade(subs: Path, out: Path, *extra: str) -> tuple[dict, dict]:
    result = CliRunner().invoke(main, ["grade", str(subs), "--out", str(out), *extra], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data = json.loads((out / "results.json").read_text())
    return {s["student"]: s for s in data["submissions"]}, data


def choice_points(sub: dict) -> float:
    return sum(t["score"] for k, t in by_test(sub).items() if k.startswith("q"))


FULL = sum(task.max_score for task in CHOICES)


def letters_of(nb: dict) -> dict[str, object]:
    found = {}
    for cell in nb["cells"]:
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        for task in CHOICES:
            if cell["cell_type"] == "code" and src.startswith(f"{task.id} = "):
                found[task.id] = json.loads(src.split(" = ", 1)[1].replace("'", '"'))
    return found


def worth(letters: dict[str, object], order: dict[str, list[int]]) -> float:
    """What these letters score when read through `order`."""
    total = 0.0
    for task in CHOICES:
        parsed = parse_letters(letters[task.id], len(task.choice.options), task.choice.multiple, order[task.id])
        total += score_choice(task.choice, parsed.chosen, task.max_score)
    return total


def write(subs: Path, who: str, nb: dict) -> None:
    subs.mkdir(exist_ok=True)
    (subs / f"{who}.ipynb").write_text(json.dumps(nb))


def test_copying_a_classmates_letters_and_their_order_metadata_gives_what_the_letters_are_worth(release, tmp_path):
    subs = tmp_path / "subs"
    bea = answer(released(release, "bea"), shown_order(released(release, "bea")))
    write(subs, "bea", bea)
    # Ana hands in Bea's letters with Bea's metadata, including the order as older releases recorded it.
    ana = released(release, "ana")
    copied = answer(ana, shown_order(released(release, "bea")))
    copied["metadata"] = json.loads(json.dumps(bea["metadata"]))
    copied["metadata"]["grader"]["shuffle"] = shown_order(released(release, "bea"))
    write(subs, "ana", copied)
    results, _ = grade(subs, tmp_path / "out", "--keys", str(release / "keys.csv"))
    assert choice_points(results["bea"]) == FULL
    expected = worth(letters_of(copied), shown_order(released(release, "ana")))
    assert choice_points(results["ana"]) == pytest.approx(expected) and expected < FULL


@pytest.mark.parametrize("who, change, right", [
    # the canonical letters, with an identity order written into the metadata
    ("cris", lambda nb: nb["metadata"]["grader"].update(shuffle={t.id: list(range(len(t.choice.options)))
                                                                for t in CHOICES}), "canonical"),
    # the canonical letters, with the order deleted and the notebook's own marks of its release gone
    ("dani", lambda nb: nb["metadata"].update(grader={"exercise": "exam"}), "canonical"),
    # the same forged order put in a cell's metadata instead
    ("eva", lambda nb: nb["cells"][0]["metadata"].update(grader={"shuffle": {t.id: list(range(len(t.choice.options)))
                                                                           for t in CHOICES}}), "canonical"),
    # the student's own right letters, the metadata stripped bare: still read through their keys
    ("fede", lambda nb: nb.update(metadata={}), "own"),
    # the student's own right letters, the notebook claiming to be someone else's
    ("gus", lambda nb: nb["metadata"]["grader"].update(student="bea"), "own"),
])
def test_the_order_comes_from_the_keys_whatever_the_notebook_says(release, tmp_path, who, change, right):
    nb = released(release, who)
    canonical = {t.id: list(range(len(t.choice.options))) for t in CHOICES}
    nb = answer(nb, canonical if right == "canonical" else shown_order(nb))
    change(nb)
    write(tmp_path / "subs", who, nb)
    results, _ = grade(tmp_path / "subs", tmp_path / "out", "--keys", str(release / "keys.csv"), "--exercise", "exam")
    expected = worth(letters_of(nb), shown_order(released(release, who)))
    assert choice_points(results[who]) == pytest.approx(expected)
    if right == "own":
        assert expected == FULL
    else:
        assert expected < FULL  # the written order is worth nothing special


def test_an_id_the_keys_do_not_know_is_not_marked_and_the_class_page_says_so(release, tmp_path):
    subs = tmp_path / "subs"
    # Zoe was not in the release's roster; her letters are right in the order the exercise writes.
    canonical = {t.id: list(range(len(t.choice.options))) for t in CHOICES}
    write(subs, "zoe", answer(released(release, "ana"), canonical))
    write(subs, "ana", answer(released(release, "ana"), shown_order(released(release, "ana"))))
    results, _ = grade(subs, tmp_path / "out", "--keys", str(release / "keys.csv"))
    zoe = by_test(results["zoe"])
    choice = [t for k, t in zoe.items() if k.startswith("q")]
    assert choice and all(t["status"] == "error" and t["score"] == 0 for t in choice)
    assert all("zoe" in t["message"] and "keys.csv" in t["message"] for t in choice)
    assert results["zoe"]["meta"]["choice_order_unknown"] == sorted(t.id for t in CHOICES)
    assert choice_points(results["ana"]) == FULL and "choice_order_unknown" not in results["ana"]["meta"]
    page = (tmp_path / "out" / "index.html").read_text()
    flagged = page.split('id="flagged"')[1].split("</section>")[0]
    assert "zoe" in flagged and "choices not marked" in flagged and "ana" not in flagged


def test_without_keys_a_notebook_released_per_student_is_not_marked_by_the_written_order(release, tmp_path):
    subs = tmp_path / "subs"
    ana = released(release, "ana")
    canonical = {t.id: list(range(len(t.choice.options))) for t in CHOICES}
    write(subs, "ana", answer(ana, canonical))
    results, _ = grade(subs, tmp_path / "out")
    choice = [t for k, t in by_test(results["ana"]).items() if k.startswith("q")]
    assert all(t["status"] == "error" and "--keys" in t["message"] for t in choice)
    # Given the keys afterwards, the notebook is graded again (not answered from the gradebook).
    write(subs, "ana", answer(released(release, "ana"), shown_order(ana)))
    results, _ = grade(subs, tmp_path / "out", "--keys", str(release / "keys.csv"))
    assert choice_points(results["ana"]) == FULL


def test_a_notebook_released_to_everyone_in_one_order_needs_no_keys(tmp_path):
    out = tmp_path / "rel"
    assert CliRunner().invoke(main, ["release", "exam", "--out", str(out)]).exit_code == 0
    nb = json.loads((out / "exam.ipynb").read_text())
    assert not released_per_student(nb["metadata"]["grader"]) and not (out / "keys.csv").exists()
    write(tmp_path / "subs", "ana", answer(nb, shown_order(nb, "en")))
    results, _ = grade(tmp_path / "subs", tmp_path / "out")
    assert choice_points(results["ana"]) == FULL


def test_releasing_again_into_the_same_folder_keeps_every_order(release, tmp_path):
    before = (release / "keys.csv").read_text()
    secret = release / "release.secret"
    assert secret.stat().st_mode & 0o077 == 0  # the instructor's alone
    (tmp_path / "roster.csv").write_text("student\nana\nbea\nlate\n")
    result = CliRunner().invoke(main, ["release", "exam", "--out", str(release), "--students",
                                       str(tmp_path / "roster.csv"), "--lang", "es"])
    assert result.exit_code == 0, result.output
    rows = {(r["student"], r["question"], r["letter"]): r["option"]
            for r in csv.DictReader(before.splitlines())}
    again = {(r["student"], r["question"], r["letter"]): r["option"]
             for r in csv.DictReader((release / "keys.csv").read_text().splitlines())}
    assert all(again[k] == v for k, v in rows.items() if k[0] in ("ana", "bea"))
    # restore the module's keys for the other tests
    (release / "keys.csv").write_text(before)


@pytest.mark.parametrize("content, words", [
    ("name,question\nana,q01\n", "needs the columns"),
    ("student,question,letter,option\n", "holds no orders"),
    ("student,question,letter,option\nana,q01,a,xor\nana,q01,a,or\n", "row 3"),
    ("student,question,letter,option\nana,q01,ab,xor\n", "row 2"),
    ("student,question,letter,option\nana,q01\n", "row 2"),
    ("student,question,letter,option\nana,q01,a," + "x" * 200_000 + "\n", "not a readable CSV"),
])
def test_bad_keys_files_are_refused_naming_the_file_and_row(tmp_path, content, words):
    keys = tmp_path / "bad.csv"
    keys.write_text(content)
    (tmp_path / "subs").mkdir()
    result = CliRunner().invoke(main, ["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "out"),
                                       "--keys", str(keys)])
    assert result.exit_code == 2 and words in result.output and "bad.csv" in result.output


def test_a_keys_file_that_is_not_text_or_not_there_is_refused(tmp_path):
    (tmp_path / "bin.csv").write_bytes(b"\xff\xfe\x00student")
    for path in (tmp_path / "bin.csv", tmp_path / "missing.csv", tmp_path):
        result = CliRunner().invoke(main, ["grade", str(tmp_path), "--out", str(tmp_path / "out"), "--keys", str(path)])
        assert result.exit_code == 2 and path.name in result.output


def test_keys_that_contradict_the_exercise_leave_that_question_unmarked(tmp_path):
    q01 = EXAM.task("q01")
    ids = [o.id for o in q01.choice.options]
    rows = [f"ana,q01,{letter},{option}" for letter, option in zip("abcd", reversed(ids))]
    rows += ["bea,q01,a,xor", "bea,q01,b,xor", "bea,q01,c,or", "bea,q01,d,and"]  # one option twice
    path = tmp_path / "keys.csv"
    path.write_text("student,question,letter,option\n" + "\n".join(rows) + "\n")
    keys = read_keys(path)
    ana, bea = keys.orders("ana", EXAM), keys.orders("bea", EXAM)
    assert ana.order("q01", q01.choice) == list(reversed(range(len(ids))))
    assert "q02" in ana.unknown and "q01" not in ana.unknown  # a question the keys leave out is not guessed
    assert bea.order("q01", q01.choice) is None and "bea" in bea.unknown["q01"].en


def test_orders_never_fall_back_to_the_written_order_for_a_shuffled_question():
    q01 = EXAM.task("q01")
    keys = Keys(Path("keys.csv"), {"ana": {}}, "x")
    assert orders_for(keys, "zoe", EXAM, False).order("q01", q01.choice) is None
    assert orders_for(None, "zoe", EXAM, True).order("q01", q01.choice) is None
    assert orders_for(None, "zoe", EXAM, False).order("q01", q01.choice) == list(range(len(q01.choice.options)))
    assert Orders(read_only=True).order("q01", q01.choice) is None


def shapes() -> list:
    """Metadata a notebook may carry, one shape per student: none may make grading fail."""
    q = [t.id for t in CHOICES]
    huge = list(range(1_000_000))
    deep: object = 0
    for _ in range(200):
        deep = [deep]
    return [
        lambda nb: nb["metadata"]["grader"].update(shuffle={k: [0.0, 1.0, 2.0, 3.0] for k in q}),
        lambda nb: nb["metadata"]["grader"].update(shuffle={k: [0, "1", None, 3.5, True] for k in q}),
        lambda nb: nb["metadata"]["grader"].update(shuffle={k: [[0], [1], [2], [3]] for k in q}),
        lambda nb: nb["metadata"]["grader"].update(shuffle={k: huge for k in q[:2]}),
        lambda nb: nb["metadata"]["grader"].update(shuffle={"": [0], "q01": {"a": 1}, "q02": "dcba", "q03": 7}),
        lambda nb: nb["metadata"]["grader"].update(shuffle=[[1, 0, 2, 3]] * 13),
        lambda nb: nb["metadata"]["grader"].update(shuffle="q01:dcba"),
        lambda nb: nb["metadata"]["grader"].update(shuffle={k: [-1, 10**30, float("1e308"), -0.0] for k in q}),
        lambda nb: nb["metadata"]["grader"].update(shuffle={k: deep for k in q}),
        lambda nb: nb["metadata"].update(grader="exam"),
        lambda nb: nb["metadata"].update(grader=["exam", {"shuffle": {}}]),
        lambda nb: nb["metadata"]["grader"].update(exercise=["exam"], version={"v": 1}, student={"id": 3}),
        lambda nb: nb["metadata"]["grader"].update(exercise="x" * 100_000),
        lambda nb: nb["metadata"]["grader"].update(exercise="../../exercises/exam", student=None),
        lambda nb: nb.update(metadata=["grader", {"shuffle": 1}]),
        lambda nb: nb["metadata"].update(kernelspec="python", language_info=[1, 2], widgets={"x": deep}),
        lambda nb: [c.update(metadata="tags") for c in nb["cells"]],
        lambda nb: [c["metadata"].update(tags="choice:q01") for c in nb["cells"]],
        lambda nb: [c["metadata"].update(tags=[1, None, {"t": "q01"}, ["choice:q02"]]) for c in nb["cells"]],
        lambda nb: [c["metadata"].update(grader={"prompt": 5, "shuffle": [0.5]}) for c in nb["cells"]],
        lambda nb: [c.update(id=12345) for c in nb["cells"]],
        lambda nb: nb["metadata"]["grader"].update({"shuffle\ud800": [1], "\x00": "\x00"}),
    ]


def test_no_shape_of_metadata_gives_an_internal_grader_error(release, tmp_path):
    subs = tmp_path / "subs"
    changes = shapes()
    assert len(changes) == len(SHAPES)
    for who, change in zip(SHAPES, changes):
        nb = released(release, who)
        nb = answer(nb, shown_order(nb))
        change(nb)
        write(subs, who, nb)
    results, _ = grade(subs, tmp_path / "out", "--keys", str(release / "keys.csv"), "--exercise", "exam")
    assert set(results) == set(SHAPES)
    for who in SHAPES:
        sub = results[who]
        text = json.dumps(sub, ensure_ascii=False)
        assert "internal" not in text and "interno" not in text, (who, sub.get("error"))
        assert sub["status"] == "graded", (who, sub.get("error"))
        assert choice_points(sub) == FULL, who  # the keys decide, whatever the metadata says
    log = tmp_path / "out" / "grader.log"
    assert not log.exists() or "internal error" not in log.read_text()
