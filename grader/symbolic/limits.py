"""Soft time budgets for the layers that call into sympy.

The budgets count processor time (``ITIMER_PROF``), not the clock: a machine busy with other
work must not turn a right answer into "undetermined", and sympy's work is all computation. A
signal interrupts Python only between bytecodes and only on the main thread, so this is a
budget, not a bound: the hard bound (wall clock and processor time) is the child process of
``bounded.py``. Outside the main thread the budget is not enforced (there is no portable way),
which is one more reason to run checks through :func:`grader.symbolic.check_answer`.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

__all__ = ["BudgetExceeded", "soft_budget"]


class BudgetExceeded(Exception):
    """A layer used up its time budget."""


def _raise(signum: int, frame: FrameType | None) -> None:
    raise BudgetExceeded()


@contextmanager
def soft_budget(seconds: float) -> Iterator[None]:
    """Raise :class:`BudgetExceeded` inside the block once it has used ``seconds`` of processor time.

    Budgets nest: an inner one never outlasts the one around it, and the outer one's clock keeps
    running while the inner one is in force.
    """
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return
    outer_left, _ = signal.getitimer(signal.ITIMER_PROF)
    started = time.process_time()
    previous = signal.signal(signal.SIGPROF, _raise)
    signal.setitimer(signal.ITIMER_PROF, min(seconds, outer_left) if outer_left > 0 else seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)
        if outer_left > 0:
            # A spent outer budget fires at once (a timer of 0 would mean "no timer").
            signal.setitimer(signal.ITIMER_PROF, max(outer_left - (time.process_time() - started), 1e-6))
