"""Similar submissions: copies found across renamed variables, reformatting and prose; reported as
groups with one shared passage each; every step bounded (caps, a time budget), whatever a
submission holds or the size of the class; flags never change a grade."""

import json
import random
import shutil
import time

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.comparison import Background
from grader.fingerprints import normalise, token_spans
from grader.results import SCHEMA_VERSION
from grader.similarity import (
    MAX_CODE_CHARS,
    MAX_TEXT_CHARS,
    Findings,
    Work,
    find_similar,
    work_of,
)

from .conftest import ROOT

EXAM_SOLUTION = ROOT / "exercises" / "exam" / "solution.ipynb"
ORIGINAL = '''def sigmoid(x):
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def softmax(x):
    shifted = x - x.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


def tanh_prime(x):
    t = tanh(x)
    return 1.0 - t * t
'''

RENAMED = '''def sigmoid(values):
    # stable version
    tmp = np.exp(-np.abs(values))
    return np.where(values >= 0, 1.0/(1.0+tmp), tmp/(1.0+tmp))

def softmax(logits):
    moved = logits - logits.max(axis=-1, keepdims=True)
    ex = np.exp(moved)
    return ex / ex.sum(axis=-1, keepdims=True)

def tanh_prime(z):
    th = tanh(z)
    return 1.0 - th * th
'''

INDEPENDENT = '''def sigmoid(x):
    out = np.empty_like(x, dtype=float)
    positive = x >= 0
    out[positive] = 1 / (1 + np.exp(-x[positive]))
    e = np.exp(x[~positive])
    out[~positive] = e / (1 + e)
    return out


def softmax(x):
    m = np.max(x, axis=-1, keepdims=True)
    exps = np.exp(x - m)
    total = np.sum(exps, axis=-1, keepdims=True)
    return exps / total


def tanh_prime(x):
    return 1 - np.power(tanh(x), 2)
'''

PROSE = ("Stochastic gradient descent estimates the gradient on a small random mini-batch, so every update is "
         "cheap and the model improves many times per epoch; the noise of the estimate even helps it leave "
         "saddle points, which is why it is the standard way to train networks on large datasets.")
OTHER_PROSE = ("Instead of the exact gradient over all the data, SGD uses one example at a time. That makes it "
               "much faster on big problems, although the path it follows towards the minimum is erratic and the "
               "learning rate usually has to decrease over time to converge.")




def groups_of(findings: Findings, kind: str) -> dict[tuple[str, ...], object]:
    return {g.students: g for g in findings.groups if g.kind == kind}


def test_copied_code_with_renamed_variables_is_flagged_and_independent_work_is_not():
    found = find_similar([Work("ana", ORIGINAL, ()), Work("bea", RENAMED, ()), Work("carla", INDEPENDENT, ())])
    code = groups_of(found, "code")
    assert list(code) == [("ana", "bea")] and code[("ana", "bea")].similarity >= 0.8
    passage = code[("ana", "bea")].passage
    assert "softmax" in passage[0] and "logits" in passage[1]  # the shared passage as each of them wrote it
    assert not found.partial and found.compared == found.submitted == 3


def test_copied_prose_and_prose_pasted_twice_are_flagged():
    works = [Work("ana", "", (("t1", PROSE),)), Work("bea", "", (("t1", "My answer: " + PROSE),)),
             Work("carla", "", (("t1", OTHER_PROSE),)), Work("dani", "", (("t1", OTHER_PROSE), ("t2", OTHER_PROSE)))]
    text = groups_of(find_similar(works), "text")
    assert ("ana", "bea") in text and "mini-batch" in text[("ana", "bea")].passage[0]
    assert ("dani",) in text and text[("dani",)].pair == ("dani", "dani")  # the same passage twice in one submission
    assert ("carla",) not in text and not any("ana" in g and "carla" in g for g in text)


def test_the_templates_code_and_prose_are_ignored():
    template = ORIGINAL
    found = find_similar([Work("ana", ORIGINAL, (("t1", PROSE),)), Work("bea", ORIGINAL, (("t1", PROSE),))],
                         template_code=template, template_texts=(PROSE,))
    assert found.groups == ()


