"""Public entry points. Importing this module stays light: sympy is imported on first use."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Final

from .bounded import BoundedResult, Limits, run_bounded, run_each
from .spec import DerivationSpec
from .verdict import Verdict, VerdictDecodeError

if TYPE_CHECKING:
    from .parse import ParsedAnswer
    from .trial import Seed

__all__ = [
    "DEFAULT_LIMITS",
    "check_answer",
    "check_answer_in_process",
    "check_answers",
    "default_parallel",
    "latex_available",
    "prepare",
    "read_answer",
]

DEFAULT_LIMITS: Final = Limits(wall_s=16.0, cpu_s=13)
"""The budget of one answer: enough for the soft budgets of its layers, which come first."""

_FAILURE_TEXT: Final = {
    "timeout": ("se superó el tiempo máximo", "the time limit was exceeded"),
    "cpu": ("se superó el tiempo de CPU máximo", "the CPU time limit was exceeded"),
    "memory": ("se superó la memoria máxima", "the memory limit was exceeded"),
    "output": ("el resultado era demasiado grande", "the result was too large"),
}


_WARM: Final[set[str]] = set()


def prepare(spec: DerivationSpec, *, latex: bool = False, seed: Seed | None = None) -> None:
    """Compile ``spec`` (and warm the LaTeX parser, and work out the batch's points of ``seed``)
    in this process, so that every forked check starts with the work done. Raises
    :class:`SpecError` for a broken spec. Idempotent."""
    from .compiled import compile_spec
    from .trial import warm

    cspec = compile_spec(spec)
    warm(cspec, seed)
    key = repr(spec)
    if key not in _WARM:
        # Check the spec's own answers once here: sympy's caches and the modules it loads on
        # first use are then warm in every child forked for a student's answer.
        _WARM.add(key)
        for text in (spec.expected, *(m.answer for m in spec.misconceptions[:1])):
            check_answer_in_process(spec, text, seed=0)
    if latex:
        from .latex import warm_up

        warm_up()


def check_answer_in_process(spec: DerivationSpec, text: str, *, latex: bool = False,
                            seed: Seed | None = None) -> Verdict:
    """Judge an answer in this process (soft time budgets only); see :func:`check_answer`.

    Meant for code that already runs in a bounded child, and for tests of pure cases.
    """
    from .checker import check_answer_in_process as run

    return run(spec, text, latex=latex, seed=seed)


def read_answer(spec: DerivationSpec, text: str, *, latex: bool = False) -> ParsedAnswer:
    """How an answer reads with the spec's names (``.expr``, ``.read_as``), in this process.

    Raises :class:`AnswerFormatError` when refused. Python syntax is safe to read anywhere;
    with ``latex=True`` sympy's LaTeX parser runs here, so do that in a bounded child only.
    """
    from .checker import read_answer as run

    return run(spec, text, latex=latex)


def _limits_verdict(result: BoundedResult) -> Verdict:
    es, en = _FAILURE_TEXT.get(
        result.failure or "", ("la comprobación falló", "the check failed")
    )
    return Verdict(
        status="undetermined",
        decided_by="limits",
        message={
            "es": f"No se pudo decidir: {es} al comprobar la respuesta; escríbela de forma más "
                  "sencilla o consulta al profesorado.",
            "en": f"Could not be decided: {en} while checking the answer; write it in a simpler "
                  "form or ask your instructor.",
        },
    )


def _not_text() -> Verdict:
    return Verdict(
        status="invalid",
        decided_by="parse",
        message={"es": "No se pudo leer la respuesta: debe ser un texto.",
                 "en": "The answer could not be read: it must be text."},
    )


def check_answer(
    spec: DerivationSpec, text: str, *, latex: bool = False, limits: Limits = DEFAULT_LIMITS,
    seed: Seed | None = None,
) -> Verdict:
    """Judge one answer (Python syntax, or LaTeX with ``latex=True``) against ``spec``.

    The work runs in a forked child with hard memory, CPU and wall-clock limits; the verdict
    comes back as JSON. Student problems are verdicts (``invalid``, ``undetermined``); only a
    broken spec raises (:class:`SpecError`, from the parent, before any child starts). The
    points come from ``seed``: keep it secret (without one, a fresh random seed is drawn).
    """
    if not isinstance(text, str):
        return _not_text()
    prepare(spec, latex=latex, seed=seed)
    return _decoded(run_bounded(_judge_one(spec, text, latex, seed), limits))


def check_answers(
    items: Sequence[tuple[DerivationSpec, str, bool]], *, limits: Limits = DEFAULT_LIMITS,
    parallel: int | None = None, seeds: Sequence[Seed | None] | None = None,
) -> list[Verdict]:
    """Judge several ``(spec, text, latex)`` answers, e.g. all the answers of one notebook.

    Each answer is judged in a forked child of its own, under the whole of ``limits`` (never a
    share of them, never a multiple), ``parallel`` at a time (default :func:`default_parallel`):
    an answer that uses up its budget costs that budget once and changes no other verdict.
    ``seeds`` gives each answer's points (see :func:`check_answer`).
    """
    if not items:
        return []
    chosen = list(seeds) if seeds is not None else [None] * len(items)
    for (spec, text, latex), seed in zip(items, chosen):
        if isinstance(text, str):
            prepare(spec, latex=latex, seed=seed)
    results = run_each([_judge_one(spec, text, latex, seed) for (spec, text, latex), seed in zip(items, chosen)],
                       limits, parallel=parallel or default_parallel())
    return [_decoded(result) for result in results]


def default_parallel() -> int:
    """Answers judged at once: the cores there are, at least two (so that one answer that uses up
    its budget does not hold the others back) and at most four (each child may use its memory)."""
    return max(2, min(os.cpu_count() or 1, 4))


def _judge_one(spec: DerivationSpec, text: object, latex: bool, seed: Seed | None) -> Callable[[], object]:
    if not isinstance(text, str):
        return lambda: _not_text().to_json()
    return lambda: check_answer_in_process(spec, text, latex=latex, seed=seed).to_json()


def _decoded(result: BoundedResult) -> Verdict:
    if not result.ok:
        return _limits_verdict(result)
    try:
        return Verdict.from_json(result.value)
    except VerdictDecodeError:
        return _limits_verdict(BoundedResult(failure="decode"))


def latex_available() -> bool:
    """Whether sympy's LaTeX parser can run here (it needs ``antlr4-python3-runtime`` 4.11)."""
    from .latex import latex_available as available

    return available()
