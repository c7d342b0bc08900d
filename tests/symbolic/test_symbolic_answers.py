"""The derivations exercise's specs: the contract of names, and catalogues that make sense."""

from __future__ import annotations

import ast
from pathlib import Path
from types import ModuleType

import pytest

from grader.symbolic import DerivationSpec, check_answer_in_process

ANSWERS_PATH = Path(__file__).resolve().parents[2] / "exercises" / "derivations" / "answers.py"

CONTRACT = ["d_sigmoid", "d_tanh", "d_relu", "grad_perceptron", "grad_bce_sigmoid",
            "grad_softmax_ce", "grad_mse_l2", "dfdx", "dfdy"]


def test_names_are_the_contract(answers: ModuleType) -> None:
    assert list(answers.SPECS) == CONTRACT
    for name in CONTRACT:
        assert getattr(answers, name).id == name


def test_imports_only_grader_symbolic() -> None:
    tree = ast.parse(ANSWERS_PATH.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            pytest.fail(f"plain import of {[a.name for a in node.names]}")
        if isinstance(node, ast.ImportFrom):
            assert node.module in ("__future__", "grader.symbolic"), node.module


@pytest.mark.parametrize("name", CONTRACT)
def test_catalogue(name: str, specs: dict[str, DerivationSpec]) -> None:
    spec = specs[name]
    assert spec.title["es"] and spec.title["en"]
    assert check_answer_in_process(spec, spec.expected).status == "correct"
    assert len(spec.misconceptions) >= 2
    for m in spec.misconceptions:
        verdict = check_answer_in_process(spec, m.answer)
        # Each catalogued mistake is really wrong, and is recognised as itself (so no two
        # entries of a catalogue are the same answer).
        assert verdict.status == "incorrect", m.id
        assert verdict.misconception == m.id
        assert m.hint["es"] != m.hint["en"]


def test_contract_symbols(specs: dict[str, DerivationSpec]) -> None:
    declared = {name: {s.name for s in spec.symbols} for name, spec in specs.items()}
    assert declared["d_sigmoid"] == {"x"}
    assert declared["grad_perceptron"] == {"y", "x_i", "a"}
    assert declared["grad_bce_sigmoid"] == {"a", "y"}
    assert declared["grad_softmax_ce"] == {"s_k", "y_k"}
    assert declared["grad_mse_l2"] == {"y", "x", "w", "lam"}
    assert specs["grad_perceptron"].abstract == ("f",)
    assert {"exp", "sigma"} <= set(specs["d_sigmoid"].functions)
    assert {"exp", "tanh", "cosh", "sech"} <= set(specs["d_tanh"].functions)
    assert {"Piecewise", "Heaviside"} <= set(specs["d_relu"].functions)
    assert {"sigma", "exp", "log"} <= set(specs["grad_bce_sigmoid"].functions)
    assert specs["dfdx"].kind == specs["dfdy"].kind == "number"
