"""The sandbox's promises, each shown by running code that tries to break it."""

import os
import time

import numpy as np
import pytest

from grader.sandbox import Job, Limits, Probe

FAST = Limits(cell_seconds=1.0, probe_seconds=1.0, notebook_seconds=15.0, grace_seconds=0.5)


def run(sandbox, *cells, probes=(), limits=FAST, seed=0, hide=()):
    return sandbox.execute(Job(cells=tuple(enumerate(cells)), probes=tuple(probes), seed=seed, limits=limits,
                               hide=tuple(hide)))


def full_isolation(sandbox):
    return sandbox.level == "full"


def test_cells_share_a_namespace_and_probes_return_plain_data(sandbox):
    ex = run(sandbox, "import numpy as np\ndef double(x):\n    return 2 * x", "k = 3",
             probes=[Probe("a", "call", "double", (np.arange(3.0),)), Probe("b", "variable", "k")])
    assert [ex.cells[i].status for i in (0, 1)] == ["ok", "ok"]
    np.testing.assert_array_equal(ex.probes["a"].value, [0.0, 2.0, 4.0])
    assert ex.probes["b"].value == 3


def test_an_exception_is_reported_with_a_traceback_of_the_students_cells_only(sandbox):
    ex = run(sandbox, "def f(x):\n    return 1 / x", "f(0)", "after = 1", probes=[Probe("p", "variable", "after")])
    err = ex.cells[1].error
    assert ex.cells[1].status == "error" and err.type == "ZeroDivisionError"
    assert '<cell 1>", line 2, in f' in err.traceback and '<cell 2>' in err.traceback
    assert "child.py" not in err.traceback and "grader" not in err.traceback
    assert ex.probes["p"].value == 1  # the cells after the failing one still ran


@pytest.mark.parametrize("code, kind", [("import sys\nsys.exit(3)", "SystemExit"),
                                         ("raise SystemExit", "SystemExit"),
                                         ("raise KeyboardInterrupt", "KeyboardInterrupt")])
def test_exits_and_interrupts_are_cell_errors_not_the_end(sandbox, code, kind):
    ex = run(sandbox, code, "x = 1", probes=[Probe("x", "variable", "x")])
    assert ex.cells[0].error.type == kind
    assert ex.probes["x"].value == 1


def test_python_infinite_loop_hits_the_soft_cell_timeout(sandbox):
    ex = run(sandbox, "while True:\n    pass", "y = 2", probes=[Probe("y", "variable", "y")])
    assert ex.cells[0].status == "timeout"
    assert ex.probes["y"].value == 2
    assert ex.attempts == 1  # stopped by the soft budget inside the child, not by a kill and a re-run
    assert ex.cells[0].seconds < FAST.cell_seconds + FAST.grace_seconds


def test_loop_in_c_code_is_killed_and_the_rest_still_graded(sandbox):
    # sum() over a range loops in C without checking for signals: only the hard kill ends it.
    ex = run(sandbox, "total = sum(range(10**12))", "z = 5", probes=[Probe("z", "variable", "z")])
    assert ex.cells[0].status == "timeout"
    assert ex.attempts == 2
    assert ex.probes["z"].value == 5


def test_ignoring_the_alarm_does_not_escape_the_deadline(sandbox):
    ex = run(sandbox, "import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\nwhile True:\n    pass", "w = 1",
             probes=[Probe("w", "variable", "w")])
    assert ex.cells[0].status == "timeout" and ex.probes["w"].value == 1


def test_os_exit_in_a_cell_is_skipped_on_a_rerun(sandbox):
    ex = run(sandbox, "a = 1", "import os\nos._exit(0)", "b = a + 1", probes=[Probe("b", "variable", "b")])
    assert ex.cells[1].status == "crashed" and ex.cells[1].reason == "exit:0"
    assert ex.probes["b"].value == 2 and ex.attempts == 2


