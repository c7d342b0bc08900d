"""Generate N realistic submissions of a bundled exercise: mostly correct, some partly wrong, a few failing.

    python benchmarks/generate.py OUT_DIR --n 200 [--exercise activations] [--torch] [--seed 0]

Each notebook is the exercise's solution with, by a seeded draw: nothing changed (60%), one kept
wrong variant applied (30%), or a failure (10%: a syntax error, an exception at import time, a
missing function). Every notebook also ends with a scratch cell of the student's own (different
numbers and names in each), as real notebooks do, so no two submissions are byte-identical.
`--torch` adds `import torch` at the top, as many course notebooks do.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _solution(exercise: str) -> dict:
    nb = json.loads((ROOT / "exercises" / exercise / "solution.ipynb").read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            cell["source"] = "\n".join(line for line in src.split("\n") if "SOLUTION" not in line)
    return nb


def _cell(source: str) -> dict:
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": source}


def generate(out: Path, n: int, exercise: str = "activations", torch: bool = False, seed: int = 0) -> list[Path]:
    rng = random.Random(seed)
    base = _solution(exercise)
    wrong = sorted((ROOT / "exercises" / exercise / "wrong").glob("*.py"))
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        nb = json.loads(json.dumps(base))
        if torch:
            nb["cells"].insert(1, _cell("import torch\ntorch.manual_seed(0)"))
        draw = rng.random()
        if draw < 0.6:
            kind = "correct"
        elif draw < 0.9 and wrong:
            kind = "wrong"
            nb["cells"].append(_cell(rng.choice(wrong).read_text(encoding="utf-8")))
        else:
            kind = rng.choice(["syntax", "exception", "missing"])
            code = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"]
            target = nb["cells"][rng.choice(code[1:])]
            if kind == "syntax":
                target["source"] = target["source"].replace("):", ")", 1)
            elif kind == "exception":
                target["source"] = "raise ValueError('not finished')\n" + target["source"]
            else:
                target["source"] = "# deleted\n"
        rows, cols = rng.randint(2, 9), rng.randint(2, 9)
        name = rng.choice(["trial", "check", "probe", "sample", "xs", "test_input", "mine"])
        nb["cells"].append(_cell(f"# my own checks, student {i}\nimport numpy as np\n"
                                 f"{name} = np.random.default_rng({rng.randint(0, 10**6)}).normal(size=({rows}, {cols}))\n"
                                 f"print('{kind} {i}', {name}.shape, float({name}.mean().round(3)))"))
        path = out / f"student_{i:04d}_{kind}.ipynb"
        path.write_text(json.dumps(nb), encoding="utf-8")
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--exercise", default="activations")
    parser.add_argument("--torch", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    paths = generate(args.out, args.n, args.exercise, args.torch, args.seed)
    print(f"{len(paths)} notebooks in {args.out}")


if __name__ == "__main__":
    main()
