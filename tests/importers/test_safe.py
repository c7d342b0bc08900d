"""What the grading process computes on a student's values, and what it refuses to."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from grader.importers import safe
from grader.importers.judge import Assertions, judge
from grader.sandbox.codec import Opaque


@pytest.mark.parametrize("source", [
    "__s0.__class__", "__s0.tofile('x')", "__s0.__reduce__()", "open('/etc/passwd')", "eval('1')",
    "getattr(__s0, 'shape')", "__import__('os')", "(lambda: 1)()", "[x for x in __s0]", "os.system('true')",
    "numpy.load('x')", "numpy.ones(10 ** 12)", "unknown_name", "__s0.__dict__", "type(__s0).__subclasses__()",
])
def test_anything_outside_the_language_is_refused(source: str) -> None:
    with pytest.raises(safe.Unsafe):
        safe.evaluate(source, {"__s0": np.arange(3.0)})


@pytest.mark.parametrize("source, env", [
    ("__s0 ** __s1", {"__s0": 10, "__s1": 10 ** 6}),
    ("__s0 * __s1", {"__s0": "ab", "__s1": 10 ** 7}),
    ("__s0 + __s1", {"__s0": np.zeros((200_000, 1)), "__s1": np.zeros((1, 300_000))}),
    ("numpy.allclose(__s0, __s1)", {"__s0": np.zeros((200_000, 1)), "__s1": np.zeros((1, 300_000))}),
])
def test_what_could_take_any_memory_is_refused_before_it_runs(source: str, env: dict) -> None:
    with pytest.raises(ValueError):
        safe.evaluate(source, env)


def test_the_language_computes_what_tests_write() -> None:
    env = {"__s0": np.array([[0.2, 0.8], [0.5, 0.5]]), "__s1": [3, 1, 2], "__p0": {"a": 1}}
    assert safe.evaluate("numpy.allclose(__s0.sum(axis=1), 1.0)", env)
    assert safe.evaluate("sorted(__s1) == [1, 2, 3] and len(__s1) == 3", env)
    assert safe.evaluate("__s0.shape == (2, 2)", env)
    assert safe.evaluate("abs(__s0[0, 1] - 0.8) < 1e-12", env)
    assert safe.evaluate("__p0.get('a') == 1", env)
    assert safe.evaluate("0 < __s0.max() <= 1", env)
    assert safe.evaluate("math.isclose(float(__s0[1, 0]), 0.5)", env)
    assert safe.evaluate("isinstance(__s0, numpy.ndarray)", env)
    assert safe.evaluate("__s0[0, 0] == approx(0.2000001, rel=1e-5)", env)
    assert not safe.evaluate("__s0[0, 0] == approx(0.21)", env)


def test_a_canonical_name_is_the_function_itself() -> None:
    assert safe.canonical_name(np.allclose) == "numpy.allclose"
    assert safe.canonical_name(np.testing.assert_allclose) == "numpy.testing.assert_allclose"
    assert safe.canonical_name(math.isclose) == "math.isclose" and safe.canonical_name(len) == "len"
    assert safe.canonical_name(lambda: 1) is None and safe.canonical_name(np.load) is None


def test_an_output_matches_as_printed() -> None:
    expected = np.array([0.26894142, 0.73105858])
    assert safe.output_matches(expected + 1e-10, repr(expected), expected)  # numpy prints 8 digits
    assert not safe.output_matches(expected + 1e-6, repr(expected), expected)
    # Printed alike once converted to the solution's type: otter's doctest would refuse these.
    assert safe.output_matches(True, "np.True_", np.True_) and safe.output_matches(1.2, "np.float64(1.2)", np.float64(1.2))
    assert not safe.output_matches(1, "True", True) and not safe.output_matches(0.30000000000000004, "0.3", 0.3)
    assert safe.output_matches(None, "", None) and not safe.output_matches(0, "", None)


def test_a_judgment_summary_quotes_no_value_and_its_detail_does() -> None:
    judgment = {"kind": "assert", "test": "numpy.allclose(__s0, __p0, rtol=1e-05)", "got": "__s0", "expected": "__p0",
                "tol": "rtol=1e-05", "line": 4, "text": "assert np.allclose(secret(x), y_hidden)"}
    failure = judge(judgment, {"__s0": np.array([1.0, 2.0]), "__p0": np.array([1.0, 2.5])}, 1, 3)
    assert failure is not None
    summary = failure.summary("en")
    assert summary == "Check 2 of 3: the comparison fails"
    detail = failure.detail("en")
    assert "secret(x)" in detail and "2.5" in detail and "largest difference 0.5 at index 1" in detail
    assert failure.expected == "array([1. , 2.5])"


def test_the_check_needs_every_snapshot_and_names_an_object_that_is_not_data() -> None:
    spec = json.dumps({"snaps": ["__s0"], "judgments": [{"kind": "assert", "test": "__s0 == 3", "text": "assert f() == 3",
                                                       "line": 1}]})
    check = Assertions(spec)
    assert check.evaluate((3,), {}) is None
    assert check.evaluate((4,), {}) is not None
    assert check.evaluate((), {}) is not None  # a snapshot missing: not a pass
    failure = check.evaluate(Opaque("Liar", "<Liar>"), {})
    assert failure is not None and "not plain data" in failure.summary("en")
