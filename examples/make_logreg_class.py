"""Write a synthetic class of student notebooks for the example exercise in examples/logreg/.

Every notebook starts from the released student notebook (what `grader release` gives students:
the instructor's cells, which import the helper modules, open the data set and show an error on
purpose, and a stub for each function) and fills the stubs in the way one kind of student would:
right in several styles, partly wrong, or touching the environment on their own (importing the
helpers, opening the data files, editing a given cell, tagging their own failing cell).

    python examples/make_logreg_class.py OUT_FOLDER

`make_class(folder)` returns, for each student, the tasks their notebook should lose points on.
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXERCISE = HERE / "logreg"

RIGHT = {
    "flatten": "def flatten(images):\n    return images.reshape(images.shape[0], -1).T / 255.0",
    "initialize_with_zeros": "def initialize_with_zeros(dim):\n    w = np.zeros((dim, 1))\n    b = 0.0\n    return w, b",
    "propagate": (
        "def propagate(w, b, X, Y):\n    m = X.shape[1]\n    A = sigmoid(np.dot(w.T, X) + b)\n"
        "    cost = -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m\n"
        "    dw = np.dot(X, (A - Y).T) / m\n    db = np.sum(A - Y) / m\n"
        "    return {\"dw\": dw, \"db\": float(db)}, float(cost)"),
    "optimize": (
        "def optimize(w, b, X, Y, num_iterations=100, learning_rate=0.009):\n    costs = []\n"
        "    for i in range(num_iterations):\n        grads, cost = propagate(w, b, X, Y)\n"
        "        w = w - learning_rate * grads[\"dw\"]\n        b = b - learning_rate * grads[\"db\"]\n"
        "        if i % 100 == 0:\n            costs.append(cost)\n"
        "    return {\"w\": w, \"b\": b}, grads, costs"),
    "predict": "def predict(w, b, X):\n    A = sigmoid(w.T @ X + b)\n    return np.where(A > 0.5, 1.0, 0.0)",
}

# Other right answers: an own sigmoid instead of the helper's, loops instead of vectors.
OWN_SIGMOID = ("def my_sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n\n\n"
               "def predict(w, b, X):\n    probabilities = my_sigmoid(w.T @ X + b)\n"
               "    return (probabilities > 0.5).astype(float)")
LOOPED_PREDICT = ("def predict(w, b, X):\n    m = X.shape[1]\n    Y_prediction = np.zeros((1, m))\n"
                  "    A = sigmoid(np.dot(w.T, X) + b)\n    for i in range(m):\n"
                  "        Y_prediction[0, i] = 1.0 if A[0, i] > 0.5 else 0.0\n    return Y_prediction")

# A mistake: the function it is in and its code. A summed cost also spoils optimize's costs.
WRONG = {
    "cost_summed": ("propagate", RIGHT["propagate"].replace(") / m\n    dw", ")\n    dw")),
    "at_least_half": ("predict", RIGHT["predict"].replace("A > 0.5", "A >= 0.5")),
    "rows": ("flatten", "def flatten(images):\n    return images.reshape(-1, images.shape[0]) / 255.0"),
    "stale_gradient": ("optimize", RIGHT["optimize"].replace(
        "    for i in range(num_iterations):\n        grads, cost = propagate(w, b, X, Y)\n",
        "    grads, cost = propagate(w, b, X, Y)\n    for i in range(num_iterations):\n")),
}


def released() -> dict:
    """The student notebook as `grader release` writes it."""
    sys.path.insert(0, str(HERE.parent))
    from grader.library import load_folder
    from grader.release import student_notebook

    return student_notebook(load_folder(EXERCISE))


def _source(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def fill(nb: dict, answers: dict[str, str]) -> dict:
    """The notebook with each stub replaced by the student's code for that function."""
    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        for name, code in answers.items():
            if f"def {name}(" in _source(cell):
                cell["source"] = code
    return nb


def code_cell(source: str, tags: tuple[str, ...] = (), cell_id: str | None = None) -> dict:
    cell = {"cell_type": "code", "execution_count": None, "metadata": {"tags": list(tags)} if tags else {},
            "outputs": [], "source": source}
    if cell_id is not None:
        cell["id"] = cell_id
    return cell


def insert_after(nb: dict, marker: str, cell: dict) -> dict:
    """A copy of nb with `cell` after the first code cell whose source holds `marker`."""
    nb = copy.deepcopy(nb)
    for k, existing in enumerate(nb["cells"]):
        if existing["cell_type"] == "code" and marker in _source(existing):
            nb["cells"].insert(k + 1, cell)
            return nb
    raise KeyError(marker)


def edit_given(nb: dict, marker: str, change: Callable[[str], str]) -> dict:
    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and marker in _source(cell):
            cell["source"] = change(_source(cell))
            return nb
    raise KeyError(marker)


def make_class(folder: Path, copies: int = 3) -> dict[str, set[str]]:
    """Write the class into `folder`; for each student, the tasks that should lose points."""
    base = released()
    right = fill(base, RIGHT)
    students: dict[str, tuple[dict, set[str]]] = {}
    for k in range(copies):
        students[f"right_{k + 1:02d}"] = (right, set())
    students["own_sigmoid"] = (fill(base, dict(RIGHT, predict=OWN_SIGMOID)), set())
    students["looped"] = (fill(base, dict(RIGHT, predict=LOOPED_PREDICT)), set())
    # Comments and blank lines in a given cell leave it the instructor's.
    students["commented"] = (edit_given(right, "load_dataset()", lambda s: "# my data\n" + s + "\n\n# done\n"), set())
    # A student who imports the helpers again and opens the data files by themselves.
    explorer = insert_after(right, "load_dataset()", code_cell(
        "import h5py\nfrom lr_utils import sigmoid as logistic, TRAIN\n\n"
        "with h5py.File(\"datasets/train_cats.h5\", \"r\") as f:\n    first = f[\"images\"][0]\n"
        "with h5py.File(TRAIN, \"r\") as f:\n    print(\"labels:\", f[\"labels\"][:10], logistic(0.0))"))
    students["explorer"] = (explorer, set())
    for mistake, (function, code) in WRONG.items():
        loses = {function, "optimize"} if mistake == "cost_summed" else {function}
        students[f"wrong_{mistake}"] = (fill(right, {function: code}), loses)
    students["unfinished"] = (fill(base, {k: v for k, v in RIGHT.items() if k != "predict"}), {"predict"})
    # Their own mistakes stay theirs: a path typed wrong in an edited given cell, and a failing
    # cell of their own tagged raises-exception under an instructor cell's id.
    students["edited_path"] = (edit_given(right, "from lr_utils import", lambda s: s + "\nraw = h5py.File(\"data/cats.h5\")"),
                               set())
    imports_id = next(c.get("id") for c in base["cells"] if c["cell_type"] == "code" and "lr_utils" in _source(c))
    students["tagged_own"] = (insert_after(right, "load_dataset()", code_cell(
        "from cat_plots import show_grid\nshow_grid(train_x_orig[:9])", ("raises-exception",), imports_id)), set())
    folder.mkdir(parents=True, exist_ok=True)
    expected = {}
    for student, (nb, loses) in students.items():
        (folder / f"{student}.ipynb").write_text(json.dumps(nb, indent=1, ensure_ascii=False), encoding="utf-8")
        expected[student] = loses
    return expected


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: python examples/make_logreg_class.py OUT_FOLDER")
    for student, loses in make_class(Path(sys.argv[1])).items():
        print(f"{student}: {'full marks' if not loses else 'loses points on ' + ', '.join(sorted(loses))}")


if __name__ == "__main__":
    main()
