"""Grading on a Dask cluster against grading here, on the same machine, in one run.

    python benchmarks/cluster_throughput.py [--n 400] [--workers 1,2] [--exercise activations]

Generates `--n` notebooks (benchmarks/generate.py) and grades them, for each worker count W, once
with the local pool (`--jobs W`) and once through a LocalCluster of W worker processes
(`--cluster local:W`), each batch in a fresh process (nothing cached from one to the next), and
prints side by side:

- throughput: notebooks per second for the whole batch (start-up included) and in steady state
  (first result to last), and the cluster's over the local pool's;
- Dask's added cost per notebook: from each notebook's trace, the time between the moment it could
  have started (sent, and its worker free) and the moment it did, plus the time from its end on
  the worker to its result reaching the grading process (median and p95);
- start-up without --cluster: `grader grade` of one notebook with Dask importable and with its
  import made impossible, alternated, so that Dask's presence is shown to cost nothing.
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import generate  # noqa: E402

# Runs `grader`, with `import dask` / `import distributed` made impossible (as without the extra)
# when its first argument is "no-dask"; the same way in both cases, so that only that differs.
GRADER = """
import importlib.abc, sys
class NoDask(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("dask", "distributed"):
            raise ModuleNotFoundError(name)
        return None
if sys.argv[1] == "no-dask":
    sys.meta_path.insert(0, NoDask())
sys.argv = ["grader", *sys.argv[2:]]
from grader.cli import run
run()
"""


def one_batch(subs: Path, out: Path, workers: int, cluster: bool) -> dict[str, object]:
    """Grade in this process (the benchmark calls itself once per batch) and report timings."""
    import resource

    from grader.batch import Options, grade_batch

    arrivals: list[float] = []
    cpus: list[float] = []

    def arrived(result: object, fresh: bool) -> None:
        arrivals.append(time.perf_counter())
        usage = resource.getrusage(resource.RUSAGE_SELF)
        cpus.append(usage.ru_utime + usage.ru_stime)

    cpu = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    outcome = grade_batch(subs, Options(out=out, jobs=workers, cluster=f"local:{workers}" if cluster else None),
                          on_result=arrived)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    own_cpu = after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime
    waits, backs = [], []
    by_worker: dict[str, list[object]] = {}
    for trace in outcome.trace:
        by_worker.setdefault(trace.address, []).append(trace)
    for traces in by_worker.values():  # one thread per worker: a notebook can start once the one before ends
        traces.sort(key=lambda t: t.started)
        free = 0.0
        for trace in traces:
            waits.append(max(0.0, trace.started - max(trace.sent, free)))
            backs.append(max(0.0, trace.arrived - trace.ended))
            free = trace.ended
    return {"wall": wall, "steady": arrivals[-1] - arrivals[0] if len(arrivals) > 1 else wall,
            "graded": outcome.graded, "waits": waits, "backs": backs, "phases": outcome.phases, "cpu": own_cpu,
            "steady_cpu": (cpus[-1] - cpus[0]) / max(1, len(cpus) - 1)}


def run_batch(subs: Path, out: Path, workers: int, cluster: bool) -> dict[str, object]:
    shutil.rmtree(out, ignore_errors=True)
    proc = subprocess.run([sys.executable, __file__, "--one", str(subs), str(out), str(workers),
                           "cluster" if cluster else "local"], check=True, capture_output=True, text=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def start_up(notebook: Path, work: Path, dask: bool) -> float:
    out = work / f"startup-{time.monotonic_ns()}"
    command = [sys.executable, "-c", GRADER, "dask" if dask else "no-dask"]
    started = time.perf_counter()
    subprocess.run([*command, "grade", str(notebook), "--out", str(out), "--jobs", "1"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def _per(seconds: object, count: int) -> str:
    return f"{1000 * float(seconds) / count:.1f} ms"  # type: ignore[arg-type]


def _ms(values: list[float]) -> str:
    return f"{1000 * statistics.median(values):6.2f} ms, {1000 * percentile(values, 0.95):6.2f} ms"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--one":
        subs, out, workers, mode = sys.argv[2:6]
        print(json.dumps(one_batch(Path(subs), Path(out), int(workers), mode == "cluster")))
        sys.stdout.flush()
        os._exit(0)  # the interpreter's teardown of torch is not part of any batch
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--workers", default=",".join(str(w) for w in range(1, len(os.sched_getaffinity(0)) + 1)))
    parser.add_argument("--exercise", default="activations")
    parser.add_argument("--startups", type=int, default=5)
    args = parser.parse_args()
    counts = [int(w) for w in args.workers.split(",")]

    work = Path(tempfile.mkdtemp(prefix="grader-cluster-bench-"))
    try:
        subs = work / "subs"
        paths = generate(subs, args.n, args.exercise)
        print(f"notebooks: {args.n} of '{args.exercise}'; this machine: {len(os.sched_getaffinity(0))} cores")
        print(f"{'workers':>7}  {'mode':<8} {'batch s':>8} {'nb/s':>7} {'steady nb/s':>12} {'cluster/local':>14}")
        waits: list[float] = []
        backs: list[float] = []
        for workers in counts:
            local = run_batch(subs, work / f"local-{workers}", workers, cluster=False)
            remote = run_batch(subs, work / f"cluster-{workers}", workers, cluster=True)
            assert local["graded"] == remote["graded"] == args.n, (local["graded"], remote["graded"])
            for mode, got in (("local", local), ("cluster", remote)):
                ratio = (args.n / float(got["steady"])) / (args.n / float(local["steady"]))  # type: ignore[arg-type]
                print(f"{workers:>7}  {mode:<8} {got['wall']:8.2f} {args.n / float(got['wall']):7.2f} "  # type: ignore[arg-type]
                      f"{args.n / float(got['steady']):12.2f} {ratio if mode == 'cluster' else 1.0:14.3f}")  # type: ignore[arg-type]
            print(f"{'':>7}  phases, cluster: {json.dumps(remote['phases'])}")
            print(f"{'':>7}  grading process CPU per notebook, whole batch: local {_per(local['cpu'], args.n)}, "
                  f"cluster {_per(remote['cpu'], args.n)} (its scheduler included); first result to last: "
                  f"local {_per(local['steady_cpu'], 1)}, cluster {_per(remote['steady_cpu'], 1)}")
            waits += remote["waits"]  # type: ignore[arg-type]
            backs += remote["backs"]  # type: ignore[arg-type]
        added = [w + b for w, b in zip(waits, backs)]
        print(f"Dask's added cost per notebook, over {len(added)} notebooks (median, p95):")
        print(f"  worker idle before it (sent, worker free, not yet started): {_ms(waits)}")
        print(f"  its result coming back (ended on the worker, known here):   {_ms(backs)}")
        print(f"  both:                                                        {_ms(added)}")
        with_dask, without = [], []
        for _ in range(args.startups):
            with_dask.append(start_up(paths[0], work, dask=True))
            without.append(start_up(paths[0], work, dask=False))
        print(f"without --cluster, grading one notebook, start-up included: median "
              f"{statistics.median(with_dask):.3f} s with Dask installed, {statistics.median(without):.3f} s with it "
              f"impossible to import (ratio {statistics.median(with_dask) / statistics.median(without):.3f})")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
