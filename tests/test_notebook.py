import json

import pytest

from grader.errors import InputError
from grader.notebook import defined_names, imported_modules, parse_notebook, read_notebook
from grader.static import forbidden_uses

from .conftest import make_notebook


def parse(data):
    return parse_notebook(data if isinstance(data, bytes) else json.dumps(data).encode(), __import__("pathlib").Path("x.ipynb"))


def test_cells_tags_and_exercise_id_are_read():
    nb = make_notebook(["a = 1", "b = 2"], exercise="losses", markdown={"d_sigmoid": "$x$"})
    parsed = parse(nb)
    assert parsed.exercise_id == "losses"
    assert [c.source for c in parsed.code_cells] == ["a = 1", "b = 2"]
    assert parsed.tagged("d_sigmoid").source == "$x$"


def test_source_given_as_a_list_of_lines_is_joined():
    nb = make_notebook([])
    nb["cells"].append({"cell_type": "code", "metadata": {}, "outputs": [], "source": ["x = 1\n", "y = 2"]})
    assert parse(nb).code_cells[0].source == "x = 1\ny = 2"


@pytest.mark.parametrize("data, words", [
    (b"\x89PNG\r\n\x1a\n\x00\x00garbage", "not a notebook"),
    (b"{\"cells\": [", "invalid JSON"),
    (b"[" * 100000 + b"]" * 100000, "nested too deeply"),
    (json.dumps({"nbformat": 5, "cells": []}).encode(), "version 5"),
    (json.dumps({"cells": []}).encode(), "nbformat"),
    (json.dumps({"nbformat": 4, "cells": [{"cell_type": "code", "source": 3}]}).encode(), "not text"),
])
def test_bad_files_get_a_clear_error_naming_the_file(data, words):
    with pytest.raises(InputError) as info:
        parse(data)
    assert words in str(info.value) and "x.ipynb" in str(info.value)


def test_version_3_notebooks_are_upgraded():
    v3 = {"nbformat": 3, "nbformat_minor": 0, "metadata": {},
          "worksheets": [{"cells": [{"cell_type": "code", "input": "x = 1", "language": "python", "outputs": []}]}]}
    assert parse(v3).code_cells[0].source == "x = 1"


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_notebook(tmp_path / "nope.ipynb")


def test_defined_and_imported_names():
    src = "import numpy as np\nfrom torch import nn\ndef f(): pass\nclass C: pass\nx, (y, z) = 1, (2, 3)"
    assert defined_names(src) >= {"np", "nn", "f", "C", "x", "y", "z"}
    assert imported_modules([src, "import matplotlib.pyplot as plt", "def g(:"]) == {"numpy", "torch", "matplotlib"}


def test_defined_names_follow_the_top_level_into_blocks_but_not_into_scopes():
    src = ("for i, j in []:\n    pass\nwith open('f') as fh:\n    pass\nif True:\n    def step(x):\n"
           "        inner = 1\n        return x\ntry:\n    import torch\nexcept ImportError as err:\n"
           "    torch = None\nsquares = [q * q for q in range(3)]\nf = lambda w: w\nif (n := 10):\n    pass\n"
           "class K:\n    attr = 1\nfrom os import *\n")
    assert defined_names(src) == {"i", "j", "fh", "step", "torch", "err", "squares", "f", "n", "K"}
    assert defined_names("def g(:") == set()


@pytest.mark.parametrize("cells, found", [
    (["import torch\ndef sigmoid(x):\n    return torch.sigmoid(x)"], ["torch.sigmoid"]),
    (["import torch as T\ndef sigmoid(x):\n    return T.sigmoid(x)"], ["torch.sigmoid"]),
    (["from scipy.special import expit\ndef sigmoid(x):\n    return expit(x)"], ["scipy.special.expit"]),
    (["from torch import sigmoid\n", "def helper(x):\n    return sigmoid(x)\ndef sigmoid2(x): pass\n"
      "def sigmoid(x):\n    return helper(x)"], ["torch.sigmoid"]),
    (["import numpy as np\ndef sigmoid(x):\n    return 1 / (1 + np.exp(-x))"], []),
    (["import torch\ndef other(x):\n    return torch.sigmoid(x)\ndef sigmoid(x):\n    return x"], []),
])
def test_forbidden_calls_are_found_in_the_function_and_its_helpers(cells, found):
    assert forbidden_uses(cells, "sigmoid", ["torch.sigmoid", "scipy.special.expit"]) == found


def test_method_style_forbids_match_any_receiver():
    cells = ["def mlp_backward(X, y, p):\n    loss = f(p)\n    loss.backward()\n    return p"]
    assert forbidden_uses(cells, "mlp_backward", ["torch.Tensor.backward"]) == ["torch.Tensor.backward"]


def test_method_style_forbids_spare_the_notebooks_own_methods():
    cells = ["class Value:\n    def backward(self):\n        pass\n\ndef graph_example():\n    v = Value()\n    v.backward()"]
    assert forbidden_uses(cells, "graph_example", ["torch.Tensor.backward"]) == []


def test_required_names_must_appear_in_the_function_or_its_helpers():
    from grader.static import missing_uses

    literal = ["def graph_example():\n    return (70.0, 9.0, -24.0)"]
    computed = ["class Value: ...\ndef helper():\n    f = Value(6)\n    f.backward()\n    return f\n"
                "def graph_example():\n    return helper()"]
    assert missing_uses(literal, "graph_example", ["Value", "backward"]) == ["Value", "backward"]
    assert missing_uses(computed, "graph_example", ["Value", "backward"]) == []
    assert missing_uses(["x = 1"], "graph_example", ["Value"]) == []  # a missing function is reported elsewhere
