"""What an exercise needs from the grading environment: required modules, install commands, what a
warm worker may import before forking, and `doctor`, `grade` and `validate` saying so first."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.batch import Options, grade_batch, preload_for
from grader.cli import main
from grader.exercise import Exercise
from grader.i18n import Text
from grader.notebook import parse_notebook
from grader.requirements import (
    declared_requires,
    distribution,
    environment_module,
    imports_cleanly,
    install_command,
    installed,
    missing_modules,
    safe_preload,
    support_files,
)

from .conftest import make_notebook


def exercise_folder(root: Path, requires: tuple[str, ...], helpers: dict[str, str] | None = None) -> Path:
    """A one-task exercise folder (relu) requiring `requires`, with `files/` holding `helpers`."""
    folder = root / "lab"
    folder.mkdir(parents=True)
    (folder / "exercise.py").write_text(textwrap.dedent(f"""\
        import numpy as np
        from grader.exercise import Case, Exercise, FunctionTask, Test
        from grader.i18n import Text

        EXERCISE = Exercise(id="lab", version="1", title=Text("Lab", "Lab"), requires={requires!r}, tasks=(
            FunctionTask("relu", "ReLU", "relu", reference=lambda x: np.maximum(x, 0.0), tests=[
                Test("values", 1, [Case((np.array([-1.0, 2.0]),))], public=True)]),))
        """))
    for name, text in (helpers or {}).items():
        (folder / "files" / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / "files" / name).write_text(text)
    return folder


def test_module_names_map_to_what_pip_installs():
    assert [distribution(m) for m in ("sklearn", "PIL", "cv2", "yaml", "h5py", "skimage.io", "scipy.special")] == \
        ["scikit-learn", "Pillow", "opencv-python", "PyYAML", "h5py", "scikit-image", "scipy"]
    command = install_command(["sklearn", "h5py", "PIL.Image"])
    assert command.startswith(sys.executable) and command.endswith("-m pip install h5py Pillow scikit-learn")


def test_installed_finds_modules_and_submodules_without_importing_them():
    assert installed("json") and installed("email.mime.text") and installed("os.path")
    assert not installed("no_such_module_for_grading") and not installed("email.no_such_part")
    assert not installed("not a name")
    before = {"wsgiref", "wsgiref.simple_server"} & set(sys.modules)
    assert installed("wsgiref.simple_server")
    assert {"wsgiref", "wsgiref.simple_server"} & set(sys.modules) == before  # found, not imported


def test_missing_modules_names_what_is_not_installed_and_counts_helpers_as_present(tmp_path):
    folder = exercise_folder(tmp_path, (), {"lr_utils.py": "def load(): pass\n"})
    missing = missing_modules("lab", ("numpy", "sklearn", "lr_utils", "cv2.dnn", "json"), str(folder))
    assert missing is not None and missing.modules == ("sklearn", "cv2.dnn")
    line = missing.describe()
    assert "lab" in line and "sklearn (distribution scikit-learn)" in line
    assert line.endswith("-m pip install opencv-python scikit-learn")
    assert missing_modules("lab", ("numpy", "json"), str(folder)) is None


def test_support_files_lists_helpers_paths_and_the_names_helpers_define(tmp_path):
    folder = exercise_folder(tmp_path, (), {"lr_utils.py": "TRAIN = 'datasets/a.h5'\ndef load_dataset(): pass\n",
                                            "planar/__init__.py": "", "datasets/a.h5": "x"})
    found = support_files(str(folder))
    assert found.modules == {"lr_utils", "planar"}
    assert found.paths == {"lr_utils.py", "planar/__init__.py", "datasets/a.h5"}
    assert {"TRAIN", "load_dataset"} <= found.names and "datasets/a.h5" in found.strings
    (folder / "files" / "extra.py").write_text("")
    assert "extra" in support_files(str(folder)).modules  # a changed folder is read again
    assert support_files(str(tmp_path / "nowhere")).modules == frozenset()


def test_declared_requires_is_read_without_running_the_exercise(tmp_path):
    folder = exercise_folder(tmp_path, ("numpy", "h5py"))
    assert declared_requires(folder / "exercise.py") == ("numpy", "h5py")
    (folder / "exercise.py").write_text("REQ = ('a',)\nEXERCISE = Exercise(requires=REQ)\nraise SystemExit\n")
    assert declared_requires(folder / "exercise.py") == ()


def test_a_name_a_file_could_stand_in_for_is_never_preloaded(tmp_path, monkeypatch):
    assert environment_module("json") and environment_module("numpy")
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    (submissions / "json.py").write_text("print('pwned')")
    (submissions / "numpy").mkdir()
    assert not environment_module("json", [submissions]) and not environment_module("numpy", [submissions])
    (submissions / "torch.ipynb").write_text("{}")  # a notebook's name is nothing Python imports
    assert environment_module("torch", [submissions])
    monkeypatch.chdir(submissions)
    assert not environment_module("json")  # the worker's current folder comes first on its path
    assert not environment_module("no_such_module_for_grading") and not environment_module("os;rm")


def test_a_module_outside_the_installed_environment_is_never_preloaded(tmp_path, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "stray_helper.py").write_text("X = 1\n")
    monkeypatch.syspath_prepend(str(elsewhere))
    assert installed("stray_helper") and not environment_module("stray_helper")


def test_only_modules_that_import_cleanly_are_preloaded(tmp_path, monkeypatch):
    modules = tmp_path / "mods"
    modules.mkdir()
    (modules / "quiet_mod.py").write_text("VALUE = 1\n")
    (modules / "threaded_mod.py").write_text("import threading, time\n"
                                             "threading.Thread(target=time.sleep, args=(5,), daemon=True).start()\n")
    (modules / "broken_mod.py").write_text("raise ImportError('needs a library that is not there')\n")
    monkeypatch.setenv("PYTHONPATH", str(modules))
    assert imports_cleanly(["quiet_mod", "threaded_mod", "broken_mod", "absent_mod"]) == {"quiet_mod"}


def test_safe_preload_keeps_installed_clean_modules_and_drops_helpers_and_stand_ins(tmp_path):
    avoid = tmp_path / "subs"
    avoid.mkdir()
    (avoid / "csv.py").write_text("")
    chosen = safe_preload(["numpy", "json", "csv", "lr_utils", "no_such_module_for_grading", "json"],
                          helpers={"lr_utils"}, avoid=[avoid])
    assert chosen == ("numpy", "json")


def test_preload_for_adds_what_exercises_require_when_safe(tmp_path):
    folder = exercise_folder(tmp_path, ("numpy", "h5py", "json", "lr_utils"), {"lr_utils.py": ""})
    preload = preload_for([], [], folders=[folder])
    assert preload[0] == "numpy" and "h5py" in preload and "json" in preload and "lr_utils" not in preload
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "h5py").mkdir()
    assert "h5py" not in preload_for([], [], folders=[folder], avoid=[subs])
    loaded = Exercise(id="x", version="1", title=Text("x", "x"), tasks=(), requires=("sympy",))
    assert "sympy" in preload_for([loaded], [])
    notebook = parse_notebook(json.dumps(make_notebook(["import json\nimport torch"])).encode(), tmp_path / "a.ipynb")
    # A notebook's own imports choose among the usual heavy modules only: students pick nothing else.
    assert preload_for([], [notebook]) == ("numpy", "torch")


def test_grade_warns_before_any_notebook_runs(tmp_path):
    folder = exercise_folder(tmp_path, ("numpy", "sklearn", "no_such_module_for_grading"))
    subs = tmp_path / "subs"
    subs.mkdir()
    relu = "import numpy as np\ndef relu(x):\n    return np.maximum(x, 0.0)"
    (subs / "ana.ipynb").write_text(json.dumps(make_notebook([relu], exercise=None)))
    events: list[str] = []
    outcome = grade_batch(subs, Options(out=tmp_path / "out", exercise=str(folder), jobs=1),
                          on_result=lambda result, fresh: events.append(f"graded {result.student}"),
                          on_warning=events.append)
    assert outcome.results[0].score == 1
    assert len(events) == 2 and events[1] == "graded ana"
    assert "sklearn (distribution scikit-learn)" in events[0] and "no_such_module_for_grading" in events[0]
    assert "-m pip install no_such_module_for_grading scikit-learn" in events[0]
    assert "scikit-learn" in (tmp_path / "out" / "grader.log").read_text()


def test_grade_and_validate_name_the_missing_modules_on_the_command_line(tmp_path):
    folder = exercise_folder(tmp_path, ("numpy", "sklearn"))
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "ana.ipynb").write_text(json.dumps(make_notebook(["def relu(x):\n    return x"], exercise=None)))
    result = CliRunner().invoke(main, ["grade", str(subs), "--exercise", str(folder), "--out", str(tmp_path / "o")],
                                catch_exceptions=False)
    assert result.exit_code == 0 and "warning: exercise lab requires modules that are not installed here: " \
        "sklearn (distribution scikit-learn)" in result.output
    result = CliRunner().invoke(main, ["validate", str(folder)], catch_exceptions=False)
    assert "warning: exercise lab requires modules that are not installed here" in result.output


@pytest.mark.parametrize("requires, code", [(("numpy", "sklearn", "cv2"), 1), (("numpy", "json"), 0)])
def test_doctor_names_missing_modules_with_the_install_command(tmp_path, requires, code):
    folder = exercise_folder(tmp_path, requires)
    result = CliRunner().invoke(main, ["doctor", str(folder)], catch_exceptions=False)
    assert result.exit_code == code
    assert "Modules the exercises require:" in result.output
    if code:
        assert "lab: not installed: sklearn, cv2" in result.output
        assert "-m pip install opencv-python scikit-learn" in result.output
    else:
        assert "all installed (1 exercise checked)" in result.output
