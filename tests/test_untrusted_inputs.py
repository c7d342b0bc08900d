"""One class download in which every trick with names, text and files sits beside honest students.

The batch is graded once through the command line. It must finish, write every output, list what
it refused, and leave the honest students' grades exactly as they are when graded alone.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sqlite3
import struct
import time
import warnings
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.report import report_name

from .conftest import ROOT

SAMPLES = ROOT / "examples" / "submissions"
SOLUTION = json.loads((ROOT / "exercises" / "activations" / "solution.ipynb").read_text(encoding="utf-8"))
DERIVATIONS = json.loads((ROOT / "exercises" / "derivations" / "solution.ipynb").read_text(encoding="utf-8"))
HONEST = ("ana_correct", "bruno_partly_wrong", "gabi_magics")
LONG = "x" * 200  # two students whose names agree in their first 200 characters


def invoke(*args: object) -> object:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def sample(name: str) -> dict:
    return json.loads((SAMPLES / f"{name}.ipynb").read_text(encoding="utf-8"))


def with_cell(nb: dict, source: str, kind: str = "code", **extra: object) -> dict:
    nb = json.loads(json.dumps(nb))
    cell = {"cell_type": kind, "metadata": {}, "source": source, **extra}
    if kind == "code":
        cell.update(outputs=[], execution_count=None)
    nb["cells"].append(cell)
    return nb


def dumped(nb: dict) -> bytes:
    return json.dumps(nb).encode()  # lone surrogates travel as \ud800 escapes, valid JSON


def hostile_notebooks() -> dict[str, bytes]:
    """Each a way for a student's text to be unwritable, a notebook of the class."""
    metadata = json.loads(json.dumps(SOLUTION))
    metadata["metadata"]["grader"]["student"] = "\ud800"
    metadata["metadata"]["kernelspec"]["name"] = "python\ud800"
    metadata["cells"][1]["metadata"]["tags"] = ["\udcff"]
    metadata["cells"][1]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "\ud800"}]
    derivations = json.loads(json.dumps(DERIVATIONS))
    for cell in derivations["cells"]:
        if "d_tanh" in cell["metadata"].get("tags", []):
            cell["source"] = "**tanh′(x)**\n\n$1 - \\tanh(x)^2$ \ud800"
    derivations = with_cell(derivations, 'd_relu = "\\ud800"')
    return {
        "shell_surrogate.ipynb": dumped(with_cell(SOLUTION, "!echo \ud800 hi")),
        "nul_source.ipynb": dumped(with_cell(SOLUTION, "x = 1\x00")),
        "printed_surrogates.ipynb": dumped(with_cell(SOLUTION, 'print("\\ud800 \\udcff")\nraise ValueError("\\udcff")')),
        "returns_surrogate.ipynb": dumped(with_cell(SOLUTION, 'def relu(x):\n    return "\\ud800"')),
        "metadata_surrogates.ipynb": dumped(metadata),
        "markdown_surrogate.ipynb": dumped(derivations),
        '=HYPERLINK("evil.example","x").ipynb': dumped(SOLUTION),
        "@SUM(1+1).ipynb": dumped(SOLUTION),
        "+1+cmd.ipynb": dumped(SOLUTION),
        "-2+3.ipynb": dumped(SOLUTION),
        f"{LONG}_a.ipynb": dumped(SOLUTION),
        f"{LONG}_b.ipynb": dumped(sample("bruno_partly_wrong")),
        **other_findings(),
    }


def _derivations_with(answers: dict[str, str], markdown: str | None = None) -> dict:
    nb = json.loads(json.dumps(DERIVATIONS))
    for cell in nb["cells"]:
        if markdown is not None and "d_tanh" in cell["metadata"].get("tags", []):
            cell["source"] = markdown
    return with_cell(nb, "\n".join(f"{name} = {text!r}" for name, text in answers.items()))


def _paragraphs(count: int) -> str:
    import random

    rng = random.Random(7)
    words = [f"w{k}" for k in range(5000)]
    return "\n\n".join(" ".join(rng.choice(words) for _ in range(16)) for _ in range(count))


