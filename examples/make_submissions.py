"""Regenerate the sample class in examples/submissions/ from the activations solution.

Each synthetic student shows one situation the grader must handle: a correct notebook, common
mistakes, a syntax error, an endless loop, a cell that ends the process, shell magics, a
forbidden library call, and a file that is not a notebook at all.

    python examples/make_submissions.py
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOLUTION = HERE.parent / "exercises" / "activations" / "solution.ipynb"
OUT = HERE / "submissions"


def load() -> dict:
    nb = json.loads(SOLUTION.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            cell["source"] = "\n".join(line for line in src.split("\n") if "SOLUTION" not in line)
    return nb


def replace_function(nb: dict, name: str, new_code: str) -> dict:
    """A copy of nb where the cell defining `name` gets `new_code` appended (overriding it)."""
    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and f"def {name}(" in cell["source"]:
            cell["source"] += "\n\n\n" + new_code.strip()
            return nb
    raise KeyError(name)


def code_cell(source: str) -> dict:
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": source}


def write(name: str, nb: dict | str) -> None:
    text = nb if isinstance(nb, str) else json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
    (OUT / f"{name}.ipynb").write_text(text, encoding="utf-8")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    base = load()
    write("ana_correct", base)

    partly = replace_function(base, "tanh", """
def tanh(x):
    return (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))   # overflows at ±1000""")
    partly = replace_function(partly, "softmax", """
def softmax(x):
    e = np.exp(x)                      # no max subtracted
    return e / e.sum(axis=0, keepdims=True)""")
    partly = replace_function(partly, "relu_prime", """
def relu_prime(x):
    return np.maximum(0.0, x)""")
    partly = replace_function(partly, "sign", """
def sign(x):
    return np.sign(x)""")
    write("bruno_partly_wrong", partly)

    syntax = copy.deepcopy(base)
    for cell in syntax["cells"]:
        if "def tanh(" in cell["source"]:
            cell["source"] = cell["source"].replace("def tanh(x):", "def tanh(x)")
    write("carla_syntax_error", syntax)

    loop = copy.deepcopy(base)
    loop["cells"].insert(4, code_cell("# a training loop that never stops\nepoch = 0\nwhile True:\n    epoch += 1"))
    write("diego_infinite_loop", loop)

    exits = copy.deepcopy(base)
    exits["cells"].insert(5, code_cell("import os\nos._exit(0)"))
    write("elena_os_exit", exits)

    magics = copy.deepcopy(base)
    magics["cells"].insert(1, code_cell("!pip install numpy\n%matplotlib inline\nimport matplotlib.pyplot as plt"))
    write("gabi_magics", magics)

    forbidden = replace_function(base, "sigmoid", """
import torch
def sigmoid(x):
    return torch.sigmoid(torch.as_tensor(x)).numpy()""")
    write("hugo_library_sigmoid", forbidden)

    write("fede_not_json", '{"cells": [ {"cell_type": "code", "source": "def step(x):\\n   return x" ]\n')


if __name__ == "__main__":
    main()
