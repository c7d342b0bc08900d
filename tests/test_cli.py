"""The command line end to end, in-process with click's runner, on the bundled sample class."""

import csv
import json
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from grader.cli import main

from .conftest import ROOT, write_notebook

SAMPLES = ROOT / "examples" / "submissions"
SOLUTION = ROOT / "exercises" / "activations" / "solution.ipynb"


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    result = invoke("grade", SAMPLES, "--out", out, "--jobs", 2)
    assert result.exit_code == 0, result.output
    return out, result


def by_student(out):
    data = json.loads((out / "results.json").read_text())
    return data, {s["student"]: s for s in data["submissions"]}


def test_results_json_follows_the_contract(graded):
    out, _ = graded
    data, subs = by_student(out)
    assert data["schema_version"] and data["exercise"] == "activations"
    assert len(subs) == len(list(SAMPLES.glob("*.ipynb")))
    for sub in subs.values():
        assert {"student", "file", "score", "max_score", "status", "tasks"} <= set(sub)
        assert sub["max_score"] == 30
        for task in sub["tasks"]:
            assert {"id", "score", "max_score", "tests"} <= set(task)
            for test in task["tests"]:
                assert {"name", "status", "score", "max_score", "visibility", "message"} <= set(test)


def test_every_sample_student_gets_the_grade_their_notebook_deserves(graded):
    out, _ = graded
    _, subs = by_student(out)
    assert subs["ana_correct"]["score"] == 30
    assert 0 < subs["bruno_partly_wrong"]["score"] < 30
    assert subs["carla_syntax_error"]["first_error"]["message"].startswith("Cell")
    assert "SyntaxError" in subs["carla_syntax_error"]["first_error"]["message"]
    assert subs["diego_infinite_loop"]["first_error"]["kind"] == "timeout"
    assert subs["elena_os_exit"]["first_error"]["kind"] == "crashed"
    assert subs["fede_not_json"]["status"] == "error" and subs["fede_not_json"]["score"] == 0
    assert "not a notebook" in subs["fede_not_json"]["error"]
    assert subs["gabi_magics"]["score"] == 30
    hugo = {t["name"]: t for task in subs["hugo_library_sigmoid"]["tasks"] if task["id"] == "sigmoid" for t in task["tests"]}
    assert hugo["values"]["status"] == "failed" and "torch.sigmoid" in hugo["values"]["message"]


def test_grades_csv_reports_and_index_are_written(graded):
    out, _ = graded
    rows = list(csv.DictReader((out / "grades.csv").open()))
    assert {r["student"] for r in rows} == {p.stem for p in SAMPLES.glob("*.ipynb")}
    assert all(set(r) >= {"student", "score", "max_score"} for r in rows)
    for row in rows:
        report = out / "reports" / f"{row['student']}.html"
        assert report.is_file() and row["student"] in report.read_text()
    index = (out / "index.html").read_text()
    assert all(f"reports/{r['student']}.html" in index for r in rows)


def test_output_is_parseable_when_not_a_terminal(graded):
    _, result = graded
    lines = [line.split("\t") for line in result.stdout.splitlines() if "\t" in line]
    assert len(lines) == len(list(SAMPLES.glob("*.ipynb")))
    assert all(len(parts) == 4 for parts in lines)


def test_a_rerun_skips_unchanged_submissions_and_describes_the_new_batch(graded, tmp_path):
    out, _ = graded
    batch = tmp_path / "subs"
    shutil.copytree(SAMPLES, batch)
    (batch / "bruno_partly_wrong.ipynb").unlink()
    rerun_out = tmp_path / "out"
    shutil.copytree(out, rerun_out)
    result = invoke("grade", batch, "--out", rerun_out)
    assert result.exit_code == 0
    assert "graded 0" in result.stderr
    _, subs = by_student(rerun_out)
    assert "bruno_partly_wrong" not in subs and len(subs) == len(list(batch.glob("*.ipynb")))


def test_an_identical_rerun_answers_from_the_last_run_and_a_changed_notebook_is_graded_again(graded, tmp_path):
    out, first = graded
    batch = tmp_path / "subs"
    shutil.copytree(SAMPLES, batch)
    rerun_out = tmp_path / "out"
    shutil.copytree(out, rerun_out)
    primed = invoke("grade", batch, "--out", rerun_out)  # new paths: graded 0, outputs rewritten
    assert primed.exit_code == 0 and "nothing changed" not in primed.stderr

    same = invoke("grade", batch, "--out", rerun_out)
    assert same.exit_code == 0 and "nothing changed since the last run" in same.stderr
    lines = {line for line in same.stdout.splitlines() if "\t" in line}
    assert lines == {line for line in first.stdout.splitlines() if "\t" in line}

    nb = batch / "ana_correct.ipynb"
    nb.write_text(nb.read_text().replace("np.maximum(0.0, x)", "np.maximum(0.0, x) * 1.0"))
    changed = invoke("grade", batch, "--out", rerun_out)
    assert "nothing changed" not in changed.stderr and "graded 1," in changed.stderr

