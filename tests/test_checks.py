import numpy as np
import pytest

from grader.checks import Close, Either, Finite, InRange, SumsTo, check_from_json, describe
from grader.sandbox.codec import Opaque, TensorArray


def fails(check, got, expected=None):
    return check.evaluate(got, expected) is not None


def test_close_passes_within_tolerance_and_reports_the_largest_difference():
    exp = np.array([1.0, 2.0, 3.0])
    assert not fails(Close(rtol=1e-6), exp + 1e-9, exp)
    failure = Close().evaluate(np.array([1.0, 2.5, 3.0]), exp)
    assert failure is not None
    assert "index 1" in failure.detail.en and "2.5" in failure.detail.en and "1 of 3" in failure.detail.en
    assert "2.5" not in failure.summary.en  # the summary never quotes values


def test_close_checks_shape_and_dtype_class():
    assert "shape (3, 1)" in Close().evaluate(np.ones((3, 1)), np.ones(3)).summary.en
    assert fails(Close(dtype="float"), np.array([1, 2]), np.array([1.0, 2.0]))
    assert not fails(Close(), np.array([1, 2]), np.array([1.0, 2.0]))


def test_close_follows_nested_structures_and_names_the_place():
    exp = {"W": np.zeros((2, 2)), "b": np.zeros(2)}
    failure = Close().evaluate({"W": np.zeros((2, 2)), "b": np.ones(2)}, exp)
    assert failure is not None and "['b']" in failure.summary.en
    assert "keys" in Close().evaluate({"W": np.zeros((2, 2))}, exp).summary.en
    assert fails(Close(), (np.zeros(2),), (np.zeros(2), 1.0))
    assert not fails(Close(), [np.zeros(2), 1.0], (np.zeros(2), 1.0))


def test_nan_where_a_number_is_expected_is_called_out():
    failure = Close().evaluate(np.array([0.0, np.nan]), np.array([0.0, 1.0]))
    assert "nan" in failure.summary.en


def test_either_accepts_each_element_from_any_option():
    exp = Either((np.array([0.0, 1.0, 0.0]), np.array([0.0, 1.0, 1.0])))
    assert not fails(Close(), np.array([0.0, 1.0, 1.0]), exp)
    assert not fails(Close(), np.array([0.0, 1.0, 0.0]), exp)
    assert fails(Close(), np.array([0.0, 1.0, 0.5]), exp)
    assert "also accepted" in describe(exp)


def test_objects_that_are_not_plain_data_fail_with_their_type():
    failure = Close().evaluate(Opaque("Liar", "L"), np.zeros(2))
    assert "Liar" in failure.summary.en


def test_tensors_are_compared_by_value():
    assert not fails(Close(), np.arange(3.0).view(TensorArray), np.arange(3.0))


def test_property_checks():
    assert fails(Finite(), (np.array([1.0, np.inf]),))
    assert not fails(Finite(), np.ones(3))
    assert fails(SumsTo(1.0), np.array([[0.5, 0.6]]))
    assert not fails(SumsTo(1.0), np.array([[0.25, 0.75], [1.0, 0.0]]))
    assert fails(InRange(0, 1), np.array([0.5, 1.2]))


@pytest.mark.parametrize("check", [Close(rtol=1e-3, atol=0.0, dtype="float"), Finite(), SumsTo(2.0, axis=0), InRange(-1, 1)])
def test_checks_survive_a_trip_through_json(check):
    assert check_from_json(check.to_json()) == check


# Leniencies an author opts into, and what a passing value is told about them


