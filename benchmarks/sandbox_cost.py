"""What this checkout's grading costs against another revision's, side by side in one run.

    python benchmarks/sandbox_cost.py [--against REV] [--n 200] [--rounds 3] [--jobs 2] [--torch]

Checks REV out into a temporary worktree, generates one class (benchmarks/generate.py), then
grades it with each checkout in turn, `--rounds` times, alternating so that the machine's load
falls on both alike. Prints, per checkout, the median wall time of a whole `grader grade` run and
the median overhead per submission beyond the student's own code (the grader's timings: time in
the sandbox minus time in the student's cells and probes), and the ratios. Used to hold a change
of the sandbox to the speed we had (a clean fork source must not cost the throughput).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from generate import generate  # noqa: E402


def grade(tree: Path, folder: Path, out: Path, jobs: int) -> tuple[float, float]:
    """(wall seconds, median overhead per submission in ms) of one run with `tree`'s code."""
    shutil.rmtree(out, ignore_errors=True)
    env = dict(os.environ, PYTHONPATH=str(tree), GRADER_ACCEPT_WEAK_ISOLATION="1")
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "grader.cli", "grade", str(folder), "--out", str(out), "--jobs", str(jobs)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd="/")
    wall = time.perf_counter() - started
    results = json.loads((out / "results.json").read_text())["submissions"]
    overheads = [1000 * (r["timings"]["sandbox"] - r["timings"]["student"]) for r in results
                 if r.get("timings", {}).get("sandbox") is not None and r["status"] == "graded"]
    return wall, statistics.median(overheads) if overheads else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--against", default="HEAD~1", help="the revision to compare with")
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--torch", action="store_true", help="notebooks that import torch")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="grader-cost-"))
    other = base / "other"
    try:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(other), args.against],
                       check=True)
        folder = base / "class"
        generate(folder, args.n, torch=args.torch)
        trees = {"this checkout": ROOT, args.against: other}
        figures: dict[str, list[tuple[float, float]]] = {name: [] for name in trees}
        for _ in range(args.rounds):
            for name, tree in trees.items():
                figures[name].append(grade(tree, folder, base / "out", args.jobs))
        print(f"notebooks: {args.n} of 'activations'{' importing torch' if args.torch else ''}; {args.jobs} workers; "
              f"{args.rounds} alternating rounds (medians)")
        medians = {}
        for name, runs in figures.items():
            wall = statistics.median(w for w, _ in runs)
            overhead = statistics.median(o for _, o in runs)
            medians[name] = (wall, overhead)
            print(f"{name:>16}: {wall:6.2f} s per batch ({args.n / wall:5.1f} submissions/s), "
                  f"overhead {overhead:5.1f} ms per submission   runs: "
                  + ", ".join(f"{w:.1f} s" for w, _ in runs))
        (this_wall, this_over), (that_wall, that_over) = medians["this checkout"], medians[args.against]
        print(f"ratio this/{args.against}: wall {this_wall / that_wall:.3f}, overhead {this_over / that_over:.3f}")
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(other)], check=False,
                       capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
