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
