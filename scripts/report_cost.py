"""What the reports cost: per picture kind, and for a class of 200.

    .venv/bin/python scripts/report_cost.py

Uses the hand-made results of tests/report/samples.py. Prints milliseconds per picture (after
matplotlib's import and first figure, printed apart) and the time to render 200 reports and the
class page, when every student's pictures differ (the worst case) and when their mistakes repeat.
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from grader.i18n import Text
from grader.report import plots, render_index, render_student, report_name
from grader.results import SubmissionResult

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
samples: Any = __import__("tests.report.samples", fromlist=["samples"])  # the hand-made results of the tests


def varied(k: int) -> dict[str, dict]:
    """Three pictures whose data differ with k (so that none comes from the cache)."""
    path = samples.trajectory_plot()
    path["student"] = (np.array(path["student"]) * (1 + k / 1000)).tolist()
    boundary = samples.boundary_plot()
    wrong = np.array(boundary["student"])
    wrong.flat[k % wrong.size] = 1 - wrong.flat[k % wrong.size]  # one more cell wrong: new data
    boundary["student"] = wrong.tolist()
    return {"relu_prime": samples.curve_plot(np.maximum(samples.X, 0.0) * (1 + k / 1000)), "adam": path,
            "xor": boundary}


def student(k: int, repeat: bool) -> SubmissionResult:
    base = samples.bruno()
    data = varied(5000 + k % 5 if repeat else k)
    tasks = tuple(replace(task, plots=(data[task.id],)) if task.id in data else task for task in base.tasks)
    return replace(base, student=f"student_{k:03d}", tasks=tasks)


def main() -> None:
    started = time.perf_counter()
    plots.picture(samples.curve_plot(np.maximum(samples.X, 0.0) * 3), "en")
    print(f"matplotlib import and first picture: {time.perf_counter() - started:.2f} s (once per process)")
    for kind in ("relu_prime", "adam", "xor"):
        n = 20
        started = time.perf_counter()
        for k in range(n):
            plots.picture(varied(10_000 + k)[kind], "en")
        name = {"relu_prime": "curve", "adam": "trajectory", "xor": "boundary"}[kind]
        print(f"{name:>10}: {1000 * (time.perf_counter() - started) / n:.0f} ms per picture")
    started = time.perf_counter()
    for _ in range(100):
        plots.picture(varied(10_000)["relu_prime"], "en")
    print(f"{'cached':>10}: {1000 * (time.perf_counter() - started) / 100:.2f} ms per picture")
    title = Text("Lab", "Práctica")
    for repeat in (False, True):
        results = [student(k, repeat) for k in range(200)]
        before = plots.COUNTERS.drawn
        started = time.perf_counter()
        for result in results:
            render_student(result, title, "en")
        render_index(results, "Lab", "en", {r.student: f"reports/{report_name(r.student)}" for r in results})
        label = "mistakes repeat (5 kinds)" if repeat else "every picture differs"
        print(f"200 reports + class page, {label}: {time.perf_counter() - started:.1f} s, "
              f"{plots.COUNTERS.drawn - before} pictures drawn")


if __name__ == "__main__":
    main()
