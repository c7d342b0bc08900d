"""Symbolic checking of derivations: read an answer safely, decide equivalence in layers, and
explain the verdict in Spanish and English.

Typical use::

    from grader.symbolic import check_answer
    verdict = check_answer(spec, "sigma(x)*(1 - sigma(x))")
    verdict.status, verdict.decided_by, verdict.text("es"), verdict.read_as

Importing this package does not import sympy (it is imported on the first check).
"""

from .api import (
    DEFAULT_LIMITS,
    check_answer,
    check_answer_in_process,
    check_answers,
    latex_available,
    prepare,
    read_answer,
)
from .bounded import BoundedResult, Limits, run_bounded
from .errors import AnswerFormatError, SpecError
from .spec import (
    AnswerKind,
    Bilingual,
    Breakpoint,
    Choice,
    Definition,
    DerivationSpec,
    Domain,
    Interval,
    Misconception,
    Sym,
)
from .verdict import Layer, Status, Verdict, VerdictDecodeError, Witness

__all__ = [
    # checking
    "check_answer",
    "check_answers",
    "check_answer_in_process",
    "read_answer",
    "prepare",
    "latex_available",
    "DEFAULT_LIMITS",
    # specs
    "DerivationSpec",
    "Sym",
    "Interval",
    "Choice",
    "Domain",
    "Definition",
    "Breakpoint",
    "Misconception",
    "AnswerKind",
    "Bilingual",
    # verdicts
    "Verdict",
    "Witness",
    "Status",
    "Layer",
    "VerdictDecodeError",
    # errors
    "AnswerFormatError",
    "SpecError",
    # bounded execution
    "run_bounded",
    "Limits",
    "BoundedResult",
]
