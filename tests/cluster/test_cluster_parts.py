"""The cluster's parts that need no cluster: the address, the missing extra, what travels (packs,
orders, answers), and that grading without --cluster never imports Dask."""

from __future__ import annotations

import importlib.util
import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.cluster_address import INSTALL, missing, parse
from grader.cluster_pack import pack_folder, unpack
from grader.cluster_wire import Returned, at_least, orders_from_json, orders_to_json
from grader.errors import ExerciseError
from grader.i18n import Text
from grader.keys import Orders
from grader.results import SubmissionResult
from tests.conftest import ROOT


def test_addresses() -> None:
    assert parse("local:3") == ("local", 3)
    assert parse("local")[0] == "local" and parse("local")[1] >= 1
    assert parse("tcp://10.0.0.5:8786") == ("tcp://10.0.0.5:8786", 0)
    assert parse("node7:8786") == ("node7:8786", 0)
    for bad in ("local:0", "local:x", "8786", "tcp:/x", ""):
        with pytest.raises(ValueError):
            parse(bad)


def test_levels_are_ordered() -> None:
    assert at_least("full", "userns") and at_least("userns", "userns") and not at_least("userns", "full")
    assert not at_least("basic", "userns") and not at_least("none", "basic")


def test_without_dask_the_cluster_is_a_usage_error_naming_the_install(monkeypatch: pytest.MonkeyPatch,
                                                                     tmp_path: Path) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "distributed" else real(name, *a))
    assert missing() is not None
    run = CliRunner().invoke(main, ["grade", str(tmp_path), "--out", str(tmp_path / "out"), "--cluster", "local:2"])
    assert run.exit_code == 2 and INSTALL in run.output, run.output
    assert not (tmp_path / "out").exists()  # refused before anything was done
    run = CliRunner().invoke(main, ["grade", str(tmp_path), "--cluster", "nowhere"])
    assert run.exit_code == 2 and "local[:N]" in run.output


def test_grading_without_a_cluster_never_imports_dask(tmp_path: Path) -> None:
    """The whole local path, start to outputs: not one module of Dask is imported."""
    run = subprocess.run([sys.executable, "-X", "importtime", "-m", "grader.cli", "grade",
                          str(ROOT / "examples" / "submissions" / "ana_correct.ipynb"), "--out", str(tmp_path)],
                         check=False, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    modules = [line.rsplit("|", 1)[-1].strip() for line in run.stderr.splitlines() if line.startswith("import time:")]
    assert any(m.startswith("grader.batch") for m in modules)  # the listing is the grading run's
    assert [m for m in modules if m.split(".")[0] in ("dask", "distributed") or m.startswith("grader.cluster")] == []


def test_a_pack_is_the_same_for_the_same_folder_and_unpacks_once(tmp_path: Path) -> None:
    folder = ROOT / "exercises" / "activations"
    first, second = pack_folder(folder), pack_folder(folder)
    assert first.fingerprint == second.fingerprint and first.data == second.data
    target = unpack(first.data, first.fingerprint, tmp_path)
    assert (target / "exercise.py").read_bytes() == (folder / "exercise.py").read_bytes()
    assert (target / "solution.ipynb").is_file() and not list(target.rglob("__pycache__"))
    (target / "exercise.py").write_text("# changed here\n")
    assert unpack(first.data, first.fingerprint, tmp_path) == target  # already there: not unpacked again
    assert (target / "exercise.py").read_text() == "# changed here\n"


def test_a_pack_changes_with_its_folder(tmp_path: Path) -> None:
    (tmp_path / "ex").mkdir()
    (tmp_path / "ex" / "exercise.py").write_text("A = 1\n")
    before = pack_folder(tmp_path / "ex").fingerprint
    (tmp_path / "ex" / "exercise.py").write_text("A = 2\n")
    assert pack_folder(tmp_path / "ex").fingerprint != before


def test_a_pack_that_does_not_match_its_fingerprint_is_refused(tmp_path: Path) -> None:
    pack = pack_folder(ROOT / "exercises" / "activations")
    tampered = pack.data.replace(b"EXERCISE", b"EXERCISF", 1)
    with pytest.raises(ExerciseError, match="did not arrive intact"):
        unpack(tampered, pack.fingerprint, tmp_path)
    assert not any(tmp_path.iterdir()) or not (tmp_path / pack.fingerprint).exists()


@pytest.mark.parametrize("member", ["link", "escape", "absolute"])
def test_a_pack_holding_anything_but_files_inside_it_is_refused(tmp_path: Path, member: str) -> None:
    import hashlib

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("exercise.py")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"#\n"))
        bad = tarfile.TarInfo({"link": "data", "escape": "../outside.py", "absolute": "/tmp/outside.py"}[member])
        if member == "link":
            bad.type, bad.linkname = tarfile.SYMTYPE, "/etc/passwd"
        else:
            bad.size = 2
        tar.addfile(bad, io.BytesIO(b"#\n") if member != "link" else None)
    data = buffer.getvalue()
    with pytest.raises((ExerciseError, tarfile.TarError)):
        unpack(data, hashlib.sha256(data).hexdigest(), tmp_path / "cache")
    assert not (tmp_path / "outside.py").exists() and not Path("/tmp/outside.py").exists()
    assert not [p for p in (tmp_path / "cache").iterdir() if not p.name.startswith(".")]


def test_orders_travel_as_plain_data() -> None:
    orders = Orders(known={"q1": (2, 0, 1)}, unknown={"q2": Text("no order", "sin orden")}, read_only=True)
    back = orders_from_json(json.loads(json.dumps(orders_to_json(orders))))
    assert back == orders


def test_an_answer_is_the_result_model_as_json_and_nothing_else() -> None:
    result = SubmissionResult(student="ana", file="ana.ipynb", exercise="activations", exercise_version="1",
                              status="graded", max_score=30.0, meta={"graded_by": {"host": "n1"}})
    back = Returned.from_text(Returned(result, 1.0, 2.5, "tcp://n1:1").to_text())
    assert back.result == result and back.address == "tcp://n1:1" and back.ended - back.started == 1.5
    for bad in (b"\x80\x04K\x01.", "[]", '{"result": 1}', "not json"):
        with pytest.raises((ValueError, TypeError)):
            Returned.from_text(bad)  # type: ignore[arg-type]
