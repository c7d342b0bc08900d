"""The trusted run: the instructor's solution notebook, executed once, recording every test.

`record(plan, files, timeout)` runs `python -m grader.importers.trusted` in a process of its own,
in a scratch folder that holds the exercise's support files (as a student's notebook sees them),
and reads back what it recorded. That process runs the notebook's cells top to bottom; at each
test cell it runs the test statement by statement through a `TestRecorder`, which records the
student's calls, the solution's values and the judgments. The expected values therefore come
from running the instructor's solution, never from a student's process. At the end it replays
every test as grading will (after the whole notebook, in order) to find tests that only hold
where they stand.

It is the instructor's own code, as trusted as running the notebook in Jupyter; it runs apart
from the importing process so that the notebook's imports, plots, working directory and globals
stay out of the grader.
"""

from __future__ import annotations

import ast
import builtins
import copy
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..sandbox.magics import neutralise
from .names import Instrument, parse, static_locals, why_whole
from .probes import REPLAY, RUN, as_seen, for_child, script_function, snapshot_function
from .split import SolutionFails, Unconvertible
from .steps import TestRecorder
from .store import Store

PARTS = ("public", "all")


class _NoIPython:
    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


def _public(line: int, hidden: list[list[int]]) -> bool:
    return not any(first <= line <= last for first, last in hidden)


def _text(source: str, stmt: ast.stmt) -> str:
    segment = ast.get_source_segment(source, stmt) or ast.unparse(stmt)
    first = segment.strip().split("\n")
    return first[0][:200] + (" …" if len(first) > 1 or len(first[0]) > 200 else "")


def _program(rec: TestRecorder, public_only: bool, store: Store) -> dict[str, Any]:
    keep = (lambda flag: bool(flag)) if public_only else (lambda flag: True)
    snapshot = snapshot_function()
    events = [e[:3] for e in rec.events if keep(e[3])]
    made = {target for e in events if e[0] == "exec" for target in e[2].split(" = ")[0].replace(",", " ").split()}
    events += [["bind", part.name, name] for name, part in rec.locals.items()
               if part.role == "core" and part.name in made]
    calls = [text for text, flag in rec.calls if keep(flag)]
    return {
        "calls": "; ".join(dict.fromkeys(calls))[:300],
        "events": events,
        "child": {k: store.put(snapshot(v)) for k, (v, flag) in rec.child_values.items() if keep(flag)},
        "parent": {k: store.put(snapshot(v)) for k, (v, flag) in rec.parent_values.items() if keep(flag)},
        "spec": {"snaps": [e[2] for e in events if e[0] == "snap"],
                 "judgments": [{k: v for k, v in j.items() if k != "public"} for j in rec.judgments
                               if keep(j["public"])]},
    }


