"""Derivation answers found in a notebook (string, sympy expression, LaTeX cell) and judged by sympy."""

import json

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.grading import latex_in_markdown

from .conftest import make_notebook


def grade(tmp_path, cells, markdown=None):
    nb = make_notebook(cells, exercise="derivations", markdown=markdown)
    (tmp_path / "subs").mkdir(exist_ok=True)
    (tmp_path / "subs" / "eva.ipynb").write_text(json.dumps(nb))
    result = CliRunner().invoke(main, ["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "out")],
                                catch_exceptions=False)
    assert result.exit_code == 0
    sub = json.loads((tmp_path / "out" / "results.json").read_text())["submissions"][0]
    return {task["id"]: task["tests"][0] for task in sub["tasks"]}


def test_answers_in_every_accepted_form_and_their_verdicts(tmp_path):
    tests = grade(tmp_path, [
        "import sympy as sp\nx = sp.Symbol('x')\nd_sigmoid = sp.Function('sigma')(x) * (1 - sp.Function('sigma')(x))",
        "d_relu = 'Heaviside(x)'",
        "grad_mse_l2 = '-2*x*(y - w*x) + lam*w'",   # a catalogued mistake
        "grad_bce_sigmoid = '1/(1 + exp(-a)) - y'",  # equivalent, written with exp
        "dfdx = 9\ndfdy = ['-24']",                 # a number is fine; a list is not an answer
        "grad_softmax_ce = 'import os'",
    ], markdown={"d_tanh": "My answer: $$\\operatorname{sech}^2(x)$$"})
    assert tests["d_sigmoid"]["status"] == "passed"
    assert tests["d_tanh"]["status"] == "passed"  # from the tagged markdown cell, in LaTeX
    assert tests["d_relu"]["status"] == "passed"
    assert tests["grad_bce_sigmoid"]["status"] == "passed"
    assert tests["dfdx"]["status"] == "passed"
    assert tests["grad_mse_l2"]["status"] == "failed"
    assert tests["grad_mse_l2"]["misconception"] == "lambda_without_two" and "2" in tests["grad_mse_l2"]["hint"]
    assert tests["dfdy"]["status"] == "error" and "list" in tests["dfdy"]["message"]
    assert tests["grad_softmax_ce"]["status"] == "error"
    assert tests["grad_perceptron"]["status"] == "error" and "No answer found" in tests["grad_perceptron"]["message"]


def test_an_unknown_wrong_answer_gets_a_counter_example(tmp_path):
    tests = grade(tmp_path, ["d_sigmoid = 'exp(x)/2'"])
    assert tests["d_sigmoid"]["status"] == "failed"
    assert "x =" in tests["d_sigmoid"]["message"]


@pytest.mark.parametrize("cell, formula", [("$$a+b$$", "a+b"), ("text \\[x^2\\] more", "x^2"), ("$y$ and $z$", "y"),
                                           ("  plain  ", "plain")])
def test_the_formula_is_taken_from_a_markdown_cell(cell, formula):
    assert latex_in_markdown(cell) == formula


def test_self_check_reads_answers_without_revealing_them(tmp_path):
    runner = CliRunner()
    assert runner.invoke(main, ["release", "derivations", "--out", str(tmp_path)]).exit_code == 0
    bundle = (tmp_path / "derivations.checks.json").read_text()
    assert "sigma(x)*(1 - sigma(x))" not in bundle and "misconception" not in bundle.lower().replace('"misconceptions":[]', "")
    nb = json.loads((tmp_path / "derivations.ipynb").read_text())
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert 'd_sigmoid = ""' in code and "1 - sigma" not in code
    nb["cells"].append({"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                        "source": "d_sigmoid = 'sigma(x)*(1 - x)'\ndfdx = '9'"})
    (tmp_path / "mine.ipynb").write_text(json.dumps(nb))
    result = runner.invoke(main, ["check", str(tmp_path / "mine.ipynb")], catch_exceptions=False)
    assert result.exit_code == 0, result.output   # both read fine; a wrong answer is not revealed as wrong
    assert "read as" in result.output


BAR_BOMB = "$" + "|" * 24 + "x" + "|" * 24 + "$"


def test_a_batch_with_bombs_and_hidden_wrong_answers(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    # Right answers written as a class writes them: a power before the parentheses, lambda.
    ana = make_notebook(["d_sigmoid = 'σ(x) − σ²(x)'\nd_tanh = '1 - tanh²(x)'\nd_relu = 'Heaviside(x)'",
                         "grad_perceptron = \"-(y - f(a))*f'(a)*x_i\"\ngrad_bce_sigmoid = 'sigma(a) - y'",
                         "grad_softmax_ce = 's_k - y_k'\ngrad_mse_l2 = '-2*x*(y - w*x) + 2*lambda*w'",
                         "dfdx = 9\ndfdy = -24"], exercise="derivations")
    # Wrong answers to hidden tests, each of which used to quote a point or a value.
    eva = make_notebook(["d_sigmoid = 'sigma(x)*(1 - sigma(x))'\nd_tanh = 'tanh(x)'",
                         "d_relu = 'Piecewise((0, x < 0), (1, x < 2.5), (7, True))'",
                         "grad_perceptron = 'y*x_i'\ngrad_mse_l2 = '-4*x*(y - w*x) + 4*lam*w'"],
                        exercise="derivations")
    # Every answer a bomb: nested bars, and a cell of unclosed display brackets.
    bombs = {name: BAR_BOMB for name in ("d_sigmoid", "d_tanh", "d_relu", "grad_perceptron", "grad_bce_sigmoid",
                                         "grad_softmax_ce", "grad_mse_l2", "dfdy")}
    bombs["dfdx"] = "\\[" * 200_000
    # A string far longer than any answer, in a variable (it comes before the tagged cell).
    mallory = make_notebook(["grad_softmax_ce = '(' * 600_000"], exercise="derivations", markdown=bombs)
    for name, nb in (("ana", ana), ("eva", eva), ("mallory", mallory)):
        (subs / f"{name}.ipynb").write_text(json.dumps(nb))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["grade", str(subs), "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    subs_by_name = {s["student"]: s for s in json.loads((out / "results.json").read_text())["submissions"]}
    tests = {name: {t["id"]: t["tests"][0] for t in s["tasks"]} for name, s in subs_by_name.items()}

    assert subs_by_name["ana"]["score"] == subs_by_name["ana"]["max_score"], tests["ana"]

    for task in ("d_tanh", "d_relu", "grad_perceptron", "grad_mse_l2"):
        test = tests["eva"][task]
        assert test["status"] == "failed" and not test["public"]
        assert not any(ch.isdigit() for ch in test["message"]), test["message"]
    result = CliRunner().invoke(main, ["export", "--out", str(out), "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(main, ["export", "--out", str(out), "--format", "gradescope"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    shown = [out / "reports" / "eva.html", out / "index.html", out / "exports" / "results.json",
             out / "exports" / "gradescope" / "eva" / "results.json"]
    for path in shown:
        text = path.read_text()
        for leak in ("0.7864", "yours is", "expected value is", "f(t) = tanh(t)", "twice the expected", "x = 2"):
            assert leak not in text, (path, leak)

    for task, test in tests["mallory"].items():
        assert test["status"] == "error", (task, test)
        reason = "too long" if task in ("dfdx", "grad_softmax_ce") else "nested too deeply"
        assert reason in test["message"], (task, test["message"])