def other_findings() -> dict[str, bytes]:
    """The rest of the ways a student's input went wrong before, in the same batch."""
    exam = json.loads((ROOT / "exercises" / "exam" / "solution.ipynb").read_text(encoding="utf-8"))
    exam["metadata"].setdefault("grader", {})["shuffle"] = {"q1": [0.0, 1.0, "x", [2]], "q2": list(range(10**4))}
    forbidden = with_cell(SOLUTION, "import numpy._core.umath as um\nimport torch\n"
                                    "def tanh(x):\n    return um.tanh(x)\n"
                                    "def sigmoid(x):\n    return torch.from_numpy(np.asarray(x, dtype=float)).sigmoid().numpy()\n")
    return {
        # a formula search that was quadratic, and LaTeX whose parser was exponential
        "regex_bomb.ipynb": dumped(_derivations_with({}, "\\[" * 200_000)),
        "latex_bars.ipynb": dumped(_derivations_with({}, "$" + "|" * 24 + "x" + "|" * 24 + "$")),
        # a wrong piecewise answer that agreed with ReLU' on the old fixed points; a hidden wrong answer
        "piecewise.ipynb": dumped(_derivations_with({"d_relu": "Piecewise((0, x < 0), (1, x < 2.5), (7, True))",
                                                     "grad_mse_l2": "-2*x*(y - w*x) + lam*w"})),
        # one answer of 15 000 distinct paragraphs for the similarity step
        "paragraphs.ipynb": dumped(with_cell(SOLUTION, _paragraphs(15_000), kind="markdown")),
        # the same function under another name
        "forbidden_alias.ipynb": dumped(forbidden),
        # an exam whose option order the notebook claims, malformed
        "exam_shuffle.ipynb": dumped(exam),
    }


REFUSED = {  # member → a word of the reason it is refused
    "ctrl\x01name.ipynb": "control character",
    "L" * 260 + ".ipynb": "over 255 bytes",
    "clash.ipynb": "folder of the same name",
    "clash.ipynb/inner.ipynb": "is also a file",
    "twice.ipynb": "same name",
    "../escape.ipynb": "climbs out",
    "/abs/escape.ipynb": "absolute",
    "link.ipynb": "symbolic link",
}
FLAGGED_NOT_UTF8 = (b"FLAGGED0001.ipynb", b"bad\xff\xfe__0001.ipynb")  # refused: says UTF-8, is not
UNFLAGGED = (b"OLDNAME0001/odd.ipynb", b"grp\xff\xfe__0001/odd.ipynb")  # an old zip tool's bytes: read as cp437


def class_zip(path: Path) -> Path:
    when = (2024, 10, 6, 12, 0, 0)
    members: list[tuple[str, bytes, tuple]] = [(f"{h}.ipynb", (SAMPLES / f"{h}.ipynb").read_bytes(), when)
                                               for h in HONEST]
    members += [(name, data, when) for name, data in hostile_notebooks().items()]
    members += [("ana_lab.ipynb", dumped(SOLUTION), when),  # Ana's, named in the roster
                ("mallory/ana_lab.ipynb", dumped(sample("bruno_partly_wrong")), (2024, 10, 7, 12, 0, 0))]
    members += [(name, dumped(SOLUTION), when) for name in REFUSED if name != "link.ipynb"]
    members += [("twice.ipynb", dumped(SOLUTION), when), (FLAGGED_NOT_UTF8[0].decode(), dumped(SOLUTION), when),
                (UNFLAGGED[0].decode(), dumped(SOLUTION), when)]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate name, which is the point
        for name, data, stamp in members:
            zf.writestr(zipfile.ZipInfo(name, date_time=stamp), data, zipfile.ZIP_DEFLATED)
        link = zipfile.ZipInfo("link.ipynb", date_time=when)
        link.external_attr = 0o120777 << 16
        zf.writestr(link, "/etc/passwd")
    data = bytearray(path.read_bytes())
    for placeholder, raw in (FLAGGED_NOT_UTF8, UNFLAGGED):
        assert data.count(placeholder) == 2 and len(placeholder) == len(raw)
        data = bytearray(bytes(data).replace(placeholder, raw))
    for header, flags in ((b"PK\x01\x02", 8), (b"PK\x03\x04", 6)):  # the UTF-8 flag on the one member
        for m in re.finditer(re.escape(header), data):
            name_at = m.start() + (46 if header == b"PK\x01\x02" else 30)
            if data[name_at:name_at + len(FLAGGED_NOT_UTF8[1])] == FLAGGED_NOT_UTF8[1]:
                value = struct.unpack("<H", data[m.start() + flags:m.start() + flags + 2])[0] | 0x800
                data[m.start() + flags:m.start() + flags + 2] = struct.pack("<H", value)
    path.write_bytes(bytes(data))
    return path


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("untrusted")
    archive = class_zip(root / "NN101-Lab 2-7.zip")
    roster = root / "roster.csv"
    roster.write_text("student,file\nana2,ana_lab.ipynb\n", encoding="utf-8")
    out = root / "out"
    started = time.perf_counter()
    result = invoke("grade", archive, "--out", out, "--roster", roster, "--jobs", 2)
    seconds = time.perf_counter() - started
    print(f"\nthe hostile class of {len(json.loads((out / 'results.json').read_text())['submissions'])} "
          f"notebooks was graded in {seconds:.1f} s")
    alone = root / "alone"
    alone.mkdir()
    for name in HONEST:
        (alone / f"{name}.ipynb").write_bytes((SAMPLES / f"{name}.ipynb").read_bytes())
    honest = invoke("grade", alone, "--out", root / "alone-out", "--jobs", 2)
    assert honest.exit_code == 0, honest.output
    return root, archive, roster, out, result


def strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in strings(k) + strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def writable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def shown_as_text(cell: str) -> bool:
    """A CSV cell a spreadsheet will not compute: led by the apostrophe that marks text, a plain
    number, or free of a formula sign at its start (after spaces or quotes)."""
    lead = cell.lstrip(" \"'")
    return cell.startswith("'") or bool(re.fullmatch(r"[+-]?\d+(\.\d+)?", cell)) or \
        (lead[:1] not in ("=", "+", "-", "@") and cell[:1] not in ("\t", "\r"))


def submissions(out: Path) -> dict[str, dict]:
    return {s["student"]: s for s in json.loads((out / "results.json").read_text(encoding="utf-8"))["submissions"]}


def test_the_batch_finishes_and_writes_every_output(graded):
    _, _, _, out, result = graded
    assert result.exit_code == 0, result.output
    for name in ("results.json", "grades.csv", "index.html", "grader.log"):
        (out / name).read_bytes().decode("utf-8")  # present, and valid UTF-8
    assert (out / "gradebook.sqlite").is_file()
    subs = submissions(out)
    for student in subs:
        report = out / "reports" / report_name(student)
        assert report.is_file(), student
        report.read_bytes().decode("utf-8")
    assert len(subs) == len(HONEST) + len(hostile_notebooks()) + 2 + 1  # + ana_lab pair + the old-named member


def test_honest_students_keep_the_grades_they_get_alone(graded):
    root, _, _, out, _ = graded
    together, alone = submissions(out), submissions(root / "alone-out")

    def grade(sub: dict) -> tuple:
        return (sub["score"], sub["max_score"], sub["status"],
                [(t["id"], u["name"], u["status"], u["score"]) for t in sub["tasks"] for u in t["tests"]])

    for name in HONEST:
        assert grade(together[name]) == grade(alone[name]), name


def test_unwritable_text_is_graded_like_any_other(graded):
    _, _, _, out, _ = graded
    subs = submissions(out)
    for name in ("shell_surrogate", "metadata_surrogates"):
        assert subs[name]["score"] == subs[name]["max_score"] > 0, name
    assert subs["nul_source"]["score"] == subs["nul_source"]["max_score"]  # the NUL breaks its own cell only
    assert subs["printed_surrogates"]["status"] == "graded" and "ValueError" in subs["printed_surrogates"][
        "first_error"]["message"]
    assert subs["returns_surrogate"]["score"] < subs["returns_surrogate"]["max_score"]
    assert subs["markdown_surrogate"]["status"] == "graded" and subs["markdown_surrogate"]["exercise"] == "derivations"
    assert all(writable(text) for text in strings(json.loads((out / "results.json").read_text(encoding="utf-8"))))