def test_grading_one_notebook_with_an_exercise_override(tmp_path):
    nb = write_notebook(tmp_path / "zoe.ipynb", ["import numpy as np\ndef relu(x):\n    return np.maximum(x, 0)"], exercise=None)
    result = invoke("grade", nb, "--exercise", "activations", "--out", tmp_path / "o", "--lang", "es")
    assert result.exit_code == 0
    _, subs = by_student(tmp_path / "o")
    relu = next(t for t in subs["zoe"]["tasks"] if t["id"] == "relu")
    assert relu["score"] == relu["max_score"]
    step = next(t for t in subs["zoe"]["tasks"] if t["id"] == "step")
    assert "no está definido" in step["tests"][0]["message"]  # messages in Spanish


def test_a_notebook_that_names_no_exercise_is_an_error_result_not_a_crash(tmp_path):
    nb = write_notebook(tmp_path / "a" / "x.ipynb", ["x = 1"], exercise=None)
    result = invoke("grade", nb.parent, "--out", tmp_path / "o")
    assert result.exit_code == 0
    _, subs = by_student(tmp_path / "o")
    assert subs["x"]["status"] == "error" and "--exercise" in subs["x"]["error"]


def test_duplicate_student_names_do_not_overwrite_each_other(tmp_path):
    write_notebook(tmp_path / "s" / "g1" / "ana.ipynb", ["x = 1"])
    write_notebook(tmp_path / "s" / "g2" / "ana.ipynb", ["x = 2"])
    assert invoke("grade", tmp_path / "s", "--out", tmp_path / "o").exit_code == 0
    _, subs = by_student(tmp_path / "o")
    assert set(subs) == {"g1/ana", "g2/ana"}


@pytest.mark.parametrize("args, words", [
    (["grade", "/nonexistent/folder"], "no such file"),
    (["grade", str(ROOT / "README.md")], "not a notebook"),
    (["grade", str(SAMPLES), "--exercise", "no_such_exercise"], "unknown exercise"),
    (["check", "/nonexistent.ipynb"], "no such file"),
    (["grade", str(SAMPLES), "--lang", "fr"], "Invalid value"),
])
def test_usage_and_input_errors_exit_2_with_one_clear_line(args, words, tmp_path):
    result = CliRunner().invoke(main, args + (["--out", str(tmp_path)] if args[0] == "grade" else []))
    assert result.exit_code == 2
    assert words in result.output


def test_empty_folder_is_an_input_error(tmp_path):
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(main, ["grade", str(tmp_path / "empty"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "no notebooks" in result.output


def test_check_exit_status_and_hidden_test_count(tmp_path):
    released = tmp_path / "rel"
    assert invoke("release", "activations", "--out", released).exit_code == 0
    blank = invoke("check", released / "activations.ipynb")
    assert blank.exit_code == 1
    assert "hidden test(s) not run" in blank.output
    shutil.copy(SOLUTION, released / "mine.ipynb")
    good = invoke("check", released / "mine.ipynb")
    assert good.exit_code == 0, good.output
    assert "✗" not in good.output


def test_release_reveals_no_solution_and_no_hidden_test(tmp_path):
    invoke("release", "activations", "--out", tmp_path)
    notebook = (tmp_path / "activations.ipynb").read_text()
    assert "np.exp(-np.abs(x))" not in notebook and "NotImplementedError" in notebook
    assert json.loads(notebook)["metadata"]["grader"]["exercise"] == "activations"
    bundle = json.loads((tmp_path / "activations.checks.json").read_text())
    names = {t["name"] for task in bundle["tasks"] for t in task["tests"]}
    assert all(t["public"] for task in bundle["tasks"] for t in task["tests"])
    assert "large_inputs" not in names and "reference" not in json.dumps(bundle["exercise"])


def test_list_shows_titles_in_the_chosen_language():
    assert "Activation functions" in invoke("list").output
    assert "Funciones de activación" in invoke("list", "--lang", "es").output


def test_version():
    assert invoke("--version").output.startswith("grader, version")


def test_importing_the_cli_and_help_stay_light():
    code = ("import sys, grader.cli\nfrom click.testing import CliRunner\n"
            "CliRunner().invoke(grader.cli.main, ['--help'])\nCliRunner().invoke(grader.cli.main, ['grade', '--help'])\n"
            "print(sorted(m for m in ('torch', 'numpy', 'sympy', 'jinja2', 'nbformat', 'reference') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_command_keeps_grading_when_its_reader_stops_reading_and_exits_with_its_status(tmp_path):
    for name in ("a", "b", "c"):
        write_notebook(tmp_path / "subs" / f"{name}.ipynb", ["import numpy as np\ndef relu(x):\n    return np.maximum(x, 0)"])
    command = [sys.executable, "-m", "grader.cli"]
    piped = subprocess.run(f"{' '.join(command)} grade {tmp_path / 'subs'} --out {tmp_path / 'o'} | head -1; "
                           "echo \"status ${PIPESTATUS[0]}\"", shell=True, executable="/bin/bash",
                           capture_output=True, text=True, timeout=300)
    assert "status 0" in piped.stdout and "internal error" not in piped.stderr, piped.stderr
    assert len(json.loads((tmp_path / "o" / "results.json").read_text())["submissions"]) == 3
    missing = subprocess.run([*command, "check", str(tmp_path / "nowhere.ipynb")], capture_output=True, text=True)
    assert missing.returncode == 2 and "no such file" in missing.stderr