def test_a_probe_that_kills_the_process_fails_alone(sandbox):
    ex = run(sandbox, "import os\ndef boom():\n    os._exit(1)\ndef fine():\n    return 7",
             probes=[Probe("boom", "call", "boom"), Probe("fine", "call", "fine")])
    assert ex.probes["boom"].status == "crashed"
    assert ex.probes["fine"].value == 7


def test_probe_outcomes_for_missing_uncallable_raising_and_slow_functions(sandbox):
    ex = run(sandbox, "x = 3\ndef bad():\n    raise ValueError('no')\ndef slow():\n    while True: pass",
             probes=[Probe("m", "call", "nope"), Probe("n", "call", "x"), Probe("e", "call", "bad"),
                     Probe("s", "call", "slow")])
    assert ex.probes["m"].status == "missing"
    assert ex.probes["n"].status == "not_callable"
    assert ex.probes["e"].status == "error" and ex.probes["e"].error.message == "no"
    assert ex.probes["s"].status == "timeout"


def test_memory_is_limited(sandbox):
    limits = FAST.scaled(memory_bytes=512 * 1024**2)
    ex = run(sandbox, "import numpy as np\nx = np.ones((1024, 1024, 256))", "ok = True", limits=limits,
             probes=[Probe("ok", "variable", "ok")])
    assert ex.cells[0].error.type == "MemoryError"
    assert ex.probes["ok"].value is True


def test_output_flood_is_truncated(sandbox):
    ex = run(sandbox, "import sys\nfor i in range(200):\n    sys.stdout.write('x' * 100000)\nprint('end')")
    assert ex.cells[0].status == "ok"
    assert ex.stdout.bytes > 20_000_000 and ex.stdout.truncated
    assert len(ex.stdout.text) < 200_000 and ex.stdout.text.rstrip().endswith("end")


def test_what_functions_print_while_probed_is_not_captured(sandbox):
    ex = run(sandbox, "def f(x):\n    print('SECRET', x)\n    return x", probes=[Probe("f", "call", "f", (41,))])
    assert ex.probes["f"].value == 41 and "SECRET" not in ex.stdout.text


def test_working_directory_is_fresh_and_writable_but_nothing_else_is(sandbox, tmp_path):
    marker = tmp_path / "outside.txt"
    ex = run(sandbox,
             "import os\nstart = sorted(os.listdir('.'))\nopen('mine.txt', 'w').write('ok')",
             f"open({str(marker)!r}, 'w').write('x')",
             "open(os.path.expanduser('~/.bashrc_grader_test'), 'w').write('x')",
             probes=[Probe("s", "variable", "start")], hide=[str(tmp_path)])
    assert ex.probes["s"].value == []
    assert ex.cells[0].status == "ok"
    assert ex.cells[1].status == "error" and ex.cells[2].status == "ok"  # ~ is the working directory
    assert not marker.exists()
    assert not os.path.exists(os.path.expanduser("~/.bashrc_grader_test"))


def test_the_same_directory_is_empty_again_for_the_next_notebook(sandbox):
    run(sandbox, "open('left_behind.txt', 'w').write('x')")
    ex = run(sandbox, "import os\nfiles = os.listdir('.')", probes=[Probe("f", "variable", "files")])
    assert ex.probes["f"].value == []


def test_file_size_is_limited(sandbox):
    ex = run(sandbox, "open('big.bin', 'wb').write(b'x' * (64 * 1024 * 1024))", limits=FAST.scaled(file_bytes=1024**2))
    assert ex.cells[0].status in ("error", "crashed")


def test_the_reference_and_the_grader_are_out_of_reach(sandbox):
    import reference

    ref_file = os.path.join(os.path.dirname(reference.__file__), "activations.py")
    ex = run(sandbox, "import reference", "import grader.plan",
             f"text = open({ref_file!r}).read()",
             probes=[], hide=[os.path.dirname(reference.__file__)])
    assert [ex.cells[i].error.type for i in range(3)] in (
        ["ImportError", "ImportError", "PermissionError"], ["ModuleNotFoundError", "ModuleNotFoundError", "PermissionError"],
        ["ImportError", "ImportError", "FileNotFoundError"])


