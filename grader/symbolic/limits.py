"""Soft time budgets for the layers that call into sympy.

A ``SIGALRM`` interrupts Python only between bytecodes and only on the main thread, so this is a
budget, not a bound: the hard bound is the child process of ``bounded.py``. Outside the main
thread the budget is not enforced (there is no portable way), which is one more reason to run
checks through :func:`grader.symbolic.check_answer`.
"""

from __future__ import annotations

import signal
import threading
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
    """Raise :class:`BudgetExceeded` inside the block once ``seconds`` of wall time have passed."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
