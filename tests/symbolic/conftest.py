"""Fixtures of the symbolic engine's tests: the derivations exercise's specs, loaded by path
(as the grader loads them)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from grader.symbolic import DerivationSpec

ANSWERS_PATH = Path(__file__).resolve().parents[2] / "exercises" / "derivations" / "answers.py"


def load_answers() -> ModuleType:
    spec = importlib.util.spec_from_file_location("derivations_answers", ANSWERS_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def answers() -> ModuleType:
    return load_answers()


@pytest.fixture(scope="session")
def specs(answers: ModuleType) -> dict[str, DerivationSpec]:
    return dict(answers.SPECS)