class Run:
    """The solution's run: the namespace, and what each test cell left."""

    def __init__(self, plan: dict[str, Any]) -> None:
        self.plan = plan
        self.ns: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
        builtins.display = lambda *args, **kwargs: None  # type: ignore[attr-defined]
        builtins.get_ipython = lambda: _NoIPython()  # type: ignore[attr-defined]
        self.student = set(plan["student"])
        self.exported: set[str] = set()
        self.store = Store()
        self.cells: list[dict[str, Any]] = []
        self.tests: dict[str, dict[str, Any]] = {}
        self.slowest = 0.0  # seconds of the slowest cell or test: what the exercise's limits must allow

    def run(self) -> dict[str, Any]:
        started = time.perf_counter()
        for index, cell in enumerate(self.plan["cells"]):
            clean = neutralise(cell["source"])
            if clean.skipped:
                continue
            began = time.perf_counter()
            if cell["kind"] == "test":
                self.test(cell, clean.source)
            else:
                try:
                    exec(compile(clean.source, f"<cell {index + 1}>", "exec"), self.ns)  # noqa: S102
                except BaseException as exc:  # noqa: BLE001 (a broken solution cell is reported, the run goes on)
                    self.cells.append({"cell": index + 1, "error": f"{type(exc).__name__}: {exc}"[:500]})
            self.slowest = max(self.slowest, time.perf_counter() - began)
        end = self.replay()
        return {"cells": self.cells, "tests": self.tests, "end": end, "blobs": self.store.dump(),
                "seconds": {"slowest": self.slowest, "total": time.perf_counter() - started}}

    def test(self, cell: dict[str, Any], source: str) -> None:
        key, hidden, started = cell["key"], cell.get("hidden", []), time.perf_counter()
        entry: dict[str, Any] = {"whole": None, "fails": None, "programs": {}, "calls": ""}
        self.tests[key] = entry
        tree = parse(source)
        why = "the cell is not valid Python" if tree is None else why_whole(tree, self.student | self.exported)
        if tree is None or why is not None:
            entry["whole"] = why
            self._as_is(entry, source, tree, bool(cell.get("output")))
            entry["seconds"] = time.perf_counter() - started
            return
        work = copy.deepcopy(tree)
        last = work.body[-1] if cell.get("output") and work.body and isinstance(work.body[-1], ast.Expr) else None
        instrument = Instrument()
        work = ast.fix_missing_locations(instrument.visit(work))
        recorder = TestRecorder(self.ns, self.student, self.exported)

        def step(k: int) -> None:
            stmt = instrument.steps[k]
            if entry["whole"] is None:
                try:
                    recorder.step(stmt, _public(stmt.lineno, hidden), _text(source, stmt), output=stmt is last)
                    return
                except Unconvertible as exc:
                    entry["whole"] = str(exc)
            if stmt is last:
                value = eval(compile(ast.fix_missing_locations(ast.Expression(stmt.value)), "<test>", "eval"),  # type: ignore[attr-defined]
                             self.ns)
                entry["want"] = "" if value is None else repr(value)
                return
            exec(compile(ast.fix_missing_locations(ast.Module([stmt], [])), "<test>", "exec"), self.ns)  # noqa: S102

        self.ns["__grader_step__"] = step
        try:
            exec(compile(work, "<test>", "exec"), self.ns)  # noqa: S102
        except SolutionFails as exc:
            entry["fails"] = str(exc)
        except BaseException as exc:  # noqa: BLE001
            entry["fails"] = f"{type(exc).__name__}: {exc}"[:500]
        finally:
            self.ns.pop("__grader_step__", None)
        entry["seconds"] = time.perf_counter() - started
        if entry["whole"] is None and entry["fails"] is None:
            parts = PARTS if hidden else ("all",)
            entry["programs"] = {part: _program(recorder, part == "public", self.store) for part in parts}
            self.exported |= {name for name, part in recorder.locals.items() if part.role != "sf"}
        else:
            self.exported |= static_locals(tree, self.student)

    def _as_is(self, entry: dict[str, Any], source: str, tree: ast.Module | None, output: bool) -> None:
        """Run a test cell as it is; for an otter test case, keep what its last line shows."""
        try:
            last = tree.body[-1] if output and tree is not None and tree.body else None
            if isinstance(last, ast.Expr):
                assert tree is not None
                exec(compile(ast.Module(tree.body[:-1], []), "<test>", "exec"), self.ns)  # noqa: S102
                value = eval(compile(ast.Expression(last.value), "<test>", "eval"), self.ns)
                entry["want"] = "" if value is None else repr(value)
            else:
                exec(compile(source, "<test>", "exec"), self.ns)  # noqa: S102
        except BaseException as exc:  # noqa: BLE001
            entry["fails"] = f"{type(exc).__name__}: {exc}"[:500]
        if tree is not None:
            self.exported |= static_locals(tree, self.student)

    def replay(self) -> dict[str, dict[str, str | None]]:
        """Every test as grading runs it, after the whole notebook: what fails there."""
        from .judge import judge

        replay, run = script_function(REPLAY, "probe"), script_function(RUN, "probe")
        found: dict[str, dict[str, str | None]] = {}
        for cell in self.plan["cells"]:
            if cell["kind"] != "test":
                continue
            entry = self.tests.get(cell["key"], {})
            parts = PARTS if cell.get("hidden") else ("all",)
            found[cell["key"]] = {}
            for part in parts:
                problem = None
                try:
                    if entry.get("programs"):
                        program = entry["programs"][part]
                        values = {k: for_child(self.store.get(v)) for k, v in program["child"].items()}
                        shots = [as_seen(s) for s in replay(self.ns, program["events"], values)]
                        env = {k: as_seen(self.store.get(v)) for k, v in program["parent"].items()}
                        env.update(zip(program["spec"]["snaps"], shots))
                        judgments = program["spec"]["judgments"]
                        for i, judgment in enumerate(judgments):
                            failure = judge(judgment, env, i, len(judgments))
                            if failure is not None:
                                problem = (failure.detail or failure.summary)("en")
                                break
                    else:
                        source = cell["public"] if part == "public" else cell["source"]
                        run(self.ns, neutralise(source).source, "<test>", True, entry.get("want"))
                except BaseException as exc:  # noqa: BLE001
                    problem = f"{type(exc).__name__}: {exc}"[:500]
                found[cell["key"]][part] = problem
        return found


def record(plan: dict[str, Any], files: Path | None, timeout: float) -> dict[str, Any]:
    """Run the solution notebook of `plan` in a process of its own; what it recorded, values decoded."""
    with tempfile.TemporaryDirectory(prefix="grader-import-") as tmp:
        root = Path(tmp)
        work = root / "work"
        work.mkdir()
        if files is not None and files.is_dir():
            for entry in files.iterdir():
                os.symlink(entry.resolve(), work / entry.name)
        (root / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
        package_root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ, MPLBACKEND="Agg", PYTHONHASHSEED="0",
                   PYTHONPATH=os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH", "")) if p))
        log = root / "output.log"
        with open(log, "wb") as out:
            try:
                done = subprocess.run([sys.executable, "-m", "grader.importers.trusted", str(root / "plan.json"),
                                       str(root / "recorded.json")], cwd=work, stdout=out, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, env=env, timeout=timeout, check=False)
            except subprocess.TimeoutExpired:
                raise InputError(f"the solution did not finish within {timeout:g} s (give more with --timeout)",
                                 plan["notebook"]) from None
        if done.returncode != 0 or not (root / "recorded.json").is_file():
            tail = log.read_text(encoding="utf-8", errors="replace")[-1500:]
            raise InputError(f"running the solution failed (exit status {done.returncode}):\n{tail}", plan["notebook"])
        return json.loads((root / "recorded.json").read_text(encoding="utf-8"))


def main(argv: list[str]) -> int:
    plan = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    sys.path.insert(0, os.getcwd())
    result = Run(plan).run()
    Path(argv[1]).write_text(json.dumps(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
