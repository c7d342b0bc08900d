"""Throughput of `grader grade` against executing the same notebooks with nbclient, in one run.

    python benchmarks/grade_throughput.py [--n 200] [--baseline-n 20] [--torch] [--jobs 2]

Prints, side by side: submissions per second for the grader (whole CLI run: start-up, sandbox,
checks, reports, gradebook) and for nbclient (one fresh kernel per notebook, executed one after
the other, as nbgrader's autograde does; measured on `--baseline-n` notebooks and reported per
notebook), their ratio, the grader's overhead per submission beyond the student's own code
(median and p95), peak memory of the grading process tree, a re-run on unchanged submissions,
and `grader check` latency for one notebook.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import generate  # noqa: E402

GRADER = [sys.executable, "-m", "grader.cli"]


def run_grader(folder: Path, out: Path, jobs: int) -> float:
    started = time.perf_counter()
    subprocess.run([*GRADER, "grade", str(folder), "--out", str(out), "--jobs", str(jobs)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def run_nbclient(paths: list[Path]) -> float:
    import nbformat
    from nbclient import NotebookClient

    started = time.perf_counter()
    for path in paths:
        nb = nbformat.read(str(path), as_version=4)
        client = NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=True,
                                resources={"metadata": {"path": str(path.parent)}})
        client.execute()
    return time.perf_counter() - started


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--baseline-n", type=int, default=20)
    parser.add_argument("--torch", action="store_true", help="notebooks that import torch")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--exercise", default="activations")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="grader-bench-"))
    try:
        subs = work / "subs"
        paths = generate(subs, args.n, args.exercise, torch=args.torch)
        out = work / "out"

        grader_s = run_grader(subs, out, args.jobs)
        rerun_s = run_grader(subs, out, args.jobs)
        baseline = paths[: args.baseline_n]
        nbclient_s = run_nbclient(baseline)

        results = json.loads((out / "results.json").read_text())["submissions"]
        overhead = [s["timings"]["wall"] - s["timings"]["student"] for s in results if s.get("timings")]
        student = sum(s["timings"].get("student", 0.0) for s in results if s.get("timings"))
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

        released = work / "released"
        subprocess.run([*GRADER, "release", args.exercise, "--out", str(released)], check=True,
                       stdout=subprocess.DEVNULL)
        shutil.copy(paths[0], released / "mine.ipynb")
        checks = []
        for _ in range(3):
            started = time.perf_counter()
            subprocess.run([*GRADER, "check", str(released / "mine.ipynb")], stdout=subprocess.DEVNULL)
            checks.append(time.perf_counter() - started)

        grader_rate = args.n / grader_s
        nbclient_rate = len(baseline) / nbclient_s
        print(f"notebooks: {args.n} of '{args.exercise}'{' importing torch' if args.torch else ''}; "
              f"{args.jobs} grader workers; nbclient on {len(baseline)} of them, sequentially")
        print(f"grader    {grader_rate:8.2f} submissions/s   ({grader_s:.2f} s for {args.n})")
        print(f"nbclient  {nbclient_rate:8.2f} submissions/s   ({nbclient_s:.2f} s for {len(baseline)}, "
              f"{nbclient_s / len(baseline):.3f} s each)")
        print(f"ratio     {grader_rate / nbclient_rate:8.1f} x")
        print(f"overhead per submission beyond student code: median {1000 * statistics.median(overhead):.1f} ms, "
              f"p95 {1000 * percentile(overhead, 0.95):.1f} ms (student code in total: {student:.2f} s)")
        print(f"batch overhead: {1000 * (grader_s * args.jobs - student) / args.n:.1f} ms per submission "
              f"(wall x workers - student time, start-up included)")
        print(f"re-run on unchanged submissions: {rerun_s:.2f} s ({grader_s / rerun_s:.1f} x faster than the first run)")
        print(f"peak memory of one child process tree (max RSS): {peak_mb:.0f} MiB")
        print(f"grader check, one notebook, start-up included: median {statistics.median(checks):.2f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
