"""Hostile and pathological input: refused, in bounded time and memory, with no side effect."""

from __future__ import annotations

import os
import resource
import time
from pathlib import Path

import pytest

from grader.symbolic import (
    AnswerFormatError,
    DerivationSpec,
    Limits,
    check_answer,
    check_answer_in_process,
    check_answers,
    read_answer,
    run_bounded,
)

HOSTILE = [
    "__import__('os').system('touch {marker}')",
    "__import__(\"os\").system(\"touch {marker}\")",
    "open('{marker}', 'w').write('x')",
    "exec(\"open('{marker}','w')\")",
    "eval('1')",
    "x.__class__.__mro__",
    "().__class__.__base__.__subclasses__()",
    "sigma.__globals__",
    "getattr(x, 'real')",
    "os.system('touch {marker}')",
    "lambda: 0",
    "(lambda q: q)(x)",
    "[c for c in ()]",
    "{{1: 2}}",
    "f\"{{x}}\"",
    "(y := 3)",
    "x if (z := 1) else 0",
    "globals()",
    "breakpoint()",
    "sympify('x')",
    "x; import os",
    "x # comment",
    "x\u202e + 1",
    "x\u200b",
    "9**9**9**9",
    "x**(9**9**9)",
    "1e999",
    "10**400",
    "2**-100000",
    "exp(10**6)",
    "x**100000",
    "9**-(9**9)",
    "(" * 10_000 + "x" + ")" * 10_000,
    "(" * 29 + "x" + ")" * 29 + "*" + "(" * 31 + "x" + ")" * 31,
    "-" * 100_000 + "x",
    "x" * 1_000_000,
    "+".join(["x"] * 240),
    "-" * 300 + "x",
]

LATEX_HOSTILE = [
    r"\input{/etc/passwd}",
    r"\include{x}",
    r"\write18{touch {marker}}",
    r"\immediate\write18{touch {marker}}",
    r"\def\x{y}\x",
    r"\newcommand{\x}{y}",
    r"\catcode`\^=7",
    r"9^{9^{9^{9}}}",
    r"x^{9^{9^{9}}}",
    r"\int_0^1 x\,dx",
    r"\sum_{i=1}^{10^{10}} i",
    r"\lim_{x \to 0} x",
    "{" * 5000 + "x" + "}" * 5000,
    r"\frac{1}{" * 200 + "x" + "}" * 200,
]


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    return tmp_path / "MARKER"


@pytest.mark.parametrize("template", HOSTILE, ids=lambda t: t[:30])
def test_hostile_python_is_refused(template: str, marker: Path,
                                   specs: dict[str, DerivationSpec]) -> None:
    text = template.replace("{marker}", str(marker)) if "{marker}" in template else template
    text = text.replace("{{", "{").replace("}}", "}")
    start = time.monotonic()
    verdict = check_answer_in_process(specs["d_sigmoid"], text)
    assert time.monotonic() - start < 2.0
    assert verdict.status == "invalid", verdict.text("en")
    assert verdict.read_as is None
    assert not marker.exists()


def test_refusals_say_what_and_where(specs: dict[str, DerivationSpec]) -> None:
    with pytest.raises(AnswerFormatError) as info:
        read_answer(specs["d_sigmoid"], "sigma(x) + x.__class__")
    err = info.value
    assert err.column == 12 and err.fragment and "x.__class__" in err.fragment
    assert "columna 12" in err.message["es"] and "column 12" in err.message["en"]
    with pytest.raises(AnswerFormatError) as info:
        read_answer(specs["d_sigmoid"], "sigma(x)*(1 - diff(x))")
    assert info.value.column == 15 and "diff" in info.value.message["en"]
    assert "sigma(…)" in info.value.message["en"]  # and what may be used instead


def test_hostile_batch_through_the_bounded_child(marker: Path,
                                                 specs: dict[str, DerivationSpec]) -> None:
    def fill(t: str) -> str:
        return t.replace("{marker}", str(marker)).replace("{{", "{").replace("}}", "}")

    items = [(specs["d_sigmoid"], fill(t), False) for t in HOSTILE] + [
        (specs["d_sigmoid"], t.replace("{marker}", str(marker)), True) for t in LATEX_HOSTILE
    ]
    start = time.monotonic()
    verdicts = check_answers(items)
    assert time.monotonic() - start < 20
    assert len(verdicts) == len(items)
    for (_, text, _), verdict in zip(items, verdicts):
        assert verdict.status in ("invalid", "undetermined"), (text[:60], verdict.text("en"))
    assert not marker.exists()


def test_latex_input_is_refused_before_parsing(specs: dict[str, DerivationSpec]) -> None:
    verdict = check_answer(specs["d_sigmoid"], r"\input{/etc/passwd}", latex=True)
    assert verdict.status == "invalid"
    assert "\\input" in verdict.message["en"] and "columna 1" in verdict.message["es"]


def test_child_that_never_returns_is_killed_at_the_wall_clock() -> None:
    start = time.monotonic()
    result = run_bounded(lambda: time.sleep(60), Limits(wall_s=0.5))
    assert result.failure == "timeout"
    assert time.monotonic() - start < 5


def test_child_burning_cpu_is_stopped() -> None:
    def spin() -> None:
        while True:
            pass

    result = run_bounded(spin, Limits(cpu_s=1, wall_s=10))
    assert result.failure in ("cpu", "timeout")


def test_child_memory_is_capped() -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = run_bounded(lambda: len(bytearray(8 * 1024**3)), Limits(memory_bytes=64 * 1024**2))
    assert result.failure == "memory"
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100_000  # KiB


def test_child_output_is_capped_and_crashes_are_reported() -> None:
    assert run_bounded(lambda: "x" * 100_000, Limits(max_output=1000)).failure == "output"
    assert run_bounded(lambda: 1 / 0).failure == "crashed"
    assert run_bounded(lambda: os.kill(os.getpid(), 9)).failure in ("cpu", "crashed")
    assert run_bounded(lambda: float("nan")).failure == "crashed"  # not valid JSON: refused
    ok = run_bounded(lambda: {"a": [1, 2.5, "b", None]})
    assert ok.ok and ok.value == {"a": [1, 2.5, "b", None]}


def test_child_cannot_write_files(tmp_path: Path) -> None:
    target = tmp_path / "written"

    def write() -> int:
        with open(target, "wb") as fh:
            fh.write(b"x" * 10)
            fh.flush()
        return 1

    result = run_bounded(write)
    assert not result.ok
    assert not target.exists() or target.stat().st_size == 0


def test_check_answer_reports_limits_as_undetermined(specs: dict[str, DerivationSpec]) -> None:
    verdict = check_answer(specs["d_sigmoid"], "sigma(x)", limits=Limits(wall_s=1e-9))
    assert verdict.status == "undetermined" and verdict.decided_by == "limits"
    assert verdict.message["es"].startswith("No se pudo decidir")