def test_every_other_finding_is_graded_as_what_it_is(graded):
    _, _, _, out, _ = graded
    subs = submissions(out)
    text = json.loads((out / "results.json").read_text(encoding="utf-8"))

    def test(student: str, task: str) -> dict:
        return next(t for t in subs[student]["tasks"] if t["id"] == task)

    for name in ("regex_bomb", "latex_bars", "piecewise", "paragraphs", "forbidden_alias", "exam_shuffle"):
        assert subs[name]["status"] == "graded", (name, subs[name].get("error"))
    assert test("regex_bomb", "d_tanh")["score"] == 0 and test("latex_bars", "d_tanh")["score"] == 0
    assert test("piecewise", "d_relu")["score"] == 0  # the breakpoint at 2.5 is found
    hidden = test("piecewise", "grad_mse_l2")["tests"][0]
    assert hidden["visibility"] != "source" and not any(ch.isdigit() for ch in hidden.get("message", ""))
    alias = subs["forbidden_alias"]
    assert test("forbidden_alias", "tanh")["score"] < test("forbidden_alias", "tanh")["max_score"]
    assert test("forbidden_alias", "sigmoid")["score"] < test("forbidden_alias", "sigmoid")["max_score"]
    assert alias["score"] < alias["max_score"]
    assert "similarity" in text and len(json.dumps(text["similarity"])) < 200_000
    assert "internal" not in (out / "grader.log").read_text(encoding="utf-8").lower()


def test_file_names_that_spell_formulas_stay_text_in_grades_csv(graded):
    _, _, _, out, _ = graded
    rows = list(csv.reader(io.StringIO((out / "grades.csv").read_text(encoding="utf-8"))))
    cells = [cell for row in rows[1:] for cell in row]
    assert all(shown_as_text(cell) for cell in cells), [c for c in cells if not shown_as_text(c)]
    assert "'=HYPERLINK(\"evil.example\",\"x\")" in cells and "'@SUM(1+1)" in cells and "'-2+3" in cells


def test_two_long_names_keep_two_reports_and_two_exports(graded):
    _, _, _, out, _ = graded
    subs = submissions(out)
    a, b = subs[f"{LONG}_a"], subs[f"{LONG}_b"]
    assert a["score"] == a["max_score"] > b["score"]
    assert report_name(a["student"]) != report_name(b["student"])
    assert f"{LONG}_a" in (out / "reports" / report_name(a["student"])).read_text(encoding="utf-8")
    exported = invoke("export", "--out", out, "--format", "gradescope", "--exercise", "activations")
    assert exported.exit_code == 0, exported.output
    files = sorted((out / "exports" / "gradescope").glob("*/results.json"))
    assert len(files) == sum(s["exercise"] == "activations" for s in subs.values())
    scores = {json.loads(f.read_text())["score"] for f in files if f.parent.name.startswith("x" * 50)}
    assert scores == {a["score"], b["score"]}


def test_bad_members_are_refused_alone_and_listed(graded):
    _, _, _, out, result = graded
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    notices = "\n".join(data["notices"])
    index = (out / "index.html").read_text(encoding="utf-8")
    log = (out / "grader.log").read_text(encoding="utf-8")
    for name, why in REFUSED.items():
        shown = name.replace("\x01", "%01")
        line = next((n for n in data["notices"] if repr(shown) in n), None)
        assert line is not None and why in line, (name, notices)
        assert line.split(": ", 1)[1][:40] in log
    assert "bad%FF%FE__0001.ipynb" in notices and "not valid UTF-8" in notices
    assert 'id="notices"' in index and "warning:" in result.output
    assert not list(out.rglob("escape.ipynb")) and not list(out.rglob("link.ipynb"))
    graded_files = [s["file"] for s in data["submissions"]]
    assert any("odd.ipynb" in f for f in graded_files)  # an old zip tool's bytes: read, graded


def test_a_roster_row_is_not_captured_by_a_planted_file(graded):
    _, _, _, out, result = graded
    subs = submissions(out)
    assert "ana2" not in subs
    planted = next(s for s in subs.values() if s["file"].endswith("/mallory/ana_lab.ipynb"))
    own = next(s for s in subs.values() if s["file"].endswith("/ana_lab.ipynb") and s is not planted)
    assert own["score"] == own["max_score"] > planted["score"]  # each graded as what it is, under its own name
    assert any("ana2" in n and "mallory/ana_lab.ipynb" in n
               for n in json.loads((out / "results.json").read_text())["notices"])
    assert "mallory/ana_lab.ipynb" in result.output


