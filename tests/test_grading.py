"""A notebook is graded on what its code does when run top to bottom in a fresh process."""

import json

from click.testing import CliRunner

from grader.cli import main

from .conftest import make_notebook


def grade_one(tmp_path, nb):
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "ana.ipynb").write_text(json.dumps(nb))
    result = CliRunner().invoke(main, ["grade", str(tmp_path / "s"), "--out", str(tmp_path / "o")], catch_exceptions=False)
    assert result.exit_code == 0
    sub = json.loads((tmp_path / "o" / "results.json").read_text())["submissions"][0]
    return {t["id"]: t for t in sub["tasks"]}, sub


def test_stored_outputs_count_for_nothing(tmp_path):
    nb = make_notebook(["import numpy as np\ndef relu(x):\n    return x  # wrong"])
    nb["cells"][0]["execution_count"] = 1
    nb["cells"][0]["outputs"] = [{"output_type": "execute_result", "execution_count": 1, "metadata": {},
                                  "data": {"text/plain": "all tests passed: 30/30"}}]
    tasks, _ = grade_one(tmp_path, nb)
    assert tasks["relu"]["score"] == 0


def test_cells_run_in_order_not_in_the_order_they_were_once_executed(tmp_path):
    # In the student's session the second cell ran first; top to bottom, relu needs a name defined later.
    nb = make_notebook(["import numpy as np\ndef relu(x):\n    return np.maximum(ZERO, x)", "ZERO = 0.0"])
    nb["cells"][0]["execution_count"], nb["cells"][1]["execution_count"] = 2, 1
    tasks, sub = grade_one(tmp_path, nb)
    assert tasks["relu"]["score"] == tasks["relu"]["max_score"]  # by probe time ZERO exists: order respected
    (tmp_path / "b").mkdir()
    nb2 = make_notebook(["import numpy as np\nRESULT = np.maximum(LATER, 1)", "LATER = 0"])
    _, sub = grade_one(tmp_path / "b", nb2)
    assert sub["first_error"]["kind"] == "error" and "NameError" in sub["first_error"]["message"]


def test_a_global_from_an_old_session_does_not_exist(tmp_path):
    # The function relies on `scale`, which was only ever defined in a deleted cell.
    nb = make_notebook(["import numpy as np\ndef relu(x):\n    return scale * np.maximum(0, x)"])
    tasks, _ = grade_one(tmp_path, nb)
    relu = tasks["relu"]["tests"][0]
    assert relu["status"] == "error" and "NameError" in relu["message"] and "scale" in relu["message"]