def test_size1_lets_a_single_number_and_a_one_element_array_stand_for_each_other():
    lenient = Close(size1=True)
    failure, notes = lenient.evaluate_with_notes(np.array([[0.25]]), 0.25)
    assert failure is None
    assert "shape (1, 1) where a single number is expected" in notes[0].en
    failure, notes = lenient.evaluate_with_notes(0.25, np.array([0.25]))
    assert failure is None and "a single number where shape (1,) is expected" in notes[0].en
    assert "(1, 1)" in Close().evaluate(np.array([[0.25]]), 0.25).summary.en  # off unless asked
    # Only one number for one number: a column for a vector is still a shape mistake, and the
    # value itself is still compared.
    assert "shape" in lenient.evaluate(np.ones((3, 1)), np.ones(3)).summary.en
    assert fails(lenient, np.array([[0.5]]), 0.25)
    assert Close().evaluate_with_notes(0.25, 0.25) == (None, ())


def test_size1_works_inside_structures_and_names_the_place():
    expected = {"dW": np.zeros((2, 3)), "db": 0.5}
    failure, notes = Close(size1=True).evaluate_with_notes({"dW": np.zeros((2, 3)), "db": np.array([[0.5]])},
                                                          expected)
    assert failure is None and "['db']" in notes[0].en


def test_extra_keys_are_ignored_when_asked_and_missing_keys_still_fail():
    expected = {"W1": np.zeros(2), "b1": 0.0}
    got = {"W1": np.zeros(2), "b1": 0.0, "cache": (1, 2)}
    assert fails(Close(), got, expected)
    failure, notes = Close(extra_keys=True).evaluate_with_notes(got, expected)
    assert failure is None and "'cache'" in notes[0].en
    assert "keys" in Close(extra_keys=True).evaluate({"W1": np.zeros(2), "cache": 1}, expected).summary.en
    assert fails(Close(extra_keys=True), {"W1": np.zeros(2), "b1": 1.0, "cache": 1}, expected)


def test_new_options_survive_a_trip_through_json():
    check = Close(rtol=1e-4, size1=True, extra_keys=True)
    assert check_from_json(check.to_json()) == check


# Either: feedback against the nearest alternative


def test_either_on_dicts_reports_the_nearest_alternative_not_the_first():
    first = {"W": np.array([1.0, 2.0, 3.0]), "b": 1.0}
    second = {"W": np.array([10.0, 20.0, 30.0]), "b": 5.0}
    got = {"W": np.array([10.0, 20.0, 30.0]), "b": 5.5}  # one value off the second convention
    failure = Close().evaluate(got, Either((first, second)))
    assert failure is not None
    assert "['b']" in failure.summary.en and "expected 5" in failure.detail.en
    assert failure.expected.startswith(describe(second))  # shown first, the other as also accepted
    assert "also accepted" in failure.expected
    # And the other way round: the same result near the first reports against the first.
    failure = Close().evaluate({"W": np.array([1.0, 2.0, 3.0]), "b": 1.5}, Either((first, second)))
    assert "expected 1" in failure.detail.en and failure.expected.startswith(describe(first))


def test_either_prefers_the_alternative_with_fewer_structural_differences():
    first = {"a": 1.0, "b": 2.0, "c": 3.0}
    second = {"a": 1.0, "b": 2.0}
    failure = Close().evaluate({"a": 1.0, "b": 2.5}, Either((first, second)))
    assert "['b']" in failure.summary.en  # compared with the one whose keys match, not a keys failure
    failure = Close().evaluate((1.0, 2.0, 9.0), Either(((5.0, 5.0), (1.0, 2.0, 3.0))))
    assert "index 2: got 9, expected 3" in failure.detail.en  # not "shape (3,), expected (2,)"


def test_either_on_arrays_describes_each_element_against_its_nearest_alternative():
    zeros, tens = np.zeros(4), np.full(4, 10.0)
    failure = Close().evaluate(np.array([0.0, 10.0, 9.0, 0.0]), Either((zeros, tens)))
    assert "got 9, expected 10" in failure.detail.en and "1 of 4" in failure.detail.en
    failure = Close().evaluate(np.array([10.0, 10.0, 10.0, 1.0]), Either((zeros, tens)))
    assert "got 1, expected 0" in failure.detail.en
