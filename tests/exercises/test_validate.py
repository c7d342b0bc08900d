"""Every bundled exercise proves its own tests: `grader validate` on each, under the test suite."""

from pathlib import Path

import pytest

from grader.library import exercise_dirs, load_folder
from grader.validate import validate_exercise

EXERCISES = exercise_dirs()


@pytest.mark.parametrize("folder", EXERCISES, ids=[p.name for p in EXERCISES])
def test_solution_full_blank_zero_wrong_variants_caught(folder: Path, sandbox):
    exercise = load_folder(folder)
    verdicts = validate_exercise(exercise, sandbox)
    problems = [f"{v.case}: {p}" for v in verdicts for p in v.problems] + \
        [f"{v.case}: scored {v.score}/{v.max_score}" for v in verdicts if not v.ok and not v.problems]
    assert not problems, "\n".join(problems)
    assert {v.case for v in verdicts} >= {"solution", "blank"}
    if folder.name == "activations":
        assert sum(v.case.startswith("wrong/") for v in verdicts) >= 10