def test_network_is_off(sandbox):
    ex = run(sandbox, "import socket\ns = socket.socket()\ns.settimeout(1)\ns.connect(('127.0.0.1', 22))")
    assert ex.cells[0].status == "error"
    assert ex.cells[0].error.type in ("PermissionError", "OSError", "ConnectionRefusedError")


def test_running_programs_is_refused(sandbox):
    ex = run(sandbox, "import os\nos.system('touch /tmp/grader_pwned')", "import subprocess\nsubprocess.run(['id'])")
    assert ex.cells[0].error.type == "PermissionError" and ex.cells[1].error.type == "PermissionError"
    assert not os.path.exists("/tmp/grader_pwned")


def test_input_is_refused_with_a_clear_message(sandbox):
    ex = run(sandbox, "name = input('your name? ')")
    assert "input()" in ex.cells[0].error.message


def test_seeds_make_runs_reproducible(sandbox):
    code = "import numpy as np, random, torch\nv = (float(np.random.rand()), random.random(), float(torch.rand(1)))"
    probe = [Probe("v", "variable", "v")]
    a, b = run(sandbox, code, probes=probe, seed=5), run(sandbox, code, probes=probe, seed=5)
    c = run(sandbox, code, probes=probe, seed=6)
    assert a.probes["v"].value == b.probes["v"].value != c.probes["v"].value


def test_torch_runs_on_one_thread(sandbox):
    ex = run(sandbox, "import torch\nn = torch.get_num_threads()", probes=[Probe("n", "variable", "n")])
    assert ex.probes["n"].value == 1


def test_forbidden_library_calls_are_recorded_at_run_time(sandbox):
    ex = run(sandbox, "import torch\nfrom torch import sigmoid as sg\ndef f(x):\n    return sg(torch.tensor(x)).numpy()",
             probes=[Probe("f", "call", "f", (np.zeros(2),), forbid=("torch.sigmoid",))])
    assert ex.probes["f"].forbidden_used == ("torch.sigmoid",)


def test_lying_return_values_stay_harmless(sandbox):
    code = ("import numpy as np\nclass Liar:\n    def __eq__(self, o): return True\n    def __repr__(self): return 'L'\n"
            "class Sub(np.ndarray):\n    def __eq__(self, o): return True\n"
            "def liar(): return Liar()\ndef sub(): return np.arange(3.0).view(Sub)\n"
            "def objarr(): return np.array([Liar()], dtype=object)\n")
    ex = run(sandbox, code, probes=[Probe("l", "call", "liar"), Probe("s", "call", "sub"), Probe("o", "call", "objarr")])
    assert type(ex.probes["l"].value).__name__ == "Opaque"
    assert type(ex.probes["s"].value) is np.ndarray
    assert type(ex.probes["o"].value).__name__ == "Opaque"


@pytest.mark.skipif(os.geteuid() != 0, reason="the uid switch needs root")
def test_the_child_cannot_signal_the_worker_or_the_grader(sandbox):
    if not full_isolation(sandbox):
        pytest.skip("needs full isolation")
    ex = run(sandbox, "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)",
             f"os.kill({os.getpid()}, signal.SIGKILL)", "alive = True", probes=[Probe("a", "variable", "alive")])
    # The parent is outside the notebook's PID namespace: getppid() is 0, and kill(0) reaches only
    # the notebook's own group (where it is process 1, immune to its own signals); the grader's
    # pid does not exist in there.
    assert ex.cells[0].status in ("ok", "error") and ex.cells[1].status == "error"
    assert ex.probes["a"].value is True and ex.attempts == 1


