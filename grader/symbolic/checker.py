"""Check one answer in this process: read it, run the layers, explain the verdict.

This is the pure variant, meant to run inside the bounded child of ``bounded.py`` (that is what
:func:`grader.symbolic.check_answer` does). Reading Python-syntax answers is safe anywhere (no
eval, capped sizes), but sympy's own work and the LaTeX parser have no hard bound here.
"""

from __future__ import annotations

from typing import Final

from .compiled import CompiledSpec, compile_spec
from .equivalence import check_breakpoints, compare_values, structural_equal, symbolic_zero
from .errors import AnswerFormatError
from .feedback import breakpoint_verdict, correct, diagnose, invalid, undetermined
from .limits import BudgetExceeded, soft_budget
from .numeric import MIN_VALID, evaluate_all
from .parse import ParsedAnswer, parse_python
from .spec import DerivationSpec
from .trial import Seed, new_trial
from .verdict import Layer, Verdict

__all__ = ["DIAGNOSE_BUDGET_S", "NUMERIC_BUDGET_S", "READ_BUDGET_S", "check_answer_in_process", "read_answer"]

READ_BUDGET_S: Final = 3.0
NUMERIC_BUDGET_S: Final = 4.0
DIAGNOSE_BUDGET_S: Final = 3.0
"""Soft budgets of the layers (the symbolic one has its own); together they stay inside one
answer's hard budget (``api.DEFAULT_LIMITS``), so an answer that uses them up still gets a verdict
that says which step ran out of time."""


def read_answer(spec: DerivationSpec, text: str, *, latex: bool = False) -> ParsedAnswer:
    """Read an answer with the spec's vocabulary; raise :class:`AnswerFormatError` if refused.

    With ``latex=True`` this runs sympy's LaTeX parser: call it in a bounded child only.
    """
    cspec = compile_spec(spec)
    if latex:
        from .latex import latex_to_python  # the ANTLR runtime is only needed for LaTeX

        python_text = latex_to_python(text, cspec.vocab)
        try:
            return parse_python(python_text, cspec.vocab)
        except AnswerFormatError as exc:
            raise AnswerFormatError(
                f"{exc.message['es']}; el LaTeX se leyó como «{python_text}»",
                f"{exc.message['en']}; the LaTeX was read as '{python_text}'",
                code=exc.code,
            ) from None
    return parse_python(text, cspec.vocab)


def check_answer_in_process(spec: DerivationSpec, text: str, *, latex: bool = False,
                            seed: Seed | None = None) -> Verdict:
    """Judge ``text`` against ``spec`` here, with soft time budgets only, at points drawn from
    ``seed`` (a fresh random one by default: see ``trial.py``).

    Raises :class:`SpecError` when the spec itself is broken; every problem of the answer is a
    verdict (``invalid`` / ``undetermined``), never an exception.
    """
    cspec = compile_spec(spec)
    try:
        with soft_budget(READ_BUDGET_S):
            parsed = read_answer(spec, text, latex=latex)
    except AnswerFormatError as exc:
        return invalid(exc.message)
    except (BudgetExceeded, RecursionError, MemoryError):
        return invalid({"es": "leerla llevó demasiado tiempo; escríbela de forma más sencilla",
                        "en": "reading it took too long; write it more simply"})
    try:
        return _judge(cspec, parsed, seed)
    except (BudgetExceeded, RecursionError, MemoryError):
        return undetermined("limits", "se agotó el tiempo o la memoria al comprobarla",
                            "time or memory ran out while checking it", parsed.read_as)


def _judge(cspec: CompiledSpec, parsed: ParsedAnswer, seed: Seed | None) -> Verdict:
    spec = cspec.spec
    student, read_as = parsed.expr, parsed.read_as
    if structural_equal(student, cspec.expected):
        # The expected answer itself (after sympy's canonical form): nothing to evaluate, and
        # at a breakpoint it is what the task's convention was written for.
        return correct(cspec, "structural", read_as)
    with soft_budget(NUMERIC_BUDGET_S):
        trial = new_trial(cspec, student, seed)
        yours = evaluate_all(student, trial.samples)
    outcome = compare_values(yours, trial.expected_values, spec.rtol, spec.atol)
    needed = min(MIN_VALID, len(trial.samples.points))
    layer: Layer | None = None
    # Layers in order: structural (above), symbolic, numeric. The values are computed first
    # (they are cheap and bounded) so that the symbolic layer, which can only ever prove
    # equality, is not run on answers the numbers already show to differ.
    if spec.kind == "expression" and (outcome.agree or outcome.valid < needed) and not (
        spec.breakpoints
    ) and symbolic_zero(student, cspec.expected):
        layer = "symbolic"
    elif outcome.valid < needed:
        return undetermined(
            "numeric",
            f"la respuesta esperada solo está definida en {outcome.valid} de los puntos de prueba",
            f"the expected answer is defined at only {outcome.valid} of the test points",
            read_as,
            ("no hubo puntos de prueba suficientes; consulta al profesorado",
             "there were not enough test points; ask your instructor"),
        )
    elif outcome.agree:
        layer = "numeric"
    if layer is None:
        with soft_budget(DIAGNOSE_BUDGET_S):
            return diagnose(trial, student, yours, outcome, read_as)
    if spec.breakpoints:
        failure = check_breakpoints(student, trial.samples, spec.rtol, spec.atol)
        if failure is not None:
            return breakpoint_verdict(cspec, failure, read_as)
        if layer == "numeric":
            layer = "piecewise"
    return correct(cspec, layer, read_as, outcome.valid)
