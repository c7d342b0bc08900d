"""Soft time budgets for the layers that call into sympy.

A ``SIGALRM`` interrupts Python only between bytecodes and only on the main thread, so this is a
budget, not a bound: the hard bound is the child process of ``bounded.py``. Outside the main
thread the budget is not enforced (there is no portable way), which is one more reason to run
checks through :func:`grader.symbolic.check_answer`.
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
    """Raise :class:`BudgetExceeded` inside the block once ``seconds`` of wall time have passed.

    Budgets nest: an inner one never outlasts the one around it, and the outer one's clock keeps
    running while the inner one is in force.
    """
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return
    outer_left, _ = signal.getitimer(signal.ITIMER_REAL)
    started = time.monotonic()
    previous = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, min(seconds, outer_left) if outer_left > 0 else seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer_left > 0:
            # A spent outer budget fires at once (a timer of 0 would mean "no timer").
            signal.setitimer(signal.ITIMER_REAL, max(outer_left - (time.monotonic() - started), 1e-6))
