"""The two scripts an imported test runs in the student's process, and what their answers mean.

`REPLAY` runs a converted test's own calls (the student's functions, methods and variables the
assertions read) and sends back snapshots of the values, taken where the test looked at them.
It judges nothing: the comparisons run in the grading process (`grader.importers.judge`).

`RUN` executes a test cell's code in the student's namespace and passes when nothing is raised,
as nbgrader and otter-grader do. What it checks, the student's process computes; that is why the
tests that need it are named when importing and validating.

Both are source text: the student's process cannot import the grader. The same snapshot code
runs in the trusted run of the instructor's solution (`grader.importers.trusted`), so the
expected side sees values exactly as the student's side will.
"""

from __future__ import annotations

from typing import Any

from ..sandbox import codec

# Sets are not plain data for the sandbox's codec; a snapshot carries them as {"__set__": [...]}.
SET_KEY, FROZEN_KEY = "__set__", "__frozen__"

SNAPSHOT = r'''
def _snapshot(value, depth=0):
    """A copy of `value` as plain data, taken now: later calls cannot change what was seen, and a
    subclass of a number, string or container is read through its base type (what it holds, not
    what its overridden methods claim)."""
    import numpy
    if depth > 20:
        return value
    kind = type(value)
    if kind is bool or value is None:
        return value
    if isinstance(value, int):
        return int.__int__(value)
    if isinstance(value, float):
        return float.__float__(value)
    if isinstance(value, complex):
        return numpy.complex128(complex.__complex__(value))
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, list):
        return [_snapshot(v, depth + 1) for v in list.__iter__(value)]
    if isinstance(value, tuple):
        return tuple(_snapshot(v, depth + 1) for v in tuple.__iter__(value))
    if isinstance(value, dict):
        return {_snapshot(k, depth + 1): _snapshot(v, depth + 1) for k, v in dict.items(value)}
    if isinstance(value, (set, frozenset)):
        items = set.__iter__(value) if isinstance(value, set) else frozenset.__iter__(value)
        return {"__set__": [_snapshot(v, depth + 1) for v in items], "__frozen__": isinstance(value, frozenset)}
    if isinstance(value, numpy.ndarray):
        return numpy.array(value, copy=True, subok=False)
    module = getattr(kind, "__module__", "") or ""
    if module.startswith("torch") and hasattr(value, "detach"):
        return value.detach().clone()
    return value
'''

UNWRAP = r'''
def _unwrap(value):
    """A recorded input as the test gave it: sets back as sets, tensors back as tensors."""
    kind = type(value)
    if kind is dict and set(value) == {"__tensor__"}:
        import numpy
        import torch
        return torch.from_numpy(numpy.array(value["__tensor__"], copy=True))
    if kind is dict:
        if set(value) == {"__set__", "__frozen__"}:
            items = [_unwrap(v) for v in value["__set__"]]
            return frozenset(items) if value["__frozen__"] else set(items)
        return {k: _unwrap(v) for k, v in value.items()}
    if kind is list:
        return [_unwrap(v) for v in value]
    if kind is tuple:
        return tuple(_unwrap(v) for v in value)
    return value
'''

REPLAY = SNAPSHOT + UNWRAP + r'''

def probe(ns, events, values):
    """Run the test's calls in order on the student's namespace; return the snapshots."""
    import math
    import numpy
    scope = dict(ns)
    scope.update({name: _unwrap(value) for name, value in values.items()})
    scope["__m_numpy"], scope["__m_math"] = numpy, math
    shots = []
    for event in events:
        if event[0] == "exec":
            exec(compile(event[2], "<test, line %d>" % event[1], "exec"), scope)
        elif event[0] == "snap":
            shots.append(_snapshot(scope[event[1]]))
        else:  # "bind": what the test cell left in the notebook's namespace, for the tests after it
            ns[event[2]] = scope[event[1]]
    return tuple(shots)
'''

RUN = r'''
def probe(ns, source, name, show, want=None):
    """Run the test's code where the notebook's own cells ran: it passes when nothing is raised
    and, for an otter test case (`want`), when its last expression shows what the solution's did."""
    import ast
    shown = None
    try:
        tree = ast.parse(source)
        last = tree.body.pop() if want is not None and tree.body and isinstance(tree.body[-1], ast.Expr) else None
        exec(compile(tree, name, "exec"), ns)
        if last is not None:
            value = eval(compile(ast.Expression(last.value), name, "eval"), ns)
            shown = "" if value is None else repr(value)
    except AssertionError as exc:
        line = 0
        tb = exc.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == name:
                line = tb.tb_lineno
            tb = tb.tb_next
        text = source.split("\n")[line - 1].strip() if show and line else ""
        why = str(exc)
        raise AssertionError("line %d%s%s" % (line, ": " + text if text else "", " (" + why + ")" if why else "")) \
            from None
    if want is not None and (shown or "").strip() != want.strip():
        raise AssertionError("its last line shows %s" % ("%r, not %r" % (shown[:200], want[:200]) if show
                                                          else "something else than expected"))
    return True
'''


TENSOR_KEY = "__tensor__"


def for_child(value: Any) -> Any:
    """A recorded input as it travels to the student's process: a tensor marked as one (the
    sandbox's codec brings arrays back as tensors, but sends every array as numpy)."""
    from ..sandbox.codec import TensorArray

    if isinstance(value, TensorArray):
        import numpy as np

        return {TENSOR_KEY: np.asarray(value).view(np.ndarray)}
    if isinstance(value, dict):
        return {k: for_child(v) for k, v in value.items()}
    if isinstance(value, list):
        return [for_child(v) for v in value]
    if isinstance(value, tuple):
        return tuple(for_child(v) for v in value)
    return value


def unwrap(value: Any) -> Any:
    """A snapshot as the grading process compares it: sets back as sets."""
    if isinstance(value, dict):
        if set(value) == {SET_KEY, FROZEN_KEY} and isinstance(value[SET_KEY], list):
            items = [unwrap(v) for v in value[SET_KEY]]
            try:
                return frozenset(items) if value[FROZEN_KEY] else set(items)
            except TypeError:
                return value
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    if isinstance(value, tuple):
        return tuple(unwrap(v) for v in value)
    return value


def script_function(source: str, name: str) -> Any:
    """A function of one of the scripts above, as a function of this process: the trusted run of
    the solution takes values and replays tests with exactly the code the student's process runs."""
    scope: dict[str, Any] = {}
    exec(compile(source, "<script>", "exec"), scope)  # noqa: S102 (our own source)
    return scope[name]


def snapshot_function() -> Any:
    return script_function(SNAPSHOT, "_snapshot")


_snapshot = snapshot_function()


def plain(value: Any) -> bool:
    """Whether a value can leave a process as plain data (arrays, numbers, strings, containers)."""
    tree, _ = codec.encode(_snapshot(value))
    return not _opaque(tree)


def _opaque(tree: Any) -> bool:
    if isinstance(tree, list):
        return any(_opaque(v) for v in tree)
    if isinstance(tree, dict):
        if "$obj" in tree or "$callable" in tree or "$big" in tree:
            return True
        return any(_opaque(v) for v in tree.values())
    return False


def as_seen(value: Any) -> Any:
    """A value as the grading process receives it from the student's process."""
    tree, blobs = codec.encode(_snapshot(value))
    return unwrap(codec.decode(tree, blobs))
