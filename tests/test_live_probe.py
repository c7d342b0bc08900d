"""The pieces of `grader.check()` that need no kernel: probes in forked children, the tests packed
into a released notebook, and grading's view of that notebook."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
import zlib

import numpy as np
import pytest

from grader.bundle import bundle_from_json, bundle_json, pack, unpack
from grader.errors import InputError
from grader.library import load
from grader.live.probe import Runner, call_probe
from grader.notebook import CHECKS_VARIABLE, checks_payload, parse_notebook
from grader.release import release
from grader.sandbox import Probe, child
from grader.sandbox.limits import Limits

FAST = Limits(probe_seconds=1.0, grace_seconds=0.5, notebook_seconds=20.0, memory_bytes=512 * 1024**2)


def run(source: str, probe: Probe, limits: Limits = FAST, fork: bool = True):
    ns: dict = {"np": np}
    exec(compile(source, "/tmp/ipykernel_0/1.py", "exec"), ns)  # where a kernel keeps its cells
    return Runner(ns, limits, 7, frozenset(probe.forbid), fork=fork).run(probe)


def call(name: str, *args, **kw) -> Probe:
    return Probe(f"{name}:0", "call", name, args, kw)


def test_a_probe_returns_plain_data_and_what_it_raised():
    ok = run("def f(x):\n    return {'y': x * 2, 't': (1, 'a')}", call("f", np.arange(3)))
    assert ok.status == "ok" and ok.value["t"] == (1, "a") and ok.value["y"].tolist() == [0, 2, 4]
    bad = run("def f(x):\n    raise KeyError('<nope>')", call("f", 1))
    assert bad.status == "error" and bad.error.type == "KeyError" and "<nope>" in bad.error.message
    assert "in f" in bad.error.traceback and "live/probe.py" not in bad.error.traceback
    assert run("x = 1", call("f")).status == "missing"
    assert run("f = 3", call("f")).status == "not_callable"


def test_endless_loops_in_python_and_in_native_code_end_in_a_timeout():
    started = time.monotonic()
    assert run("def f():\n    while True:\n        pass", call("f")).status == "timeout"
    # Blocked in a system call with the alarm ignored: only the kernel's kill ends it.
    blocked = "import signal, time\ndef f():\n    signal.signal(signal.SIGALRM, signal.SIG_IGN)\n    time.sleep(60)"
    assert run(blocked, call("f")).status == "timeout"
    assert time.monotonic() - started < 6


def test_a_child_that_closes_its_pipe_and_goes_on_is_still_stopped():
    source = ("import os, signal\ndef f():\n    signal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
              "    os.closerange(3, 4096)\n    while True:\n        pass")
    started = time.monotonic()
    outcome = run(source, call("f"))
    assert outcome.status == "crashed" and outcome.reason == "signal:9"
    assert time.monotonic() - started < 4


def test_memory_and_exits_cost_the_probe_not_the_caller():
    roomy = Limits(probe_seconds=20.0, notebook_seconds=30.0, memory_bytes=256 * 1024**2)
    bomb = run("def f():\n    return [bytearray(16 * 1024**2) for _ in range(1000)]", call("f"), roomy)
    assert bomb.status == "error" and bomb.error.type == "MemoryError"
    gone = run("import os\ndef f():\n    os._exit(9)", call("f"))
    assert gone.status == "crashed" and gone.reason == "exit:9"
    killed = run("import os, signal\ndef f():\n    os.kill(os.getpid(), signal.SIGSEGV)", call("f"))
    assert killed.status == "crashed" and killed.reason == f"signal:{int(__import__('signal').SIGSEGV)}"


def test_processes_a_probe_starts_end_with_it(tmp_path):
    marker = tmp_path / "pid"
    source = (f"import subprocess\ndef f():\n    p = subprocess.Popen(['sleep', '300'])\n"
              f"    open({str(marker)!r}, 'w').write(str(p.pid))\n    return 1")
    assert run(source, call("f"), Limits(probe_seconds=5.0, notebook_seconds=20.0)).status == "ok"
    pid = int(marker.read_text())
    time.sleep(0.2)
    state = open(f"/proc/{pid}/stat").read().split()[2] if os.path.exists(f"/proc/{pid}") else "gone"
    assert state in ("gone", "Z"), state


def test_the_check_budget_stops_what_is_left():
    runner = Runner({"f": lambda: time.sleep(10)}, Limits(probe_seconds=1.0, grace_seconds=0.2,
                                                          notebook_seconds=1.6), 1, frozenset())
    first, second, third = (runner.run(Probe(f"f:{i}", "call", "f")) for i in range(3))
    assert first.status == "timeout" and second.reason == "notebook_timeout" and third.reason == "notebook_timeout"


def test_in_the_kernel_a_loop_is_interrupted_and_os_exit_is_refused():
    loop = run("def f():\n    while True:\n        pass", call("f"), fork=False)
    assert loop.status == "timeout"
    gone = run("import os\ndef f():\n    os._exit(4)", call("f"), fork=False)
    assert gone.status == "crashed" and gone.reason == "exit:4"
    assert run("def f(x):\n    return x + 1", call("f", 2), fork=False).value == 3


def test_forbidden_library_calls_are_recorded_in_the_child():
    probe = Probe("f:0", "call", "f", (np.zeros(2),), forbid=("numpy.tanh",))
    outcome = run("import numpy\nt = numpy.tanh\ndef f(x):\n    return t(x)", probe)
    assert outcome.status == "ok" and outcome.forbidden_used == ("numpy.tanh",)


@pytest.mark.parametrize("probe, expected", [
    (Probe("a", "call", "f", (2,), {"k": 3}), ("ok", 23)),
    (Probe("b", "variable", "answer"), ("ok", "sigma(x)")),
    (Probe("c", "variable", "expr"), ("ok", {"sympy": "x**2"})),
    (Probe("d", "call", "absent"), ("missing", None)),
    (Probe("e", "call", "answer"), ("not_callable", {"$type": "str"})),
    (Probe("g", "script", "", (4,), source="def probe(ns, n):\n    return ns['f'](n, k=1) + np.float64(0.5)"),
     ("ok", 41.5)),
])
def test_a_probe_means_what_it_means_in_the_grading_sandbox(probe, expected):
    # One implementation serves the sandbox's child and the check in a notebook.
    import sympy

    ns = {"f": lambda x, k=0: x * 10 + k, "answer": "sigma(x)", "expr": sympy.Symbol("x") ** 2}
    assert call_probe(probe, ns) == expected
    assert child.call_probe is call_probe.__globals__["shared_call_probe"]


# -- the tests a released notebook carries ------------------------------------------------------

def test_a_released_notebook_carries_its_public_tests_and_grading_skips_that_cell(tmp_path):
    release(load("activations"), tmp_path, lang="es")
    raw = json.loads((tmp_path / "activations.ipynb").read_text())
    first = raw["cells"][0]
    packed = checks_payload(first["source"])
    assert packed is not None and packed == raw["metadata"]["grader"]["checks"]
    data = unpack(packed, "cell")
    assert data["lang"] == "es" and data == json.loads((tmp_path / "activations.checks.json").read_text())
    names = {test["name"] for task in data["tasks"] for test in task["tests"]}
    assert "large_inputs" not in names and all(t["public"] for task in data["tasks"] for t in task["tests"])
    assert "def " not in json.dumps(data["tasks"])  # no code of the reference's
    notebook = parse_notebook(json.dumps(raw).encode(), tmp_path / "a.ipynb")
    assert all(CHECKS_VARIABLE not in cell.source for cell in notebook.code_cells)
    assert notebook.code_cells[0].index == 2  # cells keep the numbers the student sees
    assert checks_payload(f"{CHECKS_VARIABLE} = 'x'\nprint(1)") is None
    assert checks_payload(f"{CHECKS_VARIABLE} = f'x'") is None and checks_payload("other = 'x'") is None


def test_grader_check_reads_the_tests_from_the_notebook_alone(tmp_path):
    release(load("activations"), tmp_path)
    (tmp_path / "activations.checks.json").unlink()
    out = subprocess.run([sys.executable, "-m", "grader.cli", "check", str(tmp_path / "activations.ipynb")],
                         capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 1 and "public tests: 0/9 passed; 13 hidden test(s)" in out.stdout, out.stderr


def test_packed_tests_are_data_with_a_ceiling():
    bomb = base64.b64encode(zlib.compress(b"[" * (80 * 1024**2), 9)).decode()
    with pytest.raises(InputError, match="inflate past"):
        unpack(bomb, "cell")
    with pytest.raises(InputError, match="damaged"):
        unpack("not base64 at all!", "cell")
    with pytest.raises(InputError, match="not a grader-checks"):
        bundle_from_json(unpack(pack({"format": "something else"}), "cell"), "cell")
    data = bundle_json(load("losses"))
    data["exercise"]["limits"]["memory_bytes"] = 2**50
    from grader.live.sources import find

    checks = find({CHECKS_VARIABLE: pack(data)}, None, None)
    assert checks.exercise.limits.memory_bytes <= 4 * 1024**3


def test_import_grader_stays_light_and_check_is_callable_after_the_cli_module_is_imported():
    heavy = "('numpy', 'torch', 'sympy', 'IPython', 'grader.live', 'reference')"
    code = (f"import sys, grader\nprint(sorted(m for m in {heavy}"
            " if m in sys.modules))\nimport grader.check\nprint(callable(grader.check), callable(grader.check_all))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split("\n")[:2] == ["[]", "True True"]


def test_written_answers_are_read_where_they_can_be_and_said_unchecked_where_not(monkeypatch):
    import grader.live as live

    ns = {CHECKS_VARIABLE: pack(bundle_json(load("derivations"), lang="en")), "d_sigmoid": "sigma(x)*(1 - sigma(x))"}
    monkeypatch.setattr(live.kernel, "namespace", lambda: ns)
    read = live.check("d_sigmoid").text()
    assert "read as (1 - sigma(x))*sigma(x)" in read and "Not checked" not in read
    monkeypatch.setitem(sys.modules, "grader.grading", None)  # as where `resource` cannot be imported
    unread = live.check().text()
    assert "Not checked on this system" in unread and "d_sigmoid" in unread.split("Not checked")[1]