def test_a_stored_row_with_unwritable_text_never_stops_a_rerun(graded):
    _, archive, roster, out, _ = graded
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        (payload,) = db.execute("SELECT result FROM results WHERE student='ana_correct'").fetchone()
        poisoned = json.loads(payload)
        poisoned["stdout"] = "\ud800 as an older grader stored it \udcff"
        poisoned["tasks"][0]["tests"][0]["message"]["en"] += " \ud800"
        db.execute("UPDATE results SET result=? WHERE student='ana_correct'", (json.dumps(poisoned),))
    os.utime(archive)  # the batch changed on disk: no short cut, each result comes from the gradebook
    again = invoke("grade", archive, "--out", out, "--roster", roster, "--jobs", 2)
    assert again.exit_code == 0, again.output
    assert "graded 0" in again.output
    (out / "reports" / report_name("ana_correct")).read_bytes().decode("utf-8")
    assert "\ufffd" in submissions(out)["ana_correct"]["tasks"][0]["tests"][0]["message"]


def test_an_alias_bomb_given_as_marks_is_refused_naming_the_file(graded):
    root = graded[0]
    bomb = root / "marks.yaml"
    bomb.write_text("c: &c {" + ", ".join(f"c{i}: 1" for i in range(100)) + "}\n"
                    "t: &t {" + ", ".join(f"t{i}: *c" for i in range(100)) + "}\n"
                    + "".join(f"s{i}: *t\n" for i in range(300)), encoding="utf-8")
    started = time.perf_counter()
    result = invoke("grade", root / "alone", "--out", root / "alone-out", "--manual", bomb)
    assert result.exit_code == 2 and "marks.yaml" in result.output and "alias" in result.output
    assert time.perf_counter() - started < 60


def test_writing_one_students_outputs_fails_for_that_student_only(tmp_path, monkeypatch):
    import grader.batch

    real = grader.batch.render_student

    def render(result, title, lang):
        if result.student == "victim":
            raise OSError("disk trouble while writing this one report")
        return real(result, title, lang)

    monkeypatch.setattr(grader.batch, "render_student", render)
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("victim", "ana_correct"):
        (folder / f"{name}.ipynb").write_bytes((SAMPLES / "ana_correct.ipynb").read_bytes())
    result = invoke("grade", folder, "--out", tmp_path / "out", "--jobs", 2)
    assert result.exit_code == 0, result.output
    subs = submissions(tmp_path / "out")
    assert subs["ana_correct"]["score"] == 30 and subs["victim"]["status"] == "error"
    assert "disk trouble" in subs["victim"]["error"]
    monkeypatch.setattr(grader.batch, "render_student", real)
    again = invoke("grade", folder, "--out", tmp_path / "out", "--jobs", 2)
    assert again.exit_code == 0 and submissions(tmp_path / "out")["victim"]["score"] == 30  # graded again


def test_file_and_folder_names_that_are_not_utf8_on_disk(tmp_path):
    folder = tmp_path / "in"
    (folder / os.fsdecode(b"grupo\xff")).mkdir(parents=True)
    data = (SAMPLES / "ana_correct.ipynb").read_bytes()
    (folder / os.fsdecode(b"bad\xffname.ipynb")).write_bytes(data)
    (folder / os.fsdecode(b"grupo\xff") / "bea.ipynb").write_bytes(data)
    (folder / "tab\tname.ipynb").write_bytes(data)
    result = invoke("grade", folder, "--out", tmp_path / "out", "--jobs", 2)
    assert result.exit_code == 0, result.output
    subs = submissions(tmp_path / "out")
    assert {"bad%FFname", "bea", "tab%09name"} == set(subs)
    assert all(s["score"] == 30 for s in subs.values())
    assert "grupo%FF/bea.ipynb" in subs["bea"]["file"]
    for line in result.output.splitlines():
        if line.count("\t") >= 3:
            assert len(line.split("\t")) == 4  # one line per student, whatever their name holds
