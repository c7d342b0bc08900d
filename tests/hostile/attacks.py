"""The catalogue of hostile notebooks: each one tries to break the grader in one way.

An attack builds either the code cells of a notebook or the raw bytes of a file, from a `World`
(the paths, secrets and sockets of its batch). What it expects is declared with it: the highest
score it may get, the kind of first error, and words its messages must contain. Attacks that
probe the sandbox from inside report what happened through the value their `step` function
returns (the grader shows it as "got …"): "end" when the attack reached its end, and "LEAK" when
it read something it must never read.

Attacks run in three batches so that each CLI run stays short: "slow" (everything that must be
stopped by a timeout), "runtime" (the rest of what code can do), "files" (what a file can be).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.conftest import make_notebook
from tests.memory_search import SEARCH, pattern

from .world import World

Build = Callable[[World], "list[str] | bytes"]


@dataclass(frozen=True)
class Attack:
    name: str
    batch: str
    build: Build
    kind: str | tuple[str, ...] | None = None  # expected first_error kind(s), or "status" for an unreadable file
    words: tuple[str, ...] = ()  # each must appear in what the student is told: results and report
    max_score: float = 0.0
    reports: bool = False  # the attack reports back through `step` ("end", never "LEAK")
    full_only: bool = False  # only at full isolation (own uid, one budget for the tree)
    stem: str = ""  # file name, when not h_<name>
    folder: str = ""  # sub-folder of the batch
    extra_files: tuple[tuple[str, Callable[[World], bytes]], ...] = field(default=())

    @property
    def student(self) -> str:
        stem = self.stem or f"h_{self.name}"
        return f"{self.folder}/{stem}" if self.folder else stem


CATALOGUE: list[Attack] = []


def attack(name: str, batch: str, **kwargs: object) -> Callable[[Build], Build]:
    def register(build: Build) -> Build:
        CATALOGUE.append(Attack(name, batch, build, **kwargs))  # type: ignore[arg-type]
        return build

    return register


# Attacks that report back start with this: `attempt` records how each try ended, `leak` marks a
# secret read, and `step` returns the record (its first test shows it as "got").
PRELUDE = '''import os, sys, time
seen, leaks, finished = [], [], []
def attempt(label, fn):
    try:
        out = fn()
        seen.append(label + "=ok")
        return out
    except BaseException as exc:
        seen.append(label + "=" + type(exc).__name__[:12])
def leak(label):
    leaks.append(label)
def search(name, roots=("/work", "/root", "/home", "/srv", "/opt", "/tmp", "/usr/local", sys.prefix), budget=2.0):
    found, until = [], time.monotonic() + budget
    for root in roots:
        for folder, dirs, files in os.walk(root):
            if name in files:
                found.append(os.path.join(folder, name))
            if time.monotonic() > until:
                return found
    return found
def step(x):
    return " ".join(["LEAK:" + label for label in leaks] + (["end"] if finished else []) + seen)
'''

WRONG = '''import numpy as np
def sign(x):
    return np.zeros_like(x)
def sigmoid(x):
    return np.zeros_like(x)
'''


def after(attack_code: str) -> list[str]:
    """An attack in cell 2, then a correct step in the same cell (never reached if it stops)."""
    return ["import numpy as np",
            attack_code + "\ndef step(x):\n    return np.where(x >= 0, 1.0, 0.0)\n"]


def reporting(*body: str) -> list[str]:
    return ["import numpy as np", PRELUDE + "\n".join(body) + "\nfinished.append(True)\n", WRONG]


# ---------------------------------------------------------------- slow: stopped by a deadline

@attack("loop_python", "slow", kind="timeout", words=("did not finish",))
def _(w: World) -> list[str]:
    return after("while True:\n    pass")


@attack("loop_c_sum", "slow", kind="timeout", words=("did not finish",))
def _(w: World) -> list[str]:
    # sum() over a range loops in C and never checks for signals: only the hard kill ends it
    return after("total = sum(range(10**12))")


@attack("loop_c_numpy", "slow", kind="timeout", words=("did not finish",))
def _(w: World) -> list[str]:
    return after("np.convolve(np.ones(10**6), np.ones(10**6))")


@attack("alarm_ignored", "slow", kind="timeout", words=("did not finish",))
def _(w: World) -> list[str]:
    return after("import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
                 "signal.setitimer(signal.ITIMER_REAL, 0)\nsignal.alarm(0)\nwhile True:\n    pass")


@attack("alarm_blocked", "slow", kind="timeout", words=("did not finish",))
def _(w: World) -> list[str]:
    return after("import signal\nsignal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGALRM, signal.SIGXCPU])\n"
                 "while True:\n    pass")


@attack("timeout_swallowed", "slow", kind="timeout", words=("did not finish",))
def _(w: World) -> list[str]:
    return after("while True:\n    try:\n        while True:\n            pass\n"
                 "    except BaseException:\n        pass")


@attack("sleep_forever", "slow", kind="timeout", words=("did not finish",))
def _(w: World) -> list[str]:
    return after("import time\ntime.sleep(10**6)")


@attack("probe_loops_in_c", "slow", words=("did not finish",))
def _(w: World) -> list[str]:
    return ["import numpy as np", "def step(x):\n    return sum(range(10**12))\n", WRONG]


@attack("probe_loops_once", "slow", words=("did not finish",))
def _(w: World) -> list[str]:
    return ["import numpy as np",
            ("calls = []\ndef step(x):\n    calls.append(1)\n    while len(calls) == 1:\n        pass\n"
             "    return np.zeros_like(x)\n"), WRONG]


def tree_hog(seconds: float) -> tuple[str, str]:
    """Two cells: six children of 720 MiB each, within every per-process limit, 4.2 GiB together.
    Each holds its block until a moment past a common deadline, `seconds` in, and says, by exiting
    with 0, that it had the block before the deadline: every child that says so held its memory
    at that one instant; `held` counts them. More than three would mean the tree had no common
    budget (the kernel ends the others, whichever it picks). Touching 4.2 GiB takes seconds on a
    busy machine: the first cell starts the children and waits until 2 s before the deadline, the
    second counts them (3 s)."""
    start = "\n".join((
        "import os, time",
        f"deadline = time.monotonic() + {seconds}",
        "kids = []",
        "for i in range(6):",
        "    pid = os.fork()",
        "    if pid == 0:",
        "        status = 1",
        "        try:",
        "            block = np.ones(90 * 2**20)",
        "            status = int(time.monotonic() > deadline)",
        "            time.sleep(max(0.0, deadline - time.monotonic()) + 0.3)",
        "        finally:",
        "            os._exit(status)",
        "    kids.append(pid)",
        "time.sleep(max(0.0, deadline - 2 - time.monotonic()))",
    ))
    count = "\n".join((
        "import os, time",
        "held = 0",
        "while kids and time.monotonic() < deadline + 1:",
        "    done, status = os.waitpid(-1, os.WNOHANG)",
        "    if done:",
        "        kids.remove(done)",
        "        held += os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0",
        "    else:",
        "        time.sleep(0.02)",
    ))
    return start, count


# Only full isolation gives the tree one budget (userns has per-process limits only, as doctor says).
@attack("memory_forked", "slow", reports=True, full_only=True)
def _(w: World) -> list[str]:
    start, count = tree_hog(5.5)  # the exercise's cells have 5 s each
    report = "seen.append('held=' + str(held))\nif held > 3:\n    leak('memory_of_the_tree')\nfinished.append(True)\n"
    return ["import numpy as np", PRELUDE + start, count + "\n" + report, WRONG]


# ---------------------------------------------------------------- runtime: processes, memory, output

# Touching 2 GiB takes a second or two, longer on a loaded machine: the cell's deadline may come first.
@attack("memory_bomb", "runtime", kind=("error", "timeout"))
def _(w: World) -> list[str]:
    return after("blocks = []\nwhile True:\n    blocks.append(bytearray(256 * 2**20))")


@attack("memory_numpy", "runtime", kind="error", words=("MemoryError",))
def _(w: World) -> list[str]:
    return after("x = np.ones((10**5, 10**5))")


@attack("memory_after_raising_limits", "runtime", kind="error", words=("MemoryError",))
def _(w: World) -> list[str]:
    return after("import resource\nfor which in (resource.RLIMIT_AS, resource.RLIMIT_CPU, resource.RLIMIT_NPROC):\n"
                 "    try:\n        resource.setrlimit(which, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))\n"
                 "    except (ValueError, OSError):\n        pass\n"
                 "x = bytearray(8 * 2**30)")


@attack("fork_bomb", "runtime", reports=True)
def _(w: World) -> list[str]:
    return reporting(
        "import time",
        "forks = 0",
        "try:",
        "    while forks < 500:",
        "        if os.fork() == 0:",
        "            os.setsid()  # out of the process group the worker kills",
        "            while True:",
        "                try:",
        "                    os.fork()",
        "                except OSError:",
        "                    time.sleep(0.01)",
        "        forks += 1",
        "except OSError as exc:",
        "    seen.append('stopped=' + type(exc).__name__)",
        "seen.append('forks=' + str(forks))",
        "if forks >= 100:",
        "    leak('unbounded_forks')",
    )


@attack("thread_bomb", "runtime", reports=True)
def _(w: World) -> list[str]:
    return reporting(
        "import threading, time",
        "threads = 0",
        "try:",
        "    while threads < 2000:",
        "        threading.Thread(target=time.sleep, args=(3600,), daemon=True).start()",
        "        threads += 1",
        "except RuntimeError as exc:",
        "    seen.append('stopped')",
        "seen.append('threads=' + str(threads))",
        "if threads >= 100:",
        "    leak('unbounded_threads')",
    )


@attack("os_exit", "runtime", kind="crashed", words=("status 0",))
def _(w: World) -> list[str]:
    return after("import os\nos._exit(0)")


@attack("sys_exit", "runtime", kind="error", words=("SystemExit",))
def _(w: World) -> list[str]:
    return after("import sys\nsys.exit(0)")


@attack("raise_systemexit", "runtime", kind="error", words=("SystemExit",))
def _(w: World) -> list[str]:
    return after("raise SystemExit('graded: 30/30')")


@attack("keyboard_interrupt", "runtime", kind="error", words=("KeyboardInterrupt",))
def _(w: World) -> list[str]:
    return after("raise KeyboardInterrupt")


@attack("kill_and_stop_self", "runtime", reports=True, full_only=True)
def _(w: World) -> list[str]:
    # The notebook runs as process 1 of its own PID namespace, which the kernel shields from its
    # own signals: stopping or killing itself does nothing, and the rest of the notebook runs.
    return reporting(
        "import signal",
        "attempt('stop', lambda: os.kill(os.getpid(), signal.SIGSTOP))",
        "attempt('kill', lambda: os.kill(os.getpid(), signal.SIGKILL))",
        "attempt('group', lambda: os.killpg(0, signal.SIGKILL))",
    )


@attack("kill_ancestors", "runtime", reports=True)
def _(w: World) -> list[str]:
    # Up the chain of parents from /proc, then the usual suspects: each must be refused or absent.
    return reporting(
        "import signal",
        "def parent_of(pid):",
        "    with open(f'/proc/{pid}/stat') as fh:",
        "        return int(fh.read().rsplit(')', 1)[1].split()[1])",
        "pid = os.getpid()",
        "for level in range(4):",
        "    pid = attempt('ppid', lambda: parent_of(pid)) or 0",
        "    if pid > 0:",
        "        attempt(f'kill{level}', lambda: os.kill(pid, signal.SIGKILL))",
        "attempt('getppid', lambda: os.kill(os.getppid(), signal.SIGKILL))",
        "attempt('init', lambda: os.kill(1, signal.SIGTERM))",
        "attempt('pgrp', lambda: os.killpg(os.getpgrp(), signal.SIGCONT))",
    )


@attack("kill_grader_by_name", "runtime", reports=True)
def _(w: World) -> list[str]:
    return reporting(
        "import signal",
        "victims = 0",
        "for entry in os.listdir('/proc'):",
        "    if not entry.isdigit() or int(entry) == os.getpid():",
        "        continue",
        "    try:",
        "        cmd = open(f'/proc/{entry}/cmdline', 'rb').read()",
        "    except OSError:",
        "        continue",
        "    if b'grader' in cmd or b'pytest' in cmd:",
        "        victims += 1",
        "        leak('sees_' + entry)  # no process of the grader is ever in a notebook's sight",
        "        attempt('kill' + entry, lambda: os.kill(int(entry), signal.SIGKILL))",
        "seen.append('victims=' + str(victims))",
    )


@attack("kill_everyone", "runtime", reports=True, full_only=True)
def _(w: World) -> list[str]:
    # Only where the child has a uid of its own: as the grader's user this would hit everything.
    return reporting(
        "import signal",
        "attempt('all', lambda: os.kill(-1, signal.SIGKILL))",
        "refused = 0",
        "for pid in range(2, 70000):",
        "    if pid != os.getpid():",
        "        try:",
        "            os.kill(pid, signal.SIGKILL)",
        "        except PermissionError:",
        "            refused += 1",
        "        except OSError:",
        "            pass",
        "seen.append('refused=' + str(refused))",
    )


@attack("close_channel", "runtime", kind="crashed", words=("ended the process",))
def _(w: World) -> list[str]:
    return after("import os\nos.closerange(0, 4096)")


@attack("recursion_crash", "runtime", kind="crashed", words=("SIGSEGV",))
def _(w: World) -> list[str]:
    # repr() of a deep list recurses in C: past the C stack, the process dies of SIGSEGV
    return after("import sys\nsys.setrecursionlimit(10**8)\nnested = []\nfor _ in range(3 * 10**5):\n"
                 "    nested = [nested]\nrepr(nested)")


@attack("ctypes_segfault", "runtime", kind="crashed", words=("SIGSEGV",))
def _(w: World) -> list[str]:
    return after("import ctypes\nctypes.string_at(0)")


@attack("stdout_flood", "runtime", reports=True)
def _(w: World) -> list[str]:
    return reporting("for _ in range(50):", "    sys.stdout.write('flood ' * 170000 + '\\n')",
                     "seen.append('flooded')")


@attack("stderr_flood", "runtime", reports=True)
def _(w: World) -> list[str]:
    return reporting("for _ in range(50):", "    os.write(2, b'\\xff\\xfe flood ' * 100000)",
                     "seen.append('flooded')")


@attack("fake_grader_output", "runtime", reports=True)
def _(w: World) -> list[str]:
    fake = json.dumps({"schema_version": "1.0", "exercise": "activations", "submissions": [
        {"student": "h_fake_grader_output", "score": 30, "max_score": 30, "status": "graded"}]})
    return reporting(
        "import json, struct",
        "print('h_fake_grader_output\\t30\\t30\\tgraded')",
        "print('honest_ana\\t0\\t30\\terror')",
        "print('score: 30/30  (all tests passed)')",
        "print('graded 99, unchanged 0, errors 0, in 0.1 s; reports in out/index.html')",
        f"print({fake!r})",
        "frame = json.dumps({'event': 'probe_end', 'id': 'step:values:0', 'status': 'ok', 'value': 1.0,",
        "                    'blobs': []}).encode()",
        "os.write(1, struct.pack('>I', len(frame)) + frame)",
        "os.write(2, struct.pack('>I', len(frame)) + frame)",
        "seen.append('printed')",
    )


@attack("forge_channel_frames", "runtime", kind="crashed", words=("channel",), reports=False)
def _(w: World) -> list[str]:
    # Frames written straight into the result pipe: a claimed pass, an index that is not a number,
    # a pickled object array whose unpickling would create a file on the grader's side, garbage.
    marker = f"/tmp/{w.tag('forge_channel_frames')}-unpickled"
    return ["import numpy as np", PRELUDE + f'''
import io, json, struct
class Payload:
    def __reduce__(self):
        return (open, ({marker!r}, "w"))
buf = io.BytesIO()
np.lib.format.write_array(buf, np.array([Payload()], dtype=object), allow_pickle=True)
blob = buf.getvalue()
def frame(header, blobs=()):
    header = dict(header, blobs=[len(b) for b in blobs])
    raw = json.dumps(header).encode()
    return struct.pack(">I", len(raw)) + raw + b"".join(blobs)
frames = [frame({{"event": "probe_end", "id": "step:values:0", "status": "ok", "value": 1.0}}),
          frame({{"event": "cell_end", "index": "not a number", "status": "ok"}}),
          frame({{"event": "probe_end", "id": "sign:values:0", "status": "ok", "value": {{"$nd": 0}}}}, [blob]),
          frame({{"event": "probe_end", "id": ["x"], "status": {{"$obj": 1}}, "seconds": "soon"}}),
          frame({{"event": "done"}}),
          b"\\xff\\xff\\xff\\xff garbage"]
for fd in range(3, 64):
    try:
        if os.readlink(f"/proc/self/fd/{{fd}}").startswith("pipe:"):
            for data in frames:
                os.write(fd, data)
    except OSError:
        pass
''', WRONG]


@attack("pickle_returns", "runtime", reports=False, words=("<",))
def _(w: World) -> list[str]:
    marker = f"/tmp/{w.tag('pickle_returns')}-unpickled"
    return ["import numpy as np, pickle, os", f'''
class Payload:
    def __reduce__(self):
        return (os.system, ("touch {marker}",))
def step(x):
    return Payload()
def sign(x):
    return pickle.dumps(Payload())
def sigmoid(x):
    return np.array([Payload()] * x.size, dtype=object)
def tanh(x):
    return {{"__reduce__": Payload(), "value": x}}
''']


@attack("lying_objects", "runtime", words=("<",))
def _(w: World) -> list[str]:
    return ["import numpy as np", '''
class Liar:
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __lt__(self, other): return False
    def __gt__(self, other): return False
    def __bool__(self): return True
    def __float__(self): return 1.0
    def __len__(self): return 10**9
    def __array__(self, *a, **k): raise RuntimeError("no")
    def __repr__(self): return "array([1., 1., 0.])"
    def __hash__(self): return 0
def step(x):
    return Liar()
def sign(x):
    return [Liar()] * x.size
def sigmoid(x):
    return np.array([Liar()] * x.size, dtype=object)
''']


@attack("ndarray_subclass", "runtime")
def _(w: World) -> list[str]:
    return ["import numpy as np", '''
class Liar(np.ndarray):
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __array_ufunc__(self, *a, **k): return True
    def __array_function__(self, *a, **k): return True
    def tolist(self): return [1.0]
    def astype(self, *a, **k): return self
    @property
    def nbytes(self): return 8
    @property
    def shape(self): return (3,)
def step(x):
    return np.full(np.shape(x), 0.5).view(Liar)
def sign(x):
    return np.full(np.shape(x), 7.0).view(Liar)
def sigmoid(x):
    return np.zeros(np.shape(x)).view(Liar)
''']


@attack("nan_and_inf", "runtime")
def _(w: World) -> list[str]:
    return ["import numpy as np", '''
def step(x):
    return np.full(np.shape(x), np.nan)
def sign(x):
    return np.full(np.shape(x), np.inf)
def sigmoid(x):
    return np.full(np.shape(x), -np.inf)
def relu(x):
    return float("nan")
def softmax(x):
    return np.full(np.shape(x), np.nan)
''']


@attack("huge_returns", "runtime", words=("too large",))
def _(w: World) -> list[str]:
    return ["import numpy as np", '''
def step(x):
    return np.zeros(10**8)
def sign(x):
    return np.broadcast_to(np.float64(1.0), (10**6, 10**6))
def sigmoid(x):
    return list(range(10**6))
def tanh(x):
    return "x" * 10**7
def relu(x):
    return 10**100000
def softmax(x):
    nested = []
    for _ in range(10000):
        nested = [nested]
    return nested
def relu_prime(x):
    loop = []
    loop.append(loop)
    return loop
''']


@attack("wrong_dtypes", "runtime")
def _(w: World) -> list[str]:
    return ["import numpy as np, datetime", '''
def step(x):
    return np.asarray(x).astype(str)
def sign(x):
    return np.asarray(x).astype(complex)
def sigmoid(x):
    return np.zeros(np.shape(x), dtype="datetime64[s]")
def tanh(x):
    return np.zeros(np.shape(x), dtype=[("a", "f8"), ("b", "i4")])
def relu(x):
    return np.asarray(x) > 0
def softmax(x):
    return np.asarray(x).tobytes()
def relu_prime(x):
    return datetime.datetime.now()
''']


@attack("monkeypatch_numpy", "runtime")
def _(w: World) -> list[str]:
    return ["import numpy as np", '''
np.allclose = lambda *a, **k: True
np.isclose = lambda a, b, *r, **k: np.ones(np.shape(a), dtype=bool)
np.array_equal = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
np.testing.assert_array_equal = lambda *a, **k: None
np.abs = lambda x: x
np.all = lambda *a, **k: True
np.any = lambda *a, **k: False
np.isfinite = lambda x: np.ones(np.shape(x), dtype=bool)
np.lib.format.write_array = lambda *a, **k: None
def step(x):
    return np.zeros_like(x) + 0.5
def sign(x):
    return np.zeros_like(x)
''']


@attack("monkeypatch_builtins", "runtime")
def _(w: World) -> list[str]:
    return ["import numpy as np", '''
import builtins, math, json, struct, os
math.isclose = lambda *a, **k: True
json.dumps = lambda *a, **k: '{"event": "done"}'
struct.pack = lambda *a: b"\\x00\\x00\\x00\\x02{}"
os.write = lambda fd, data: len(data)
builtins.abs = lambda x: 0
builtins.float = lambda *a: 0.0
builtins.len = lambda x: 3
builtins.isinstance = lambda obj, cls: True
def step(x):
    return np.zeros_like(x) + 0.5
''']


@attack("monkeypatch_torch", "runtime")
def _(w: World) -> list[str]:
    return ["import numpy as np\nimport torch", '''
torch.allclose = lambda *a, **k: True
torch.equal = lambda *a, **k: True
torch.isclose = lambda a, b, *r, **k: torch.ones_like(torch.as_tensor(a), dtype=torch.bool)
torch.testing.assert_close = lambda *a, **k: None
torch.Tensor.__eq__ = lambda self, other: True
torch.Tensor.numpy = lambda self, *a, **k: np.ones(3)
def step(x):
    return torch.zeros(np.shape(x)) + 0.5
def sign(x):
    return torch.zeros(np.shape(x))
def sigmoid(x):
    return torch.full(np.shape(x), float("nan"))
''']


@attack("monkeypatch_harness", "runtime")
def _(w: World) -> list[str]:
    # Reach the grader's own code still loaded in the child and bend it to report passes.
    return ["import numpy as np", '''
import gc, types
for obj in gc.get_objects():
    try:
        if isinstance(obj, dict) and obj.get("event") == "probe_end":
            obj["status"] = "ok"
        if isinstance(obj, types.FunctionType) and obj.__name__ in ("encode", "decode", "encode_frame", "_error"):
            obj.__code__ = (lambda *a, **k: ({"$float": "nan"}, [])).__code__
    except Exception:
        pass
    if isinstance(obj, type) and obj.__name__ in ("_Encoder", "_Channel", "_Forbidden"):
        for name in list(vars(obj)):
            if not name.startswith("__"):
                try:
                    setattr(obj, name, lambda *a, **k: None)
                except Exception:
                    pass
def step(x):
    return np.zeros_like(x) + 0.5
''']


@attack("import_reference", "runtime", kind="error")
def _(w: World) -> list[str]:
    repo = str(w.repo)
    return ["import numpy as np", PRELUDE + f'''
import importlib, importlib.util, runpy
mod = attempt("import", lambda: importlib.import_module("reference.activations"))
mod = mod or attempt("dunder", lambda: __import__("reference"))
sys.path.insert(0, {repo!r})
mod = mod or attempt("path", lambda: importlib.import_module("reference"))
spec = attempt("spec", lambda: importlib.util.spec_from_file_location("r", {repo + "/reference/activations.py"!r}))
if spec is not None:
    attempt("exec", lambda: spec.loader.exec_module(importlib.util.module_from_spec(spec)))
attempt("runpy", lambda: runpy.run_path({repo + "/reference/activations.py"!r}))
attempt("grader", lambda: importlib.import_module("grader.plan"))
if mod is not None:
    leak("reference")
    step = mod.step
import reference
''', WRONG]


@attack("read_hidden_tests", "runtime", reports=True)
def _(w: World) -> list[str]:
    repo = str(w.repo)
    return reporting(
        "import glob, zlib",
        "def scan(path):",
        "    text = open(path, 'rb').read()",
        "    if b'FunctionTask' in text or b'large_inputs' in text:",
        "        leak(path[-20:])",
        f"attempt('ex', lambda: scan({repo + '/exercises/activations/exercise.py'!r}))",
        "for path in search('exercise.py'):",
        "    attempt('found', lambda: scan(path))",
        f"objects = glob.glob({repo + '/.git/objects/??/*'!r})",
        "seen.append('objects=' + str(len(objects)))",
        "for path in objects[:3000]:",
        "    try:",
        "        data = zlib.decompress(open(path, 'rb').read())",
        "    except Exception:",
        "        continue",
        "    if b'FunctionTask' in data or b'large_inputs' in data:",
        "        leak('git')",
        "        break",
        f"attempt('ls', lambda: os.listdir({repo + '/exercises'!r}))",
    )


@attack("read_reference", "runtime", reports=True)
def _(w: World) -> list[str]:
    repo = str(w.repo)
    return reporting(
        "import ctypes",
        f"path = {repo + '/reference/activations.py'!r}",
        "text = attempt('open', lambda: open(path).read()) or ''",
        "libc = ctypes.CDLL(None)",
        "buf = ctypes.create_string_buffer(4096)",
        "fd = libc.open(path.encode(), 0)",
        "n = libc.read(fd, buf, 4096) if fd >= 0 else -1",
        "seen.append('ctypes=' + str(n))",
        "if 'def ' in text or b'def ' in buf.raw:",
        "    leak('reference')",
    )


@attack("read_submissions", "runtime", reports=True)
def _(w: World) -> list[str]:
    subs = str(w.subs)
    secret = w.secrets["subs"]
    return reporting(
        "import ctypes, glob",
        f"subs = {subs!r}",
        "names = attempt('ls', lambda: os.listdir(subs)) or []",
        "if any(n.startswith('honest') for n in names):",
        "    leak('listing')",
        "for path in [subs + '/honest_ana.ipynb'] + search('honest_ana.ipynb'):",
        "    text = attempt('read', lambda: open(path).read()) or ''",
        f"    if {secret!r} in text:",
        "        leak('submission')",
        "libc = ctypes.CDLL(None)",
        "buf = ctypes.create_string_buffer(1 << 16)",
        "fd = libc.open((subs + '/honest_ana.ipynb').encode(), 0)",
        "n = libc.read(fd, buf, 1 << 16) if fd >= 0 else -1",
        "seen.append('ctypes=' + str(n))",
        f"if {secret.encode()!r} in buf.raw:",
        "    leak('ctypes')",
    )


@attack("read_gradebook", "runtime", reports=True)
def _(w: World) -> list[str]:
    out = str(w.out)
    secret = w.secrets["out"]
    return reporting(
        "import ctypes, sqlite3",
        f"out = {out!r}",
        "for name in ('gradebook.sqlite', 'results.json', 'keep.txt', 'grades.csv'):",
        "    data = attempt(name[:4], lambda: open(out + '/' + name, 'rb').read()) or b''",
        f"    if b'SQLite format' in data or {secret.encode()!r} in data or b'honest' in data:",
        "        leak(name)",
        "rows = attempt('sql', lambda: sqlite3.connect(out + '/gradebook.sqlite').execute(",
        "    'SELECT student FROM results').fetchall())",
        "if rows:",
        "    leak('sqlite')",
        "libc = ctypes.CDLL(None)",
        "buf = ctypes.create_string_buffer(4096)",
        "fd = libc.open((out + '/keep.txt').encode(), 0)",
        "n = libc.read(fd, buf, 4096) if fd >= 0 else -1",
        f"if {secret.encode()!r} in buf.raw:",
        "    leak('ctypes')",
        "seen.append('ctypes=' + str(n))",
    )


@attack("read_through_proc", "runtime", reports=True)
def _(w: World) -> list[str]:
    out, token = str(w.out), w.token
    return reporting(
        f"out, token = {out!r}, {token!r}",
        "pids = [p for p in os.listdir('/proc') if p.isdigit()]",
        "seen.append('pids=' + str(len(pids)))",
        "for pid in pids:",
        "    for what in ('cmdline', 'environ'):",
        "        try:",
        "            data = open(f'/proc/{pid}/{what}', 'rb').read()",
        "        except OSError:",
        "            continue",
        "        if token.encode() in data:",
        "            leak(what + pid)",
        "    for root in ('root', 'cwd'):",
        "        try:",
        "            if token in ''.join(os.listdir(f'/proc/{pid}/{root}' + out)) or os.path.exists(",
        "                    f'/proc/{pid}/{root}' + out + '/keep.txt'):",
        "                leak(root + pid)",
        "        except OSError:",
        "            pass",
    )


@attack("read_home", "runtime", reports=True)
def _(w: World) -> list[str]:
    home, real = str(w.home), str(w.real_home)
    secret = w.secrets["home"]
    return reporting(
        f"home, real = {home!r}, {real!r}",
        "text = attempt('notes', lambda: open(home + '/notes.txt').read()) or ''",
        f"if {secret!r} in text:",
        "    leak('home')",
        "names = attempt('real', lambda: os.listdir(real)) or []",
        "if len([n for n in names if n not in ('.pyenv',)]) > 0:",
        "    leak('real_home')",
        "seen.append('tilde=' + os.path.expanduser('~'))",
    )


# ---------------------------------------------------------------- the grader's environment and memory

@attack("write_environment", "runtime", reports=True)
def _(w: World) -> list[str]:
    # The grader's own interpreter and packages: a .pth line in site-packages runs, unsandboxed, at
    # every later start of that Python; a renamed numpy file breaks every later grade.
    tag = w.tag("write_environment")
    return reporting(
        "import ctypes, numpy",
        "libc = ctypes.CDLL(None, use_errno=True)",
        "places = [sys.prefix, os.path.join(sys.prefix, 'bin'), sys.base_prefix,",
        "          os.path.dirname(numpy.__file__), os.path.dirname(os.__file__)]",
        "places += [p for p in sys.path if p.endswith('-packages')]",
        "for i, place in enumerate(places):",
        f"    for name in ({tag + '.pth'!r}, {tag!r}):",
        "        path = os.path.join(place, name)",
        "        attempt(f'py{i}', lambda: open(path, 'w').write('import os; os.system(\"touch /tmp/owned\")'))",
        "        fd = libc.open(path.encode(), 0o1101, 0o644)",
        "        seen.append(f'c{i}=' + str(fd))",
        "        if os.path.exists(path):",
        "            leak('wrote_' + str(i))",
        "version = os.path.join(os.path.dirname(numpy.__file__), 'version.py')",
        "if libc.rename(version.encode(), (version + '.moved').encode()) == 0:",
        "    leak('renamed_numpy')",
        "    libc.rename((version + '.moved').encode(), version.encode())",
        "if libc.mkdir(b'/owned-root', 0o755) == 0:",
        "    leak('root_folder')",
    )


@attack("beside_the_environment", "runtime", reports=True)
def _(w: World) -> list[str]:
    # The interpreter lives somewhere (a venv in the grader's home, say): its parents must show
    # the way to it and nothing else.
    secret = w.secrets["home"]
    return reporting(
        "kept = [sys.prefix, sys.base_prefix] + [p for p in sys.path if p and os.path.isdir(p)]",
        "parts = {os.path.normpath(k) for k in kept}",
        "allowed = set()  # the kept folders and the folders on the way to them",
        "for k in parts:",
        "    while k not in ('/', ''):",
        "        allowed.add(k)",
        "        k = os.path.dirname(k)",
        "for k in sorted(parts):",
        "    parent = os.path.dirname(k)",
        "    names = attempt('ls' + parent, lambda: os.listdir(parent)) or []",
        "    if parent.startswith(('/usr', '/lib', '/etc')) or parent == '/' or any(",
        "            parent == k or parent.startswith(k + '/') for k in parts):",
        "        continue  # the system's folders, and what a kept folder holds, are there to be seen",
        "    extra = [n for n in names if os.path.join(parent, n) not in allowed]",
        "    if extra:",
        "        leak('beside:' + parent + ':' + ','.join(sorted(extra)[:3]))",
        "for folder, dirs, files in os.walk(os.path.dirname(os.path.normpath(sys.prefix))):",
        "    for name in files:",
        "        try:",
        f"            if {secret!r} in open(os.path.join(folder, name), errors='replace').read(100000):",
        "                leak('home_file:' + name)",
        "        except OSError:",
        "            pass",
        "    if folder.count('/') > 6:",
        "        break",
    )


@attack("previous_student", "runtime", reports=True, stem="zz_previous_student")
def _(w: World) -> list[str]:
    # Graded after the honest students on its worker (it sorts last): their code, outputs and probe
    # results must be nowhere in its memory. The issue's own spelling first: walk up to the worker.
    return reporting(
        SEARCH,
        "f = sys._getframe()",
        "while f is not None:",
        "    for value in list(f.f_locals.values()):",
        "        header = getattr(value, 'header', None)",
        "        if isinstance(header, dict) and header.get('cells'):",
        "            leak('frame:' + f.f_code.co_name)",
        "    f = f.f_back",
        f"hits = look({pattern(w.secrets['subs'])!r})",
        "seen.append('hits=' + str(len(hits)))",
        "if hits:",
        "    leak('previous:' + ','.join(hits[:3]))",
    )


@attack("environment_secret", "runtime", reports=True)
def _(w: World) -> list[str]:
    # An API token in the grading process's environment, the folders on its command line: nothing
    # of either in the child, whatever it reads (os.environ, /proc, the pages of its stack).
    return reporting(
        SEARCH,
        "seen.append('env=' + ','.join(sorted(os.environ)))",
        f"for label, secret in (('token', {pattern(w.secrets['env'])!r}), ('out', {pattern(str(w.out))!r}),",
        f"                      ('subs', {pattern(str(w.subs))!r})):",
        "    hits = look(secret)",
        "    if hits:",
        "        leak(label + ':' + ','.join(hits[:3]))",
    )


@attack("kernel_keyring", "runtime", reports=True)
def _(w: World) -> list[str]:
    # Keys outlive a process: one left under the worker's uid would reach the next notebook.
    return reporting(
        "import ctypes",
        "libc = ctypes.CDLL(None, use_errno=True)",
        "nr = {'add_key': 248, 'keyctl': 250} if os.uname().machine == 'x86_64' else {'add_key': 217, 'keyctl': 219}",
        "for ring in (-3, -4, -5):  # thread, process, session… and the user's",
        "    key = libc.syscall(nr['add_key'], b'user', b'for-the-next-student', b'payload', 7, ring)",
        "    seen.append(f'add{ring}=' + str(key))",
        "    if key >= 0:",
        "        leak('add_key' + str(ring))",
        "found = libc.syscall(nr['keyctl'], 10, -4, b'user', b'for-the-next-student', 0)  # KEYCTL_SEARCH",
        "if found >= 0:",
        "    leak('found_a_key')",
    )


def _write_tries(paths: list[str]) -> str:
    lines = ["import ctypes", "libc = ctypes.CDLL(None)"]
    for i, path in enumerate(paths):
        lines.append(f"attempt('w{i}', lambda: open({path!r}, 'w').write('owned'))")
        lines.append(f"fd = libc.open({path.encode() + b'.c'!r}, 0o1101, 0o666)  # O_WRONLY|O_CREAT|O_TRUNC")
        lines.append("seen.append('c' + str(fd))")
    return "\n".join(lines)


@attack("write_home", "runtime", reports=True)
def _(w: World) -> list[str]:
    tag = w.tag("write_home")
    return reporting(_write_tries([f"{w.home}/{tag}", f"{w.real_home}/{tag}", f"{w.home}/.bashrc",
                                   os.path.join("~", tag)]))


@attack("write_tmp", "runtime", reports=True)
def _(w: World) -> list[str]:
    tag = w.tag("write_tmp")
    return reporting(_write_tries([f"/tmp/{tag}", f"/var/tmp/{tag}", f"/dev/shm/{tag}", f"{w.host_tmp}/{tag}",
                                   f"{w.host_tmp}/keep.txt"]))


@attack("write_output", "runtime", reports=True)
def _(w: World) -> list[str]:
    tag, out = w.tag("write_output"), str(w.out)
    return reporting(_write_tries([f"{out}/{tag}", f"{out}/results.json", f"{out}/keep.txt",
                                   f"{out}/gradebook.sqlite", f"{out}/reports/honest_ana.html"]))


@attack("write_repository", "runtime", reports=True)
def _(w: World) -> list[str]:
    tag, repo = w.tag("write_repository"), str(w.repo)
    return reporting(_write_tries([f"{repo}/{tag}", f"{repo}/grader/{tag}", f"{repo}/exercises/activations/{tag}",
                                   f"{repo}/reference/{tag}", f"{repo}/templates/{tag}"]))


@attack("write_submissions", "runtime", reports=True)
def _(w: World) -> list[str]:
    tag, subs = w.tag("write_submissions"), str(w.subs)
    return reporting(_write_tries([f"{subs}/{tag}.ipynb", f"{subs}/honest_ana.ipynb"]))


@attack("shell_escapes", "runtime", words=("skipped",))
def _(w: World) -> list[str]:
    out, home, tmp = str(w.out), str(w.home), str(w.host_tmp)
    return ["import numpy as np",
            (f"!rm -rf {out} {home} {tmp}\n!rm -rf / --no-preserve-root\n%rm -rf ~\nfiles = !ls {out}\n"
             f"get_ipython().system('rm -rf {out}')\n"),
            f"%%bash\nrm -rf {out}\n",
            PRELUDE + f'''
import subprocess, pty
attempt("system", lambda: os.system("rm -rf {out}"))
attempt("popen", lambda: subprocess.run(["rm", "-rf", "{out}"]))
attempt("exec", lambda: os.execv("/bin/rm", ["rm", "-rf", "{out}"]))
attempt("spawn", lambda: os.posix_spawn("/bin/rm", ["rm", "-rf", "{out}"], {{}}))
attempt("pty", lambda: pty.spawn(["rm", "-rf", "{out}"]))
''', WRONG]


@attack("rm_rf_python", "runtime", reports=True)
def _(w: World) -> list[str]:
    targets = [str(w.out), str(w.subs), str(w.home), str(w.host_tmp), str(w.repo / "exercises" / "activations")]
    return reporting("import shutil, ctypes", "libc = ctypes.CDLL(None)",
                     *[f"attempt('rm{i}', lambda: shutil.rmtree({t!r}))\n"
                       f"seen.append('u' + str(libc.unlink({t + '/keep.txt'!r}.encode())))"
                       for i, t in enumerate(targets)])


@attack("network_tcp", "runtime", reports=True)
def _(w: World) -> list[str]:
    return reporting(
        "import socket, urllib.request",
        "def connect(family, host):",
        "    s = socket.socket(family, socket.SOCK_STREAM)",
        "    s.settimeout(2)",
        f"    s.connect((host, {w.port}))",
        "    leak('connected')",
        "attempt('v4', lambda: connect(socket.AF_INET, '127.0.0.1'))",
        "attempt('v6', lambda: connect(socket.AF_INET6, '::1'))",
        f"attempt('http', lambda: urllib.request.urlopen('http://127.0.0.1:{w.port}/', timeout=2))",
        "attempt('dns', lambda: socket.getaddrinfo('example.com', 80))",
    )


@attack("network_ctypes", "runtime", reports=True)
def _(w: World) -> list[str]:
    # Straight to libc: no audit hook sees it; only the network namespace stands in the way.
    return reporting(
        "import ctypes, socket, struct",
        "libc = ctypes.CDLL(None, use_errno=True)",
        "fd = libc.socket(socket.AF_INET, socket.SOCK_STREAM, 0)",
        f"addr = struct.pack('<H', socket.AF_INET) + struct.pack('>H', {w.port}) + bytes([127, 0, 0, 1]) + bytes(8)",
        "rc = libc.connect(fd, addr, len(addr))",
        "seen.append('rc=' + str(rc) + ' errno=' + str(ctypes.get_errno()))",
        "if rc == 0:",
        "    leak('connected')",
    )


@attack("network_unix_socket", "runtime", reports=True)
def _(w: World) -> list[str]:
    return reporting(
        "import ctypes, socket",
        f"path = {w.unix_socket!r}",
        "def connect():",
        "    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)",
        "    s.connect(path)",
        "    leak('python')",
        "attempt('py', connect)",
        "libc = ctypes.CDLL(None, use_errno=True)",
        "fd = libc.socket(socket.AF_UNIX, socket.SOCK_STREAM, 0)",
        "addr = (socket.AF_UNIX).to_bytes(2, 'little') + path.encode() + b'\\0'",
        "rc = libc.connect(fd, addr, len(addr)) if path else -1",
        "seen.append('rc=' + str(rc))",
        "if rc == 0:",
        "    leak('ctypes')",
    )


@attack("html_in_output", "runtime", kind="error")
def _(w: World) -> list[str]:
    return ["import numpy as np",
            ("print('<script>alert(\"owned\")</script>')\n"
             "def step(x):\n    return '<img src=x onerror=alert(1)>'\n"
             "raise ValueError('<script>alert(2)</script>')")]


@attack("lone_surrogates", "runtime", kind="error")
def _(w: World) -> list[str]:
    return ["import numpy as np",
            ("import sys, os\nprint('\\udcff\\ud800 surrogate')\nos.write(1, b'\\xed\\xa0\\x80')\n"
             "def step(x):\n    return '\\ud800\\udfff'\n"
             "raise ValueError('\\ud800 is not text')")]


@attack("resource_grab", "runtime", reports=True)
def _(w: World) -> list[str]:
    return reporting(
        "files = []",
        "try:",
        "    while len(files) < 100000:",
        "        files.append(open('/dev/null'))",
        "except OSError as exc:",
        "    seen.append('files=' + str(len(files)))",
        "for f in files:",
        "    f.close()",
        "written = 0",
        "try:",
        "    with open('big.bin', 'wb') as fh:",
        "        while written < 2**31:",
        "            fh.write(b'x' * 2**20)",
        "            written += 2**20",
        "except OSError as exc:",
        "    seen.append('disk=' + type(exc).__name__)",
        "seen.append('MB=' + str(written >> 20))",
        "attempt('setuid', lambda: os.setuid(0))",
        "attempt('nice', lambda: os.nice(-10))",
        "if written >= 2**30:",
        "    leak('unbounded_disk')",
    )


@attack("html_file_name", "runtime", stem="<img src=x onerror=alert(1)>")
def _(w: World) -> list[str]:
    return ["import numpy as np\ndef step(x):\n    return np.zeros_like(x)\n"]


# ---------------------------------------------------------------- files: what a notebook file can be

@attack("huge_outputs", "files", words=("not defined",))
def _(w: World) -> bytes:
    nb = make_notebook(["import numpy as np\nprint('lots')"])
    nb["cells"][0]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["x" * 1000 + "\n"] * 50000}]
    return json.dumps(nb).encode()


@attack("deep_json", "files", kind="status", words=("nested too deeply",))
def _(w: World) -> bytes:
    return b'{"nbformat": 4, "cells": ' + b"[" * 200000 + b"]" * 200000 + b"}"


@attack("nbformat_5", "files", kind="status", words=("format version",))
def _(w: World) -> bytes:
    return json.dumps(dict(make_notebook(["x = 1"]), nbformat=5)).encode()


@attack("nbformat_2", "files", kind="status", words=("format version",))
def _(w: World) -> bytes:
    return json.dumps(dict(make_notebook(["x = 1"]), nbformat=2)).encode()


@attack("nbformat_text", "files", kind="status", words=("format version",))
def _(w: World) -> bytes:
    return json.dumps(dict(make_notebook(["x = 1"]), nbformat="4")).encode()


@attack("binary_garbage", "files", kind="status", words=("not a notebook",))
def _(w: World) -> bytes:
    return bytes((i * 7919 + 13) % 256 for i in range(200000))


@attack("python_not_json", "files", kind="status", words=("not a notebook",))
def _(w: World) -> bytes:
    return b"import os\nos.system('rm -rf /')\n"


@attack("cells_not_a_list", "files", kind="status", words=("cells",))
def _(w: World) -> bytes:
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": {"0": "x = 1"}}).encode()


@attack("source_not_text", "files", kind="status", words=("not text",))
def _(w: World) -> bytes:
    nb = make_notebook(["x = 1"])
    nb["cells"][0]["source"] = {"$eval": "__import__('os').system('id')"}
    return json.dumps(nb).encode()


@attack("over_size_limit", "files", kind="status", words=("limit",))
def _(w: World) -> bytes:
    nb = make_notebook(["x = 1"])
    nb["cells"][0]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "y" * (130 * 2**20)}]
    return json.dumps(nb).encode()


@attack("null_bytes_in_code", "files", kind="error")
def _(w: World) -> bytes:
    return json.dumps(make_notebook(["import numpy as np", "x = 1\x00\ndef step(x):\n    return x"])).encode()


@attack("many_cells", "files", words=("not defined",))
def _(w: World) -> bytes:
    return json.dumps(make_notebook(["pass"] * 5000)).encode()


@attack("unknown_exercise", "files", kind="status", words=("exercise",))
def _(w: World) -> bytes:
    return json.dumps(make_notebook(["x = 1"], exercise="no_such_exercise_anywhere")).encode()


def _payload_exercise(w: World) -> bytes:
    marker = f"/tmp/{w.tag('exercise_path_in_metadata')}-ran"
    return f"open({marker!r}, 'w').write('the grading process ran student code')\n".encode()


@attack("exercise_path_in_metadata", "files", kind="status", words=("exercise",),
        extra_files=(("payload/exercise.py", _payload_exercise),))
def _(w: World) -> bytes:
    # A folder of the student's own, holding an exercise.py that would run in the grading process.
    return json.dumps(make_notebook(["x = 1"], exercise=str(w.subs / "payload"))).encode()


@attack("duplicate_name", "files", folder="g2", stem="honest_dup", words=("not defined",))
def _(w: World) -> bytes:
    # Same file name as an honest student in g1/: each keeps their own grade and report.
    return json.dumps(make_notebook(["import numpy as np\nprint('I am honest_dup')"])).encode()


def attacks(batch: str | None = None) -> list[Attack]:
    return [a for a in CATALOGUE if batch is None or a.batch == batch]
