"""Recording, inside the child, the use of library functions a task forbids — by what is called,
not by how it is spelled.

A forbidden name (`numpy.tanh`, `torch.sigmoid`, `scipy.special.expit`) stands for a callable.
Every reference to that callable in its package's modules is replaced by a recording wrapper, so
`np._core.umath.tanh` and `from numpy import tanh as t` reach the wrapper too; so are the
student's own references made before the wrapper existed (names, default arguments, closures,
class attributes), and those of packages imported later (the import function re-checks).
For PyTorch, what runs is an ATen operator whatever the spelling (`torch.sigmoid(x)`,
`x.sigmoid()`, `torch.special.expit`, `nn.Sigmoid()(x)`): the operators a forbidden function runs
are learned by calling it once on a small tensor, and a dispatch mode records them while a
probe that forbids them runs.

The source is also searched before grading (grader/static.py); this is what catches the rest.
"""

from __future__ import annotations

import builtins
import sys
import types
import warnings
from typing import Any

# Operators that only create, move or view tensors: never evidence of a forbidden function.
_PLUMBING = frozenset({"empty", "zeros", "ones", "full", "alias", "view", "detach", "clone", "copy_", "to",
                       "_to_copy", "lift_fresh", "lift_fresh_copy", "empty_like", "zeros_like", "ones_like",
                       "expand", "unsqueeze", "squeeze", "t", "transpose", "contiguous", "_unsafe_view"})


class Forbidden:
    """Wraps forbidden callables to record their use during the probe that forbids them."""

    def __init__(self, names: set[str], survey: dict[str, Any] | None = None) -> None:
        self.names = names
        # What the supervisor found out once for these names (see `survey`): where each original
        # is referenced and which operators it runs, so a child need not search or try.
        self.survey = survey or {}
        self.active: frozenset[str] = frozenset()
        self.used: set[str] = set()
        self.originals: dict[int, str] = {}  # id of an original callable -> its forbidden name
        self.wrappers: dict[str, Any] = {}
        self.ops: dict[str, list[str]] = {}  # ATen operator name -> the forbidden names that run it
        self._modules_seen = 0
        self._import: Any = None

    def install(self) -> None:
        """Wrap what can be found now (call again once more packages are imported)."""
        missing = [name for name in self.names if name not in self.wrappers]
        for dotted in missing:
            owner, attr = _resolve(dotted)
            if owner is None:
                continue
            original = getattr(owner, attr)
            wrapper = self._wrap(dotted, original)
            self.originals[id(original)] = dotted
            self.wrappers[dotted] = wrapper
            try:
                setattr(owner, attr, wrapper)  # a module's function, or a class's method (Tensor.backward)
            except (AttributeError, TypeError):
                pass
            known = self.survey.get(dotted)
            if isinstance(known, dict):
                for op in known.get("ops", ()):
                    self.ops.setdefault(str(op), []).append(dotted)
                for module_name, name in known.get("refs", ()):
                    namespace = getattr(sys.modules.get(module_name), "__dict__", None)
                    if isinstance(namespace, dict) and namespace.get(name) is original:
                        namespace[name] = wrapper
            elif dotted.split(".")[0] == "torch":
                self._learn_ops(dotted, original)
            else:
                package = dotted.split(".")[0]
                for name, module in list(sys.modules.items()):
                    if name == package or name.startswith(package + "."):
                        _replace(module, {id(original): wrapper})
        self._modules_seen = len(sys.modules)
        if self._import is None and len(self.wrappers) < len(self.names):
            self._watch_imports()

    def rebind(self, namespace: dict[str, Any]) -> None:
        """The student's own references to originals: names, defaults, closures, class attributes."""
        swap = {i: self.wrappers[name] for i, name in self.originals.items()}
        _replace_dict(namespace, swap)
        for value in list(namespace.values()):
            if isinstance(value, types.FunctionType):
                _rebind_function(value, swap)
            elif isinstance(value, type) and getattr(value, "__module__", "") == "__main__":
                for attr, member in list(vars(value).items()):
                    if id(member) in swap:
                        try:
                            setattr(value, attr, swap[id(member)])
                        except (AttributeError, TypeError):
                            pass
                    elif isinstance(member, types.FunctionType):
                        _rebind_function(member, swap)

    def recording(self) -> Any:
        """A context that records the forbidden PyTorch operators run inside it (or does nothing)."""
        wanted = {}
        for op, names in self.ops.items():
            active = [name for name in names if name in self.active]
            if active:  # the name that says what ran: `torch.sigmoid` for aten::sigmoid, the shortest
                named = [n for n in active if n.rsplit(".", 1)[-1] == op.lstrip("_")] or active
                wanted[op] = min(named, key=lambda n: (len(n), n))
        if not wanted or "torch" not in sys.modules:
            return _Nothing()
        return _operator_recorder(self, wanted)

    def _watch_imports(self) -> None:
        original = builtins.__import__
        forbidden = self

        def importing(*args: Any, **kwargs: Any) -> Any:
            module = original(*args, **kwargs)
            if len(sys.modules) != forbidden._modules_seen:
                forbidden.install()
            return module

        self._import = importing
        builtins.__import__ = importing

    def _learn_ops(self, dotted: str, original: Any) -> None:
        torch = sys.modules["torch"]
        learned: set[str] = set()
        for args in ((torch.zeros(2, 3),), (torch.zeros(2, 3), -1)):
            recorder = _operator_recorder(None, {})
            try:
                with recorder, warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    original(*args)
            except Exception:
                continue
            learned = {op for op in recorder.seen if op not in _PLUMBING}
            if learned:
                break
        for op in learned or {dotted.rsplit(".", 1)[-1]}:
            self.ops.setdefault(op, []).append(dotted)

    def _wrap(self, dotted: str, original: Any) -> Any:
        return _Recorded(original, dotted, self)


