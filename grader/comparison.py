"""The comparison of a batch's submissions (`grader.similarity`) in a process of its own, run
while the batch is graded: `Background` starts it and streams it the works, one JSON line each,
and reads back its findings; `python -m grader.comparison BUDGET` is that process.

Grading waits for the findings at most the budget plus WAIT_SECONDS; then it asks the process to
stop (SIGTERM), and the process answers with what it compared, marked partial; a process that
does not answer within STOP_SECONDS more is killed and the findings say nothing was compared.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from .similarity import (
    BUDGET_SECONDS,
    MAX_NOTES,
    Comparer,
    Findings,
    Work,
    stop,
    template_of,
)

WAIT_SECONDS = 15.0  # how long grading waits for it beyond its budget before asking it to stop
STOP_SECONDS = 5.0  # how long a process asked to stop has to answer before it is killed


class Background:
    """Similarity of a batch computed in a separate process while the batch is graded. The works
    are streamed to it one line each; it answers with its findings, within its budget."""

    def __init__(self, groups: list[tuple[list[Work], Path | None]], budget: float = BUDGET_SECONDS) -> None:
        self.groups = [(works, folder) for works, folder in groups if works]
        self.budget = budget
        self.proc: subprocess.Popen[bytes] | None = None
        self.error = ""
        self._output: tuple[bytes, bytes] = (b"", b"")
        self._submitted = sum(len(works) for works, _ in self.groups)
        if not self.groups:
            return
        self.proc = subprocess.Popen([sys.executable, "-m", "grader.comparison", str(budget)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        # The exchange runs on a thread, so the process starts work now and no pipe fills up.
        self._thread = threading.Thread(target=self._talk, daemon=True)
        self._thread.start()

    def _lines(self) -> Iterator[bytes]:
        for works, folder in self.groups:
            yield json.dumps({"folder": str(folder) if folder else None}).encode() + b"\n"
            for w in works:
                yield json.dumps({"work": [w.student, w.code, [list(t) for t in w.texts], list(w.cut)]}).encode() + b"\n"

    def _talk(self) -> None:
        proc = self.proc
        assert proc is not None and proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        errors: list[bytes] = []
        # Both answers are read while the works are written, so that no pipe fills up.
        reader = threading.Thread(target=lambda: errors.append(proc.stderr.read()), daemon=True)  # type: ignore[union-attr]
        reader.start()
        output: list[bytes] = []
        answer = threading.Thread(target=lambda: output.append(proc.stdout.read()), daemon=True)  # type: ignore[union-attr]
        answer.start()
        try:
            for line in self._lines():
                proc.stdin.write(line)
            proc.stdin.close()
        except (BrokenPipeError, OSError):
            pass  # the process ended early: its exit status and stderr say why
        answer.join()
        reader.join()
        proc.wait()
        self._output = (b"".join(output), b"".join(errors))

    def result(self, wait: float = WAIT_SECONDS) -> Findings:
        """The findings. A process still running `budget + wait` seconds after this is called is
        asked to stop and answers with what it compared (marked partial); one that does not answer
        within STOP_SECONDS more is killed, and the findings say that nothing was compared."""
        if self.proc is None:
            return Findings()
        self._thread.join(self.budget + wait)
        if self._thread.is_alive():
            # Asked to stop, the process answers with what it compared so far.
            self.proc.terminate()
            self._thread.join(STOP_SECONDS)
        if self._thread.is_alive():
            self.proc.kill()
            self._thread.join(5)
            self.error = f"stopped after {self.budget + wait + STOP_SECONDS:.0f} s without an answer"
            return self._failed("the comparison did not finish in time and was stopped")
        out, err = self._output
        try:
            if self.proc.returncode != 0:
                raise ValueError(err.decode("utf-8", "replace")[-2000:])
            return Findings.from_json(json.loads(out))
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            self.error = str(exc)[-2000:] or f"exit status {self.proc.returncode}"
            return self._failed("the comparison failed (see grader.log)")

    def _failed(self, why: str) -> Findings:
        return Findings((), True, (why,), 0, self._submitted)


def main(argv: list[str]) -> int:
    budget = float(argv[0]) if argv else BUDGET_SECONDS
    signal.signal(signal.SIGTERM, lambda *_: stop())
    start = time.process_time()
    found: list[Findings] = []
    comparer: Comparer | None = None
    for line in sys.stdin.buffer:
        item = json.loads(line)
        if "folder" in item:
            if comparer is not None:
                found.append(comparer.findings())
            code, prose = template_of(Path(item["folder"])) if item["folder"] else ("", ())
            comparer = Comparer(code, prose, max(0.0, budget - (time.process_time() - start)))
        elif comparer is not None:
            student, code, texts, cut = item["work"]
            comparer.add(Work(student, code, tuple((k, t) for k, t in texts), tuple(cut)))
    if comparer is not None:
        found.append(comparer.findings())
    merged = Findings(tuple(g for f in found for g in f.groups), any(f.partial for f in found),
                      tuple(n for f in found for n in f.notes)[:MAX_NOTES], sum(f.compared for f in found),
                      sum(f.submitted for f in found))
    json.dump(merged.to_json(), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
