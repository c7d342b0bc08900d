"""The similarity step before and after grouping, measured side by side in one run.

    python benchmarks/similarity.py [--sizes 250 2000] [--paragraphs 15000] [--before COMMIT]

For each class size, a synthetic class is generated: students in groups that handed in the same
code and the same written answer (a few large groups, more small ones, the rest on their own),
each notebook with a scratch cell of the student's own. Both implementations run on the same
notebooks, each in a fresh process: the one at `--before` (read from git: every pair with its
passages) and the working tree's (groups, caps, a budget). Printed for each: seconds, peak
memory of the process, entries reported and the bytes they take in `results.json`, and the ratios
of the two. Times are wall clock and, since other work on the machine slows both, processor time.
The working tree's step is also run as grading runs it: the works streamed one line each to the
comparison process, whose own peak memory is printed (the figure that should stay flat as the
class grows). `--paragraphs N` adds one submission whose written answer holds N distinct 16-word
paragraphs (the repetition check inside one submission); 0 leaves it out.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEFORE = "213b88b"  # the last commit that reported every pair
VOCABULARY = ("gradient", "descent", "update", "weights", "bias", "layer", "network", "loss", "function", "step",
              "rate", "learning", "batch", "epoch", "training", "model", "error", "output", "input", "hidden",
              "unit", "activation", "sigmoid", "tanh", "relu", "softmax", "derivative", "chain", "rule",
              "backpropagation", "optimiser", "momentum", "noise", "minimum", "saddle", "point", "curve", "data",
              "example", "sample", "value", "small", "large", "fast", "slow", "stable", "converge", "diverge",
              "because", "therefore", "every", "each", "many", "few", "the", "a", "of", "to", "in", "on", "with",
              "by", "for", "is", "are", "it", "this", "that")


def _function(rng: random.Random, name: str) -> str:
    ops = ["+", "-", "*", "/"]
    calls = ["np.exp", "np.tanh", "np.abs", "np.sqrt", "np.log1p", "np.maximum(0, "]
    lines = [f"def {name}(x, y):"]
    for k in range(rng.randint(3, 7)):
        call = rng.choice(calls)
        close = ")" if call.endswith(", ") else ""
        lines.append(f"    v{k} = {call}(x {rng.choice(ops)} {rng.uniform(0.1, 9):.3f}){close} "
                     f"{rng.choice(ops)} y * {rng.uniform(0.1, 9):.3f}")
        if rng.random() < 0.3:
            lines.append(f"    if v{k}.mean() > {rng.uniform(0, 1):.2f}:\n        v{k} = v{k} {rng.choice(ops)} "
                         f"{rng.randint(2, 99)}")
    lines.append(f"    return v0 {rng.choice(ops)} v{k} * {rng.uniform(0.1, 9):.3f}")
    return "\n".join(lines)


def _program(rng: random.Random) -> list[str]:
    return ["import numpy as np"] + [_function(rng, f"task_{j}") for j in range(10)]


def _prose(rng: random.Random, n: int = 60) -> str:
    return " ".join(rng.choice(VOCABULARY) for _ in range(n)) + "."


def _sizes(n: int, rng: random.Random) -> list[int]:
    """Group sizes summing to n: five large groups, medium and small ones, the rest alone."""
    sizes = [max(2, n // 12)] * 5
    while sum(sizes) < n * 3 // 4:
        sizes.append(rng.randint(10, 30) if rng.random() < 0.3 else rng.randint(2, 4))
    sizes.append(max(0, n - sum(sizes)))
    ones = sizes.pop()
    return sizes + [1] * ones


def synthetic_class(n: int, seed: int = 0) -> list[dict]:
    """n notebooks (as nbformat dicts) in groups of identical code and prose."""
    rng = random.Random(seed)
    notebooks: list[dict] = []
    for size in _sizes(n, rng):
        cells = _program(rng)
        answer = _prose(rng)
        for _ in range(size):
            i = len(notebooks)
            scratch = (f"# my own checks, student {i}\nx_{i} = np.random.default_rng({rng.randint(0, 10**6)})"
                       f".normal(size=({rng.randint(2, 9)}, {rng.randint(2, 9)}))\nprint(x_{i}.mean())")
            code = [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": c}
                    for c in cells + [scratch]]
            prose = {"cell_type": "markdown", "metadata": {"tags": ["t1"]}, "source": answer}
            notebooks.append({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": code + [prose]})
    return notebooks[:n]


def paragraphs_notebook(count: int, seed: int = 1) -> dict:
    rng = random.Random(seed)
    text = "\n\n".join(" ".join(f"{rng.choice(VOCABULARY)}{rng.randint(0, 999)}" for _ in range(16))
                       for _ in range(count))
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
            "cells": [{"cell_type": "markdown", "metadata": {"tags": ["t1"]}, "source": text}]}


def _works(notebooks: list[dict]) -> list[tuple[str, str, tuple[tuple[str, str], ...]]]:
    """Each notebook's code and prose as the batch hands them to the step, before any cap: both
    implementations see the same, whole input (the working tree's caps are its own to apply)."""
    from grader.notebook import parse_notebook

    out = []
    for i, nb in enumerate(notebooks):
        parsed = parse_notebook(json.dumps(nb).encode(), Path(f"student_{i:04d}.ipynb"))
        code = "\n\n".join(c.source for c in parsed.code_cells)
        texts = tuple((c.tags[0] if c.tags else f"cell {c.index + 1}", c.source) for c in parsed.cells
                      if c.kind == "markdown" and c.source.strip())
        out.append((f"student_{i:04d}", code, texts))
    return out


def _before_module(commit: str) -> object:
    import grader.exam  # noqa: F401  (the old module imports it relatively)

    source = subprocess.run(["git", "show", f"{commit}:grader/similarity.py"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout
    path = Path(tempfile.mkdtemp()) / "similarity_before.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("grader.similarity_before", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def child(which: str, data: Path, commit: str) -> None:
    """Run one implementation on the works in `data`; print seconds, entries and bytes as JSON."""
    works = json.loads(data.read_text(encoding="utf-8"))
    if which == "streamed":
        from grader.comparison import Background
        from grader.similarity import Work

        items = [Work(s, c, tuple(tuple(t) for t in texts)) for s, c, texts in works]
        started, cpu = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
        findings = Background([(items, None)]).result()
        seconds = time.perf_counter() - started
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        print(json.dumps({"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime - cpu,
                          "peak_mib": usage.ru_maxrss / 1024, "entries": len(findings.groups),
                          "bytes": len(json.dumps(findings.to_json(), indent=1, ensure_ascii=False))}))
        return
    if which == "before":
        module = _before_module(commit)
        items = [module.Work(s, c, tuple(tuple(t) for t in texts)) for s, c, texts in works]  # type: ignore[attr-defined]
        started, cpu = time.perf_counter(), time.process_time()
        pairs = module.find_similar(items)  # type: ignore[attr-defined]
        entries = [p.to_json() for p in pairs]
        size = len(json.dumps(entries, indent=1, ensure_ascii=False))
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        count = len(entries)
    else:
        from grader.similarity import Work, find_similar

        items = [Work(s, c, tuple(tuple(t) for t in texts)) for s, c, texts in works]
        started, cpu = time.perf_counter(), time.process_time()
        findings = find_similar(items)
        size = len(json.dumps(findings.to_json(), indent=1, ensure_ascii=False))
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        count = len(findings.groups)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_mib": peak, "entries": count, "bytes": size}))


def measure(which: str, data: Path, commit: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", which, str(data), "--before", commit],
                         env={"PYTHONHASHSEED": "0", "PATH": "/usr/bin:/bin"}, cwd=ROOT, check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def row(label: str, before: dict, after: dict) -> str:
    def side(m: dict, what: str) -> str:
        return (f"{m['seconds']:7.2f} s ({m['cpu']:6.2f} s CPU) {m['peak_mib']:6.0f} MiB peak "
                f"{m['entries']:6d} {what} {m['bytes'] / 2**20:7.2f} MB")

    return (f"{label}\n  before {side(before, 'pairs ')}\n  after  {side(after, 'groups')}\n"
            f"  ratio  time ×{before['seconds'] / max(after['seconds'], 1e-6):.1f} "
            f"(CPU ×{before['cpu'] / max(after['cpu'], 1e-6):.1f}), peak memory ×{before['peak_mib'] / after['peak_mib']:.1f}, "
            f"results.json entries {before['bytes'] / 2**20:.2f} MB → {after['bytes'] / 2**20:.2f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[250, 2000])
    parser.add_argument("--paragraphs", type=int, default=15000)
    parser.add_argument("--before", default=BEFORE)
    parser.add_argument("--child", nargs=2, metavar=("WHICH", "DATA"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), args.before)
        return
    sys.path.insert(0, str(ROOT))
    cases = [(f"{n} notebooks", synthetic_class(n)) for n in args.sizes]
    if args.paragraphs:
        cases.append((f"{args.paragraphs} paragraphs, 1 notebook", [paragraphs_notebook(args.paragraphs)]))
    with tempfile.TemporaryDirectory() as tmp:
        for label, notebooks in cases:
            data = Path(tmp) / "works.json"
            data.write_text(json.dumps(_works(notebooks)), encoding="utf-8")
            print(row(label, measure("before", data, args.before), measure("after", data, args.before)), flush=True)
            streamed = measure("streamed", data, args.before)
            print(f"  as grading runs it (works streamed to its own process): {streamed['seconds']:.2f} s "
                  f"({streamed['cpu']:.2f} s CPU), {streamed['peak_mib']:.0f} MiB peak in that process, "
                  f"{streamed['entries']} groups", flush=True)


if __name__ == "__main__":
    main()