def test_fork_and_thread_bombs_are_contained(sandbox):
    if sandbox.level != "full" and os.geteuid() == 0:
        pytest.skip("root is exempt from RLIMIT_NPROC: forced to a weaker level, it is bounded by time only")
    bomb = ("import os\nn = 0\ntry:\n    for _ in range(200):\n        if os.fork() == 0:\n            import time\n"
            "            time.sleep(30)\n            os._exit(0)\n        n += 1\nexcept OSError:\n    pass")
    threads = ("import threading, time\nm = 0\ntry:\n    for _ in range(500):\n"
               "        threading.Thread(target=time.sleep, args=(30,), daemon=True).start()\n        m += 1\n"
               "except RuntimeError:\n    pass")
    started = time.monotonic()
    ex = run(sandbox, bomb, threads, probes=[Probe("n", "variable", "n"), Probe("m", "variable", "m")])
    if sandbox.level == "basic":
        assert ex.probes["n"].value == 0  # fork refused outright (a PermissionError, caught as OSError)
    else:
        assert ex.probes["n"].value < 64
    assert ex.probes["m"].value < 64
    assert time.monotonic() - started < 10


def test_numpy1_compat_restores_the_removed_aliases_in_the_child_only(sandbox):
    code = ("import numpy as np\nkinds = [np.int(3.7), np.float('2.5'), np.bool(1), np.object, np.float_(1).dtype.name,\n"
            "         float(np.NaN != np.NaN), np.product([2, 3])]")
    plain = run(sandbox, code, probes=[Probe("k", "variable", "kinds")])
    assert plain.cells[0].status == "error" and plain.cells[0].error.type == "AttributeError"
    shimmed = sandbox.execute(Job(cells=((0, code),), probes=(Probe("k", "variable", "kinds"),), limits=FAST,
                                  compat=("numpy1",)))
    assert shimmed.cells[0].status == "ok", shimmed.cells[0]
    value = shimmed.probes["k"].value
    assert value[0] == 3 and value[1] == 2.5 and value[4] == "float64" and value[5] == 1.0 and value[6] == 6
    assert not hasattr(np, "int") or np.int is not int  # the grading process's numpy is untouched


def test_a_probe_can_keep_what_the_code_prints_and_only_that_probe(sandbox):
    cells = ("def train(n):\n    for i in range(n):\n        print(f'Cost after iteration {i}: {0.5 / (i + 1):f}')\n"
             "    return n\n",)
    ex = sandbox.execute(Job(cells=tuple(enumerate(cells)), limits=FAST, probes=(
        Probe("kept", "call", "train", (2,), capture=True), Probe("quiet", "call", "train", (3,)))))
    assert ex.probes["kept"].printed == "Cost after iteration 0: 0.500000\nCost after iteration 1: 0.250000\n"
    assert ex.probes["quiet"].printed == "" and ex.probes["quiet"].value == 3
    assert "Cost after" not in ex.stdout.text  # what probes print stays out of the notebook's output


def test_a_child_lost_before_its_job_is_replaced_and_the_notebook_still_graded():
    # A prepared child that ends while it waits (nothing of any student has run in it) is the
    # sandbox's loss: the notebook is graded in a fresh child, never scored on an empty run.
    import signal

    from grader.sandbox import Sandbox

    with Sandbox(workers=1, preload=("numpy",)) as pool:
        first = run(pool, "x = 1", probes=[Probe("x", "variable", "x")])
        assert first.probes["x"].value == 1
        zygote = pool.facts["pid"]
        time.sleep(0.5)  # the next child is forked as soon as the result is written
        # The zygote's children: its supervisor (made at start) and the prepared child (youngest).
        children = sorted((_stat(int(p))[1], int(p)) for p in os.listdir("/proc")
                          if p.isdigit() and _stat(int(p))[0] == zygote)
        assert len(children) == 2, children
        os.kill(children[-1][1], signal.SIGKILL)
        again = run(pool, "x = 2", probes=[Probe("x", "variable", "x")])
    assert again.cells[0].status == "ok" and again.probes["x"].value == 2
    assert again.notes == ()  # nothing for the student to hear of: no worker restarted, no error


def _stat(pid: int) -> tuple[int, int]:
    """(parent pid, start time) of a process."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        return int(fields[1]), int(fields[19])
    except (OSError, ValueError, IndexError):
        return -1, -1