@pytest.mark.parametrize("spelling", [
    lambda code: code.replace("    ", "\t"),  # other indentation
    lambda code: code.replace("(", "( ").replace(", ", " ,  "),  # other spacing
    lambda code: "# my work\n" + code.replace("\n\n\n", "\n\n# --- next ---\n\n"),  # comments added
    lambda code: code.replace("x", "entrada").replace("z", "auxiliar").replace("e ", "ex "),  # names changed
    lambda code: "import numpy as np\n\n" + code + "\n\nprint(sigmoid(np.zeros(3)))\n",  # a little added
])
def test_a_copy_is_found_whatever_its_layout_or_names(spelling):
    found = find_similar([Work("ana", ORIGINAL, ()), Work("bea", spelling(ORIGINAL), ())])
    assert [g.students for g in found.groups if g.kind == "code"] == [("ana", "bea")]


def test_normalised_code_and_the_positions_used_for_passages_agree():
    code = ORIGINAL + "\nclass Net(Base):\n    '''doc\n\n    more'''\n    x = f'{y}' + r\"\\d\" + 'open\n"
    spans = token_spans(code)
    assert spans[-1, 0] < len(normalise(code)) and spans.shape[1] == 3
    assert normalise(code).count("O") >= 1 and '"S"' in normalise(code)


def program(rng: random.Random, tag: int) -> str:
    lines = []
    for j in range(8):
        lines.append(f"def task_{j}(x, y):")
        for k in range(5):
            lines.append(f"    v{k} = np.exp(x * {rng.uniform(0, 9):.4f}) {rng.choice('+-*/')} y * {rng.uniform(0, 9):.4f}")
        lines.append(f"    return v0 + v4 * {tag}")
    return "\n".join(lines)


def test_a_large_identical_group_is_one_entry_of_bounded_size():
    rng = random.Random(0)
    copied, answer = program(rng, 1), " ".join(rng.choice(["gradient", "loss", "step", "rate", "batch", "noise",
                                                                 "update", "weight"]) for _ in range(60))
    works = [Work(f"s{i:03d}", copied + f"\nscratch_{i} = {i} * 3\n", (("t1", answer),)) for i in range(300)]
    works += [Work(f"own{i:02d}", program(rng, i), ()) for i in range(20)]  # independent work
    found = find_similar(works)
    code = [g for g in found.groups if g.kind == "code"]
    text = [g for g in found.groups if g.kind == "text"]
    assert [len(g.students) for g in code] == [300] and [len(g.students) for g in text] == [300]
    for group in found.groups:  # one passage per group, each side capped
        size = len(json.dumps(group.to_json()))
        assert size < 300 * 12 + 2 * 1500 + 500, size
        assert all(len(p) <= 1500 for p in group.passage) and group.passage[0]
    assert not any(g.students[0].startswith("own") for g in found.groups)


def test_many_distinct_paragraphs_in_one_cell_are_bounded():
    rng = random.Random(1)
    text = "\n\n".join(" ".join(f"w{rng.randint(0, 10**6)}" for _ in range(16)) for _ in range(15000))
    repeated = "This same paragraph is pasted twice by the student to make the answer look longer than it is."
    text = repeated + "\n\n" + repeated + "\n\n" + text
    found = find_similar([Work("ana", "", (("t1", text),))])
    assert [g.students for g in found.groups] == [("ana",)]  # the repetition, once
    assert any("ana" in n and str(MAX_TEXT_CHARS) in n for n in found.notes)  # and what was left out
    assert len(json.dumps(found.to_json())) < 10_000


def test_work_of_caps_what_a_notebook_can_send():
    work = work_of("ana", ["x = 1\n" * 40_000, "y = 2"], [((), "t" * 100_000, "t" * 100_000)])
    assert len(work.code) <= MAX_CODE_CHARS + 10 and sum(len(t) for _, t in work.texts) <= MAX_TEXT_CHARS
    assert set(work.cut) == {"code", "text"}


def test_a_spent_budget_gives_partial_findings_that_say_so():
    works = [Work(f"s{i}", ORIGINAL, ()) for i in range(5)]
    found = find_similar(works, budget=0.0)
    assert found.partial and found.compared < found.submitted == 5
    assert "ran out of time" in found.notes[0] and "5 of 5" in found.notes[0]
    complete = find_similar(works)
    assert not complete.partial and [len(g.students) for g in complete.groups] == [5]


def test_the_background_process_streams_and_answers_with_groups():
    works = [Work(f"s{i}", ORIGINAL if i % 2 else INDEPENDENT, ()) for i in range(6)]
    found = Background([(works, None)]).result()
    assert not found.partial and sorted(g.students for g in found.groups) == [("s0", "s2", "s4"), ("s1", "s3", "s5")]


