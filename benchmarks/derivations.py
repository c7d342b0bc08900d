"""Checking derivation answers before and after per-answer budgets, capped nesting and per-student
sampling, measured side by side in one run.

    python benchmarks/derivations.py [--before COMMIT] [--timeout 120] [--repeat 3]

The grader at `--before` is read from git into a temporary folder; it and the working tree each
judge the same answers in a fresh process per scenario, through `grader.symbolic.check_answers`
(the path grading takes): nine right answers of the `derivations` exercise (not in the key's own
form), then nine wrong ones, for ten students in a row after a first one (whose check also works
out what a batch does once: the batch's points, sympy's caches), the right ones with one answer replaced by a bar bomb (`|` × 16, `x`, `|` × 16: about 18 s for sympy's LaTeX parser), nine bar
bombs, and the formula search of a markdown cell of unclosed `\\[`. A scenario that passes
`--timeout` is stopped and printed as such. Printed: seconds (wall clock, median of `--repeat`),
processor seconds of the process and its children over the same span (other work on the machine
slows the wall clock more than these), and the ratio of the wall clocks, before / after.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEFORE = "140351d"  # the last commit with the lazy formula search and one child for all answers
BAR_BOMB = "$" + "|" * 16 + "x" + "|" * 16 + "$"
# Right answers as students write them (not the key's own form, which needs no evaluation), and
# wrong ones, catalogued or not.
RIGHT = ("exp(-x)/(1 + exp(-x))**2", "sech(x)**2", "Heaviside(x)", "(f(a) - y)*f'(a)*x_i", "1/(1 + exp(-a)) - y",
         "-(y_k - s_k)", "2*w*x**2 - 2*x*y + 2*lam*w", "18/2", "-24.0")
WRONG = ("sigma(x)*(1 - x)", "tanh(x)", "Max(0, x)", "y*x_i", "y - sigma(a)", "s_k*(1 - s_k)", "x*(w*x - y) + lam*w",
         "8", "24")
SCENARIOS = ("ten students' nine right answers", "ten students' nine wrong answers",
             "one bar bomb among eight right answers", "nine bar bombs", "formula search, 40 000 unclosed \\[")


def _child(scenario: str) -> None:
    """Run one scenario in this process (the grader on sys.path is the one measured)."""
    import importlib.util
    import inspect

    from grader.symbolic import check_answers, prepare

    spec = importlib.util.spec_from_file_location("answers", ROOT / "exercises" / "derivations" / "answers.py")
    assert spec is not None and spec.loader is not None
    answers = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(answers)
    specs = list(answers.SPECS.values())
    right = [(s, text, False) for s, text in zip(specs, RIGHT)]
    wrong = [(s, text, False) for s, text in zip(specs, WRONG)]
    for s in specs:
        prepare(s, latex=True)

    def check(items: list, student: int = 0) -> list:
        if "seeds" not in inspect.signature(check_answers).parameters:
            return check_answers(items)
        # As grading calls it: the batch's seed for each spec, and the student's own.
        return check_answers(items, seeds=[(1000 + i, 2000 + 100 * student + i) for i in range(len(items))])

    if scenario in SCENARIOS[:2]:
        check(right if scenario == SCENARIOS[0] else wrong, 0)  # the batch's first student: work done once
    cpu_before = _cpu()
    start = time.perf_counter()
    if scenario == SCENARIOS[0]:
        verdicts = [v for student in range(1, 11) for v in check(right, student)]
    elif scenario == SCENARIOS[1]:
        verdicts = [v for student in range(1, 11) for v in check(wrong, student)]
    elif scenario == SCENARIOS[2]:
        verdicts = check([(specs[1], BAR_BOMB, True), *right[:1], *right[2:]])
    elif scenario == SCENARIOS[3]:
        verdicts = check([(s, BAR_BOMB, True) for s in specs])
    else:
        from grader.grading import latex_in_markdown

        latex_in_markdown("\\[" * 40_000)
        verdicts = []
    elapsed = time.perf_counter() - start
    print(json.dumps({"seconds": elapsed, "cpu": _cpu() - cpu_before, "statuses": [v.status for v in verdicts]}))


def _cpu() -> float:
    """Processor seconds of this process and of its children that have ended."""
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return sum(u.ru_utime + u.ru_stime for u in usage)


def _tree(commit: str, into: Path) -> Path:
    archive = into / "before.tar"
    subprocess.run(["git", "archive", "-o", str(archive), commit, "grader"], cwd=ROOT, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return into


def _measure(scenario: str, path: Path, timeout: float) -> dict[str, object] | None:
    env_path = f"{path}"
    try:
        out = subprocess.run([sys.executable, __file__, "--child", scenario], capture_output=True, text=True,
                             timeout=timeout, env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"}, check=True)
    except subprocess.TimeoutExpired:
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default=BEFORE)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        _child(args.child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        before = _tree(args.before, Path(tmp))
        print(f"{'scenario':42} {'before s':>10} {'after s':>9} {'ratio':>7} {'before cpu':>11} {'after cpu':>10}")
        for scenario in SCENARIOS:
            rows = {}
            for name, path in (("before", before), ("after", ROOT)):
                runs = []
                for _ in range(args.repeat):
                    run = _measure(scenario, path, args.timeout)
                    runs.append(run)
                    if run is None:
                        break  # one time-out says enough
                done = [r for r in runs if r is not None]
                rows[name] = None if len(done) < len(runs) else (
                    statistics.median(float(r["seconds"]) for r in done),  # type: ignore[arg-type]
                    statistics.median(float(r["cpu"]) for r in done))  # type: ignore[arg-type]
            b, a = rows["before"], rows["after"]
            shown_b = f"{b[0]:10.2f}" if b else f"{'>' + format(args.timeout, 'g'):>10}"
            shown_a = f"{a[0]:9.2f}" if a else f"{'>' + format(args.timeout, 'g'):>9}"
            ratio = f"{b[0] / a[0]:7.1f}" if a and b else f"{'>' + format(args.timeout / a[0], '.0f') if a else '?':>7}"
            cpu_b = f"{b[1]:11.2f}" if b else f"{'-':>11}"
            cpu_a = f"{a[1]:10.2f}" if a else f"{'-':>10}"
            print(f"{scenario:42} {shown_b} {shown_a} {ratio} {cpu_b} {cpu_a}", flush=True)


if __name__ == "__main__":
    main()
