"""What a child can read in its own memory is what the student may know: their notebook and the
inputs of the probe being run. Not the previous student's cells, outputs or probe results, not the
inputs of tests still to come, not a byte of the grading process's environment or command line.

Each test plants a secret where a careless sandbox would carry it into the child, then has the
child look for it everywhere a student can look: up the stack of frames, through every object the
garbage collector knows, in every readable page of its address space (as the attack that found
the hole did, with ctypes), and in /proc.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid

import numpy as np
import pytest

from grader.sandbox import Job, Limits, Probe, Sandbox
from tests.memory_search import SEARCH, pattern

LIMITS = Limits(cell_seconds=20.0, probe_seconds=20.0, notebook_seconds=60.0)

def test_the_pattern_finds_a_planted_secret_and_not_itself(sandbox):
    secret = f"PLANTED-{uuid.uuid4().hex}"
    cells = ((0, "import os\n" + SEARCH), (1, f"kept = {'-'.join(['x', secret])!r}[2:]"),
             (2, f"hits = look({pattern(secret)!r})\nempty = look({pattern('NEVER-' + uuid.uuid4().hex)!r})"))
    ex = sandbox.execute(Job(cells=cells, probes=(Probe("h", "variable", "hits"), Probe("e", "variable", "empty")),
                             limits=LIMITS))
    assert ex.cells[2].status == "ok", ex.cells[2]
    assert any(hit.startswith("memory") for hit in ex.probes["h"].value)  # the search can fail
    assert ex.probes["e"].value == []  # and does not find its own pattern


def test_nothing_of_the_previous_student_is_in_the_next_child():
    secret = f"EARLIER-{uuid.uuid4().hex}"
    earlier = ((0, f"# {secret}\ndef step(x):\n    return x + 1\nlabel = {secret!r}\nprint(label)"),)
    probe = Probe("p", "call", "step", (np.arange(3.0),))
    later = ((0, "import os\n" + SEARCH), (1, f"hits = look({pattern(secret)!r})"))
    with Sandbox(workers=1, preload=("numpy",)) as pool:  # one worker: the later job follows on it
        first = pool.execute(Job(cells=earlier, probes=(probe,), limits=LIMITS))
        assert first.probes["p"].status == "ok" and secret in first.stdout.text
        ex = pool.execute(Job(cells=later, probes=(Probe("h", "variable", "hits"),), limits=LIMITS))
    assert ex.cells[1].status == "ok", ex.cells[1]
    assert ex.probes["h"].value == []


def test_a_probe_sees_its_own_inputs_and_none_of_the_tests_still_to_come(sandbox):
    now, later = f"NOW-{uuid.uuid4().hex}", f"LATER-{uuid.uuid4().hex}"
    cells = ((0, "import os\n" + SEARCH + f"\ndef f(x):\n    return [look({pattern(now)!r}), look({pattern(later)!r})]\n"),)
    probes = (Probe("first", "call", "f", (now,)), Probe("second", "call", "f", (later,)))
    ex = sandbox.execute(Job(cells=cells, probes=probes, limits=LIMITS))
    seen_now, seen_later = ex.probes["first"].value
    assert seen_now, "the probe's own input must be there (the search works)"
    assert seen_later == []  # the next test's input had not been handed over
    assert ex.probes["second"].value[1]  # when its turn came, it was


def test_no_byte_of_the_grading_process_environment_or_command_line_reaches_a_child(tmp_path):
    secret = f"sk-{uuid.uuid4().hex}"
    argument = f"ARGUMENT-{uuid.uuid4().hex}"
    script = tmp_path / "grade_with_secrets.py"
    script.write_text(textwrap.dedent(f'''
        import sys
        from grader.sandbox import Job, Limits, Probe, Sandbox
        cells = ((0, "import os\\n" + {SEARCH!r}), (1, "hits = look({pattern(secret)!r}) + look({pattern(argument)!r})"))
        with Sandbox(workers=1, preload=("numpy",)) as pool:
            ex = pool.execute(Job(cells=cells, probes=(Probe("h", "variable", "hits"),),
                                  limits=Limits(cell_seconds=20.0, notebook_seconds=60.0)))
        print(ex.cells[1].status, ex.probes["h"].value)
    '''))
    env = dict(os.environ, MY_API_TOKEN=secret, AWS_SECRET_ACCESS_KEY=secret)
    run = subprocess.run([sys.executable, str(script), argument], env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "ok []", run.stdout


@pytest.mark.parametrize("call", [
    "libc.syscall(NR['add_key'], b'user', b'left-for-the-next', b'secret', 6, -3)",   # the user's keyring
    "libc.syscall(NR['add_key'], b'user', b'left-for-the-next', b'secret', 6, -4)",   # the user's session
    "libc.syscall(NR['keyctl'], 11, -3, 0, 0)",   # KEYCTL_READ of the session keyring it was started from
    "libc.syscall(NR['request_key'], b'user', b'anything', None, 0)",
])
def test_kernel_keyrings_are_out_of_reach(sandbox, call):
    cells = ((0, "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
                 "NR = {'add_key': 248, 'request_key': 249, 'keyctl': 250} if os.uname().machine == 'x86_64' "
                 "else {'add_key': 217, 'request_key': 218, 'keyctl': 219}\n"
                 f"result = {call}\nerrno = ctypes.get_errno()"),)
    ex = sandbox.execute(Job(cells=cells, probes=(Probe("r", "variable", "result"), Probe("e", "variable", "errno")),
                             limits=LIMITS))
    assert ex.probes["r"].value == -1
    assert ex.probes["e"].value == 1  # EPERM: the filter, not a missing key


def test_public_inputs_may_come_early_but_a_hidden_test_waits_its_turn(sandbox):
    # Public probes (their inputs are in the student's checks file) are streamed; a hidden probe's
    # input is handed over only when every probe before it has ended, public or not.
    first, hidden, after = (f"{w}-{uuid.uuid4().hex}" for w in ("FIRST", "HIDDEN", "AFTER"))
    cells = ((0, "import os\n" + SEARCH + "\ndef f(x):\n"
                 f"    return [bool(look({pattern(first)!r})), bool(look({pattern(hidden)!r})), bool(look({pattern(after)!r}))]\n"),)
    probes = (Probe("a", "call", "f", (first,), public=True), Probe("b", "call", "f", (hidden,)),
              Probe("c", "call", "f", (after,), public=True))
    ex = sandbox.execute(Job(cells=cells, probes=probes, limits=LIMITS))
    assert ex.probes["a"].value == [True, False, False]
    assert ex.probes["b"].value[1] is True and ex.probes["b"].value[2] is False
    assert ex.probes["c"].value[2] is True