def test_grading_does_not_wait_for_a_comparison_that_never_ends(monkeypatch, tmp_path):
    import sys

    hang = tmp_path / "hang"
    hang.write_text("#!/bin/sh\ntrap '' TERM\nexec sleep 600\n")  # deaf to being asked to stop
    hang.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(hang))  # a comparison process that never answers
    background = Background([([Work("ana", ORIGINAL, ())], None)], budget=0.5)
    monkeypatch.undo()
    started = time.perf_counter()
    found = background.result(wait=1.0)
    assert time.perf_counter() - started < 15
    assert found.partial and found.groups == () and "stopped" in found.notes[0] and background.error
    assert background.proc is not None and background.proc.poll() is not None  # the process is gone


def test_a_comparison_past_grading_s_wait_answers_with_what_it_compared(monkeypatch, tmp_path):
    import sys

    slow = tmp_path / "slow"  # a comparison process that ignores the budget it is given
    slow.write_text(f"#!/bin/sh\nexec {sys.executable} -m grader.comparison 1000\n")
    slow.chmod(0o755)
    rng = random.Random(3)
    works = [Work(f"s{i:04d}", program(rng, i) * 8, ()) for i in range(3000)]
    monkeypatch.setattr(sys, "executable", str(slow))
    background = Background([(works, None)], budget=0.5)
    monkeypatch.undo()
    time.sleep(3)  # the process is comparing by now, however loaded the machine
    started = time.perf_counter()
    found = background.result(wait=0.5)
    assert time.perf_counter() - started < 20
    assert found.partial and 0 < found.compared < found.submitted == 3000, found.notes
    assert "ran out of time" in found.notes[0] and not background.error


@pytest.fixture()
def exam_class(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copy(EXAM_SOLUTION, subs / "ana.ipynb")
    shutil.copy(EXAM_SOLUTION, subs / "cris.ipynb")
    nb = json.loads(EXAM_SOLUTION.read_text())
    nb["cells"].append({"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                        "source": 'q04 = ["a", "b", "c", "d"]'})
    (subs / "bea.ipynb").write_text(json.dumps(nb))
    return subs, tmp_path / "out"


def test_results_json_and_the_class_page_report_groups(exam_class):
    subs, out = exam_class
    result = CliRunner().invoke(main, ["grade", str(subs), "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data = json.loads((out / "results.json").read_text())
    assert data["schema_version"] == SCHEMA_VERSION == "2.0" and "similar_pairs" not in data
    similarity = data["similarity"]
    assert set(similarity) == {"groups", "partial", "notes", "compared", "submitted"}
    assert similarity["partial"] is False and similarity["compared"] == similarity["submitted"] == 3
    for group in similarity["groups"]:
        assert set(group) == {"kind", "students", "similarity", "pair", "passage"}
        assert group["kind"] in ("code", "text") and set(group["pair"]) <= set(group["students"])
        assert len(group["passage"]) == 2 and 0 < group["similarity"] <= 1
    assert any(g["kind"] == "text" and {"ana", "cris"} <= set(g["students"]) for g in similarity["groups"])
    page = (out / "index.html").read_text()
    assert 'id="similar"' in page and 'id="similar-partial"' not in page
    # flags never change a grade
    scores = {s["student"]: s["score"] for s in data["submissions"]}
    assert scores["cris"] == scores["ana"]


def test_code_and_prose_that_are_not_valid_text_are_compared_and_quoted_as_valid_text():
    code = "x\ud800 = y + 1\n" * 30
    prose = "\ud800 el gradiente \x00 " * 40
    found = find_similar([Work("ana", code, (("t1", prose),)), Work("bea", code, (("t1", prose),))])
    assert sorted(g.kind for g in found.groups) == ["code", "text"]
    for group in found.groups:
        text = json.dumps(group.to_json(), ensure_ascii=False)
        text.encode("utf-8")  # nothing left that cannot be written
        assert "\x00" not in "".join(group.passage)


def test_the_index_stops_growing_at_its_cap_and_says_so(monkeypatch):
    from grader import similarity

    monkeypatch.setattr(similarity, "MAX_INDEXED", 3)
    rng = random.Random(2)
    works = [Work(f"own{i}", program(rng, i), ()) for i in range(6)] + [Work("late", ORIGINAL, ()),
                                                                        Work("copy", ORIGINAL, ())]
    comparer = similarity.Comparer()
    for work in works:
        comparer.add(work)
    assert len(comparer.code.kept) == 3  # memory bounded whatever the class size
    found = comparer.findings()
    assert any("compared with the first 3 only" in n for n in found.notes)
    early = find_similar([Work("ana", ORIGINAL, ()), Work("bea", RENAMED, ())] + works[:6])
    assert [g.students for g in early.groups] == [("ana", "bea")]  # copies among the indexed are still found
