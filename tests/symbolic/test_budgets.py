"""Each answer has a budget of its own: an answer that uses it up costs that budget once, and no
other answer's verdict or time."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import pytest

from grader.symbolic import (
    DerivationSpec,
    Limits,
    Verdict,
    api,
    check_answers,
    latex_available,
    run_bounded,
)
from grader.symbolic.bounded import run_each
from grader.symbolic.limits import BudgetExceeded, soft_budget

BUDGET = Limits(wall_s=1.0, cpu_s=1)


@pytest.fixture
def slow_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The answer "slow" never finishes (what an unknown parser bomb does); others are judged."""
    real = api.check_answer_in_process

    def judge(spec: DerivationSpec, text: str, *, latex: bool = False, seed: int | None = None) -> Verdict:
        if text == "slow":
            time.sleep(60)
        return real(spec, text, latex=latex, seed=seed)

    monkeypatch.setattr(api, "check_answer_in_process", judge)


def test_nine_answers_that_never_finish_cost_one_budget_each_at_most(
        slow_answers: None, specs: dict[str, DerivationSpec]) -> None:
    spec = specs["d_tanh"]
    start = time.monotonic()
    verdicts = check_answers([(spec, "slow", False)] * 9, limits=BUDGET)
    elapsed = time.monotonic() - start
    assert [v.decided_by for v in verdicts] == ["limits"] * 9
    assert all(v.status == "undetermined" for v in verdicts)
    # One budget per answer at most (nine budgets), never the budget times the answers twice.
    assert elapsed < 9 * BUDGET.wall_s + 2, elapsed


def test_one_answer_that_never_finishes_changes_and_delays_no_other(
        slow_answers: None, specs: dict[str, DerivationSpec]) -> None:
    right = [(spec, spec.expected, False) for spec in specs.values()]
    alone = check_answers(right, limits=BUDGET, seeds=[7] * len(right))
    start = time.monotonic()
    mixed = check_answers([(specs["d_tanh"], "slow", False), *right], limits=BUDGET, seeds=[7] * (1 + len(right)))
    elapsed = time.monotonic() - start
    assert mixed[0].decided_by == "limits"
    assert [v.status for v in mixed[1:]] == ["correct"] * len(right)
    assert [v.message for v in mixed[1:]] == [v.message for v in alone]
    # The others are judged beside it: the whole notebook takes about one budget.
    assert elapsed < 2 * BUDGET.wall_s + 2, elapsed


def test_the_limits_verdict_tells_the_student_what_ran_out(
        slow_answers: None, specs: dict[str, DerivationSpec]) -> None:
    verdict = check_answers([(specs["d_tanh"], "slow", False)], limits=BUDGET)[0]
    assert "time limit" in verdict.message["en"] and "tiempo" in verdict.message["es"]


def test_each_child_gets_the_whole_budget_not_a_share() -> None:
    def nap() -> float:
        time.sleep(0.6)
        return 1.0

    results = run_each([nap] * 5, Limits(wall_s=1.0), parallel=2)
    assert [r.ok for r in results] == [True] * 5  # each has 1 s, although the five take longer


def test_results_come_back_in_order_whatever_finishes_first() -> None:
    def after(seconds: float, value: int) -> Callable[[], int]:
        return lambda: (time.sleep(seconds), value)[1]

    results = run_each([after(0.4, 0), after(0.0, 1), after(0.2, 2), after(0.0, 3)], parallel=3)
    assert [r.value for r in results] == [0, 1, 2, 3]


def _spin(seconds: float) -> None:
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def test_soft_budgets_nest_without_outliving_the_outer_one() -> None:
    def nested() -> str:
        try:
            with soft_budget(0.3), soft_budget(5.0):
                _spin(2)
        except BudgetExceeded:
            return "outer fired"
        return "ran through"

    assert run_bounded(nested, Limits(wall_s=10, cpu_s=10)).value == "outer fired"


def test_soft_budgets_count_processor_time_not_the_clock() -> None:
    def waits() -> str:
        try:
            with soft_budget(0.2):
                time.sleep(0.6)  # a busy machine delays the clock, not this answer's own work
                _spin(0.05)
        except BudgetExceeded:
            return "fired"
        return "within budget"

    assert run_bounded(waits, Limits(wall_s=10, cpu_s=10)).value == "within budget"


@pytest.mark.skipif(not latex_available(), reason="LaTeX parser backend missing")
def test_a_notebook_of_nested_bars_is_refused_quickly(specs: dict[str, DerivationSpec]) -> None:
    bomb = "$" + "|" * 24 + "x" + "|" * 24 + "$"
    verdicts = check_answers([(spec, bomb, True) for spec in specs.values()], limits=Limits(wall_s=5, cpu_s=5))
    assert all(v.status == "invalid" and "nested too deeply" in v.message["en"] for v in verdicts)


def test_workers_are_reused_and_each_call_gets_the_whole_processor_budget() -> None:
    def work() -> int:
        _spin(0.4)
        return os.getpid()

    results = run_each([work] * 6, Limits(wall_s=10, cpu_s=1), parallel=2)
    assert all(r.ok for r in results)  # 2.4 s of work in all, 1 s each
    assert len({r.value for r in results}) <= 2  # two workers, forked once


def test_a_call_that_fails_takes_only_its_worker_down() -> None:
    def stuck() -> int:
        time.sleep(60)
        return 0

    results = run_each([os.getpid, stuck, os.getpid, os.getpid], Limits(wall_s=0.5), parallel=1)
    assert [r.failure for r in results] == [None, "timeout", None, None]
    assert results[0].value != results[2].value == results[3].value  # a fresh worker carried on
