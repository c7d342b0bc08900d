"""A forbidden function is found by what runs, however it is spelled: aliases of a ufunc, a
Tensor method for a torch function, another module's name for the same operator, a reference
taken before grading began (a default argument, a closure, a class attribute), a name built at
run time. And nothing is reported for code that computes the same thing by hand."""

from __future__ import annotations

import numpy as np
import pytest

from grader.sandbox import Job, Limits, Probe

LIMITS = Limits(cell_seconds=10.0, probe_seconds=10.0, notebook_seconds=60.0)
FORBID = ("numpy.tanh", "torch.tanh", "math.tanh", "torch.sigmoid", "torch.special.expit",
          "torch.nn.functional.sigmoid", "torch.softmax", "torch.nn.functional.softmax", "scipy.special.expit",
          "torch.Tensor.backward")

SPELLINGS = {
    "numpy.tanh": [
        "import numpy._core.umath as um\ndef f(x):\n    return um.tanh(x)",
        "from numpy import tanh as T\ndef f(x):\n    return T(x)",
        "def f(x, g=np.tanh):\n    return g(x)",
        "def make():\n    g = np.tanh\n    def f(x):\n        return g(x)\n    return f\nf = make()",
        "class K:\n    act = staticmethod(np.tanh)\ndef f(x):\n    return K.act(x)",
        "def f(x):\n    return getattr(np, 'ta' + 'nh')(x)",
        "def f(x):\n    return np.__dict__['tanh'](x)",
        "def f(x):\n    return np.tanh.__call__(x)",
    ],
    "torch.tanh": ["def f(x):\n    return torch.from_numpy(x).tanh().numpy()",
                   "def f(x):\n    return torch.nn.Tanh()(torch.from_numpy(x)).numpy()"],
    "torch.sigmoid": [
        "def f(x):\n    return torch.from_numpy(x).sigmoid().numpy()",
        "def f(x):\n    t = torch.from_numpy(x.copy())\n    t.sigmoid_()\n    return t.numpy()",
        "def f(x):\n    return torch.nn.Sigmoid()(torch.from_numpy(x)).numpy()",
        "def f(x):\n    return torch.ops.aten.sigmoid(torch.from_numpy(x)).numpy()",
        "def f(x):\n    return torch.special.expit(torch.from_numpy(x)).numpy()",
    ],
    "torch.softmax": ["def f(x):\n    return torch.from_numpy(x).softmax(-1).numpy()",
                      "def f(x):\n    return torch.nn.Softmax(dim=-1)(torch.from_numpy(x)).numpy()"],
    "math.tanh": ["import math\ndef f(x):\n    return np.array([math.tanh(v) for v in x])"],
    "torch.Tensor.backward": ["def f(x):\n    t = torch.tensor(x, requires_grad=True)\n    (t * t).sum().backward()\n"
                              "    return t.grad.numpy()"],
}
CASES = [(name, code) for name, codes in SPELLINGS.items() for code in codes]


@pytest.mark.parametrize("name, code", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_a_forbidden_function_is_found_however_it_is_spelled(sandbox, name: str, code: str) -> None:
    cells = ((0, "import numpy as np\nimport torch\n" + code),)
    ex = sandbox.execute(Job(cells=cells, probes=(Probe("p", "call", "f", (np.array([0.5, -1.0]),), forbid=FORBID),),
                             limits=LIMITS))
    run = ex.probes["p"]
    assert run.status == "ok", (run, ex.cells[0])
    assert name in run.forbidden_used, run.forbidden_used


def test_the_same_computed_by_hand_is_not_reported(sandbox) -> None:
    code = ("import numpy as np\nimport torch\n"
            "def f(x):\n    e, m = np.exp(x), np.exp(-x)\n    t = torch.from_numpy(x)\n"
            "    s = (1 / (1 + torch.exp(-t))).numpy()\n    return (e - m) / (e + m) + s")
    ex = sandbox.execute(Job(cells=((0, code),), probes=(Probe("p", "call", "f", (np.array([0.5, -1.0]),),
                                                               forbid=FORBID),), limits=LIMITS))
    assert ex.probes["p"].status == "ok" and ex.probes["p"].forbidden_used == ()


def test_a_probe_that_forbids_nothing_records_nothing(sandbox) -> None:
    cells = ((0, "import numpy as np\ndef f(x):\n    return np.tanh(x)"),)
    ex = sandbox.execute(Job(cells=cells, limits=LIMITS, probes=(
        Probe("free", "call", "f", (np.array([0.5]),)),
        Probe("bound", "call", "f", (np.array([0.5]),), forbid=("numpy.tanh",)))))
    assert ex.probes["free"].forbidden_used == () and ex.probes["bound"].forbidden_used == ("numpy.tanh",)
