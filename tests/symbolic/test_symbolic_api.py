"""The public API: light import, the bounded path, and verdicts that survive JSON."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import grader.symbolic as symbolic
from grader.symbolic import (
    DerivationSpec,
    Interval,
    Misconception,
    SpecError,
    Sym,
    Verdict,
    VerdictDecodeError,
    check_answer,
    check_answer_in_process,
    check_answers,
    latex_available,
)


def test_import_is_light() -> None:
    code = "import sys, grader.symbolic; print('sympy' in sys.modules, 'torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_all_names_exist() -> None:
    for name in symbolic.__all__:
        assert hasattr(symbolic, name), name


@pytest.mark.parametrize(
    ("spec", "text", "latex"),
    [
        ("d_sigmoid", "exp(-x)/(1+exp(-x))**2", False),
        ("grad_perceptron", "-(y - f(a))*x_i", False),
        ("d_relu", "Heaviside(x, 1/2)", False),
        ("dfdy", "24", False),
        pytest.param("d_tanh", r"\operatorname{sech}^2(x)", True, marks=pytest.mark.skipif(
            not latex_available(), reason="LaTeX parser backend missing")),
        ("d_sigmoid", "sigma(x", False),
    ],
)
def test_bounded_path_agrees_with_in_process(spec: str, text: str, latex: bool,
                                             specs: dict[str, DerivationSpec]) -> None:
    assert check_answer(specs[spec], text, latex=latex) == check_answer_in_process(
        specs[spec], text, latex=latex
    )


def test_batch_of_a_notebook(specs: dict[str, DerivationSpec]) -> None:
    items = [(spec, spec.expected, False) for spec in specs.values()]
    verdicts = check_answers(items)
    assert [v.status for v in verdicts] == ["correct"] * len(items)


def test_non_text_answer_is_invalid(specs: dict[str, DerivationSpec]) -> None:
    verdict = check_answer(specs["dfdx"], 9)  # type: ignore[arg-type]
    assert verdict.status == "invalid"


def test_verdict_json_round_trip(specs: dict[str, DerivationSpec]) -> None:
    for text in ("sigma(x)", "sigma(x)*(1-x)", "sigma(x)*(1-sigma(x))", "(("):
        verdict = check_answer_in_process(specs["d_sigmoid"], text)
        data = json.loads(json.dumps(verdict.to_json()))
        assert Verdict.from_json(data) == verdict


def test_witness_is_quoted(specs: dict[str, DerivationSpec]) -> None:
    verdict = check_answer_in_process(specs["d_sigmoid"], "x*(1 - x)")
    assert verdict.witness is not None
    assert verdict.witness.point == (("x", 0.5),)
    assert "at x = 0.5, yours is 0.25 and the expected value is 0.235" in verdict.message["en"]
    assert "en x = 0.5, la tuya vale 0.25 y la esperada 0.235" in verdict.message["es"]
    verdict = check_answer_in_process(specs["grad_perceptron"], "y*x_i")
    assert verdict.witness is not None and verdict.witness.function == "f(t) = tanh(t)"


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"status": "correct"},
        {"status": "right", "decided_by": "numeric", "message": {"es": "a", "en": "b"}},
        {"status": "correct", "decided_by": "numeric", "message": {"en": "b"}},
        {"status": "correct", "decided_by": "numeric", "message": {"es": "a", "en": "x" * 10**5}},
        {"status": "correct", "decided_by": "numeric", "message": {"es": "a", "en": "b"},
         "witness": {"point": [["x", "nan"]], "expected": 1}},
    ],
)
def test_verdict_from_json_refuses_bad_shapes(data: object) -> None:
    with pytest.raises(VerdictDecodeError):
        Verdict.from_json(data)


def test_broken_specs_raise() -> None:
    with pytest.raises(SpecError):
        check_answer_in_process(DerivationSpec("bad", "x +", symbols=(Sym("x"),)), "x")
    with pytest.raises(SpecError):
        DerivationSpec("bad", "x", symbols=(Sym("x"), Sym("x")))
    with pytest.raises(SpecError):
        Interval(1.0, 0.0)
    with pytest.raises(SpecError):
        Misconception("m", "x", {"en": "only english"})
    with pytest.raises(SpecError):
        check_answer_in_process(DerivationSpec("bad", "x", symbols=(Sym("x"),),
                                               functions=("eval",)), "x")


def test_undetermined_when_expected_is_rarely_defined() -> None:
    spec = DerivationSpec("narrow", "log(x - 2.9)", symbols=(Sym("x", Interval(-3, 3)),),
                          functions=("log",))
    verdict = check_answer_in_process(spec, "log(x - 2.9) + 0*x + 1")
    assert verdict.status == "undetermined" and verdict.decided_by == "numeric"


def test_student_undefined_where_expected_is_defined_differs() -> None:
    # log(x**2) - 2*log(x) is 0 for x > 0 and not real for x < 0.
    spec = DerivationSpec("s", "x", symbols=(Sym("x", Interval(-3, 3)),), functions=("log",))
    verdict = check_answer_in_process(spec, "x + log(x**2) - 2*log(x)")
    assert verdict.status == "incorrect"
    assert verdict.witness is not None and verdict.witness.yours is None
    assert "undefined" in verdict.message["en"]


def test_one_answer_killing_the_batch_child_costs_only_itself(
    specs: dict[str, DerivationSpec], monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import signal

    import grader.symbolic.api as api

    real = api.check_answer_in_process

    def fragile(spec: DerivationSpec, text: str, *, latex: bool = False, seed: int | None = None) -> Verdict:
        if text == "boom":
            os.kill(os.getpid(), signal.SIGKILL)  # what a hard limit does to a child
        return real(spec, text, latex=latex, seed=seed)

    monkeypatch.setattr(api, "check_answer_in_process", fragile)
    spec = specs["d_sigmoid"]
    verdicts = check_answers([(spec, spec.expected, False), (spec, "boom", False),
                              (spec, "sigma(x)*(1-x)", False)])
    assert [v.status for v in verdicts] == ["correct", "undetermined", "incorrect"]
    assert verdicts[1].decided_by == "limits"
    assert verdicts[2].misconception == "sigma_times_one_minus_x"


def test_a_python_keyword_is_an_alias_never_a_name() -> None:
    with pytest.raises(SpecError):
        DerivationSpec("kw", "2*lambda", symbols=(Sym("lambda"),))
    spec = DerivationSpec("kw", "2*lam", symbols=(Sym("lam", aliases=("lambda",)),))
    verdict = check_answer_in_process(spec, "lambda + lambda")
    assert verdict.status == "correct" and verdict.read_as == "2*lam"


HIDDEN_WRONG = [
    ("d_tanh", "tanh(x)"),                          # a witness: "at x = 0.5, yours is …"
    ("d_tanh", "-2*(1 - tanh(x)**2)"),              # a probe: "proportional, factor ≈ -2"
    ("grad_mse_l2", "-4*x*(y - w*x) + 4*lam*w"),    # "twice the expected answer"
    ("grad_mse_l2", "-2*x*(y - w*x) + 2*lam*w + 3"),  # "differs by a constant (≈ 3)"
    ("grad_perceptron", "y*x_i"),                   # "taking f(t) = tanh(t)"
    ("grad_perceptron", "-(y - f(a))*x_i*3"),       # the chain-factor probe
    ("d_relu", "Heaviside(x, 1/2)"),                # "at x = 0 yours is 0.5; accepts 0 or 1"
    ("d_relu", "Piecewise((0, x < 0), (1, x < 2.5), (7, True))"),
    ("dfdy", "-25"),                                # a number's value and its relation to the key
    ("dfdy", "48"),
]


@pytest.mark.parametrize(("spec", "text"), HIDDEN_WRONG)
def test_the_summary_of_a_verdict_gives_nothing_of_the_expected_answer_away(
        spec: str, text: str, specs: dict[str, DerivationSpec]) -> None:
    verdict = check_answer_in_process(specs[spec], text, seed=3)
    assert verdict.status == "incorrect"
    for lang in ("es", "en"):
        brief = verdict.brief[lang]
        assert not any(ch.isdigit() for ch in brief), brief  # no point, no value, no factor
        for word in ("x =", "yours is", "la tuya vale", "tanh(t)", "twice", "doble", "sign", "signo",
                     "proportional", "constant", "factor"):
            assert word not in brief, brief
    assert verdict.message != verdict.brief  # the full message keeps its witness for public tests


def test_a_verdict_without_values_needs_no_summary(specs: dict[str, DerivationSpec]) -> None:
    verdict = check_answer_in_process(specs["d_tanh"], "1 - tanh(x", seed=3)
    assert verdict.status == "invalid" and verdict.brief == verdict.message
    verdict = check_answer_in_process(specs["grad_mse_l2"], "-2*x*(y - w*x) + lam*w", seed=3)
    assert verdict.misconception == "lambda_without_two"
    assert verdict.brief["en"] == "Incorrect: matches the known mistake 'lambda_without_two'."