_SURVEYED: dict[str, Any] = {}


def survey(names: set[str]) -> dict[str, Any]:
    """In the supervisor (trusted, with the worker's imports): for each forbidden name it can
    resolve, the operators it runs (PyTorch) and every module attribute that refers to it
    (aliases), found once per worker. Names of packages not imported yet are left to the child."""
    found: dict[str, Any] = {}
    for dotted in sorted(names):
        if dotted not in _SURVEYED:
            owner, attr = _resolve(dotted)
            if owner is None:
                continue
            original = getattr(owner, attr)
            entry: dict[str, Any] = {"ops": [], "refs": []}
            if dotted.split(".")[0] == "torch":
                probe = Forbidden(set())
                probe._learn_ops(dotted, original)
                entry["ops"] = sorted(probe.ops)
            else:
                package = dotted.split(".")[0]
                for name, module in list(sys.modules.items()):
                    if name != package and not name.startswith(package + "."):
                        continue
                    namespace = getattr(module, "__dict__", None)
                    if isinstance(namespace, dict):
                        entry["refs"] += [[name, key] for key, value in list(namespace.items()) if value is original]
            _SURVEYED[dotted] = entry
        found[dotted] = _SURVEYED[dotted]
    return found


class _Recorded:
    """Calls `original`, noting the call while a probe forbidding it runs; everything else about
    it (a ufunc's `.outer`, `__name__`, `__doc__`) is the original's."""

    __slots__ = ("_original", "_dotted", "_forbidden")

    def __init__(self, original: Any, dotted: str, forbidden: Forbidden) -> None:
        self._original, self._dotted, self._forbidden = original, dotted, forbidden

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._dotted in self._forbidden.active:
            self._forbidden.used.add(self._dotted)
        return self._original(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._original, name)

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        """As a class's method (Tensor.backward), bind as the original binds; a ufunc stays as is."""
        binder = getattr(type(self._original), "__get__", None)
        if instance is None or binder is None:
            return self
        return _Recorded(binder(self._original, instance, owner), self._dotted, self._forbidden)

    def __repr__(self) -> str:
        return repr(self._original)


class _Nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


_RECORDER: Any = None


def warm() -> None:
    """Pay, once in the worker, what a dispatch mode's first use costs (its class, lazy imports),
    so a child that records operators does not."""
    torch = sys.modules.get("torch")
    if torch is not None:
        with _operator_recorder(None, {}):
            torch.zeros(1) + 1


def _operator_recorder(forbidden: Forbidden | None, wanted: dict[str, str]) -> Any:
    """A dispatch mode noting each ATen operator run under it (the class is made once)."""
    global _RECORDER
    if _RECORDER is None:
        from torch.utils._python_dispatch import TorchDispatchMode

        class Recorder(TorchDispatchMode):
            @classmethod
            def _should_skip_dynamo(cls) -> bool:
                return False  # never compiled: wrapping it for the compiler would import torch._dynamo (1.5 s)

            def __init__(self, forbidden: Forbidden | None, wanted: dict[str, str]) -> None:
                super().__init__()
                self.seen: set[str] = set()
                self.forbidden, self.wanted = forbidden, wanted

            def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
                name = _op_name(func)
                self.seen.add(name)
                if self.forbidden is not None and name in self.wanted:
                    self.forbidden.used.add(self.wanted[name])
                return func(*args, **(kwargs or {}))

        _RECORDER = Recorder
    return _RECORDER(forbidden, wanted)


def _op_name(func: Any) -> str:
    schema = getattr(func, "_schema", None)
    name = schema.name if schema is not None else str(func)
    return name.split("::", 1)[-1].rstrip("_")


def _resolve(dotted: str) -> tuple[Any, str]:
    parts = dotted.split(".")
    obj: Any = sys.modules.get(parts[0])
    for i, part in enumerate(parts[1:-1], start=1):
        if obj is None:
            return None, ""
        obj = getattr(obj, part, None) or sys.modules.get(".".join(parts[: i + 1]))
    if obj is None or not hasattr(obj, parts[-1]):
        return None, ""
    return obj, parts[-1]


def _replace(module: Any, swap: dict[int, Any]) -> None:
    namespace = getattr(module, "__dict__", None)
    if isinstance(namespace, dict):
        _replace_dict(namespace, swap)


def _replace_dict(namespace: dict[str, Any], swap: dict[int, Any]) -> None:
    for key, value in list(namespace.items()):
        if id(value) in swap:
            namespace[key] = swap[id(value)]


def _rebind_function(function: types.FunctionType, swap: dict[int, Any]) -> None:
    if function.__defaults__ and any(id(v) in swap for v in function.__defaults__):
        function.__defaults__ = tuple(swap.get(id(v), v) for v in function.__defaults__)
    if function.__kwdefaults__:
        _replace_dict(function.__kwdefaults__, swap)
    for cell in function.__closure__ or ():
        try:
            if id(cell.cell_contents) in swap:
                cell.cell_contents = swap[id(cell.cell_contents)]
        except ValueError:  # an empty cell
            pass
