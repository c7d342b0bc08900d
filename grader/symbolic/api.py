"""Public entry points. Importing this module stays light: sympy is imported on first use."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from .bounded import BoundedResult, Limits, run_bounded
from .spec import DerivationSpec
from .verdict import Verdict, VerdictDecodeError

if TYPE_CHECKING:
    from .parse import ParsedAnswer

__all__ = [
    "DEFAULT_LIMITS",
    "check_answer",
    "check_answers",
    "check_answer_in_process",
    "read_answer",
    "prepare",
    "latex_available",
]

DEFAULT_LIMITS: Final = Limits()

_FAILURE_TEXT: Final = {
    "timeout": ("se superó el tiempo máximo", "the time limit was exceeded"),
    "cpu": ("se superó el tiempo de CPU máximo", "the CPU time limit was exceeded"),
    "memory": ("se superó la memoria máxima", "the memory limit was exceeded"),
    "output": ("el resultado era demasiado grande", "the result was too large"),
}


def prepare(spec: DerivationSpec, *, latex: bool = False) -> None:
    """Compile ``spec`` (and warm the LaTeX parser) in this process, so that every forked check
    starts with the work done. Raises :class:`SpecError` for a broken spec. Idempotent."""
    from .compiled import compile_spec

    compile_spec(spec)
    if latex:
        from .latex import warm_up

        warm_up()


def check_answer_in_process(spec: DerivationSpec, text: str, *, latex: bool = False) -> Verdict:
    """Judge an answer in this process (soft time budgets only); see :func:`check_answer`.

    Meant for code that already runs in a bounded child, and for tests of pure cases.
    """
    from .checker import check_answer_in_process as run

    return run(spec, text, latex=latex)


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
    spec: DerivationSpec, text: str, *, latex: bool = False, limits: Limits = DEFAULT_LIMITS
) -> Verdict:
    """Judge one answer (Python syntax, or LaTeX with ``latex=True``) against ``spec``.

    The work runs in a forked child with hard memory, CPU and wall-clock limits; the verdict
    comes back as JSON. Student problems are verdicts (``invalid``, ``undetermined``); only a
    broken spec raises (:class:`SpecError`, from the parent, before any child starts).
    """
    if not isinstance(text, str):
        return _not_text()
    prepare(spec, latex=latex)
    result = run_bounded(lambda: check_answer_in_process(spec, text, latex=latex).to_json(), limits)
    if not result.ok:
        return _limits_verdict(result)
    try:
        return Verdict.from_json(result.value)
    except VerdictDecodeError:
        return _limits_verdict(BoundedResult(failure="decode"))


def check_answers(
    items: Sequence[tuple[DerivationSpec, str, bool]], *, limits: Limits = DEFAULT_LIMITS
) -> list[Verdict]:
    """Judge several ``(spec, text, latex)`` answers, e.g. all the answers of one notebook.

    They are first judged together in one bounded child (``limits`` scaled by their number);
    if that child fails, each answer is judged again in its own child, so that one answer that
    exhausts the limits cannot cost the others their verdicts.
    """
    if not items:
        return []
    for spec, text, latex in items:
        if isinstance(text, str):
            prepare(spec, latex=latex)
    n = len(items)
    batch_limits = Limits(
        wall_s=limits.wall_s * n, cpu_s=limits.cpu_s * n, memory_bytes=limits.memory_bytes,
        max_output=limits.max_output * n,
    )

    def batch() -> list[object]:
        return [
            check_answer_in_process(spec, text, latex=latex).to_json()
            if isinstance(text, str) else _not_text().to_json()
            for spec, text, latex in items
        ]

    result = run_bounded(batch, batch_limits)
    if result.ok and isinstance(result.value, list) and len(result.value) == n:
        try:
            return [Verdict.from_json(v) for v in result.value]
        except VerdictDecodeError:
            pass
    return [check_answer(spec, text, latex=latex, limits=limits) for spec, text, latex in items]


def latex_available() -> bool:
    """Whether sympy's LaTeX parser can run here (it needs ``antlr4-python3-runtime`` 4.11)."""
    from .latex import latex_available as available

    return available()
