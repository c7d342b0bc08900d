"""Sample points are secret, cover the domain's scale, and surround every place where an answer
changes definition: a wrong piecewise answer cannot hide between the points."""

from __future__ import annotations

import pytest

from grader.symbolic import DerivationSpec, Interval, Sym, check_answer_in_process
from grader.symbolic.compiled import compile_spec
from grader.symbolic.numeric import draw_samples
from grader.symbolic.service import SymbolicPool

SEEDS = range(6)

# Wrong ReLU′ answers that agree with it wherever a point drawn from a public, fixed seed fell.
WRONG_RELU = [
    "Piecewise((0, x < 0), (1, x < 2.5), (7, True))",          # the largest fixed sample was 2.378
    "Piecewise((0, x < 0), (1, x < 50), (7, True))",           # beyond the sampling interval
    "Piecewise((7, x < -3), (0, x < 0), (1, True))",           # below it
    "Piecewise((0, x < 0), (5, (x > 1.7) & (x < 1.71)), (1, True))",  # a window no point hits
    "Piecewise((0, x < 0), (9, Eq(x, 1.3)), (1, True))",       # one point only
    "Piecewise((0, x <= 0), (1, x <= 2.9), (-1, True))",       # inside the interval, near its edge
    "Heaviside(x) + 6*Heaviside(x - 2.5)",
    "Heaviside(x) - Heaviside(x - 0.2)*Heaviside(0.21 - x)",
    "Heaviside(x) + 7*Heaviside(0.001 - Abs(x - 1.5))",        # a window written with Abs
    "Max(Heaviside(x), 7*Heaviside(x - 2.5))",
    "Min(Heaviside(x), 1 - Heaviside(x - 40))",
    "where(x > 2.5, 7, Heaviside(x))",
    "(0 if x < 0 else 1) if x < 2.5 else 7",
    "Heaviside(x)*(1 + sign(x - 2.5) + 1)",
]


@pytest.mark.parametrize("text", WRONG_RELU)
@pytest.mark.parametrize("seed", SEEDS)
def test_a_wrong_piecewise_answer_is_found_whatever_the_points(
        text: str, seed: int, specs: dict[str, DerivationSpec]) -> None:
    verdict = check_answer_in_process(specs["d_relu"], text, seed=seed)
    assert verdict.status == "incorrect", (text, seed, verdict.text("en"))


# Another variable holds the change: its boundary is solved with the others held at a sample.
SMOOTH = DerivationSpec(
    "mse_grad_w", "-2*x*(y - w*x)",
    symbols=(Sym("x"), Sym("y"), Sym("w", Interval(0.1, 2.0))),
    functions=("Piecewise", "Heaviside"),
)


@pytest.mark.parametrize("text", [
    "Piecewise((-2*x*(y - w*x), w < 1.9), (0, True))",
    "Piecewise((-2*x*(y - w*x), w < 50), (0, True))",
    "Piecewise((-2*x*(y - w*x) + 3, (y > 0.41) & (y < 0.42)), (-2*x*(y - w*x), True))",
    "-2*x*(y - w*x) + Heaviside(x*w - 7)",
    "-2*x*(y - w*x)*(1 + Heaviside(y - 2.99))",
])
@pytest.mark.parametrize("seed", SEEDS)
def test_a_change_in_another_variable_is_found(text: str, seed: int) -> None:
    verdict = check_answer_in_process(SMOOTH, text, seed=seed)
    assert verdict.status == "incorrect", (text, seed, verdict.text("en"))


@pytest.mark.parametrize("text", [
    "Piecewise((-2*x*(y - w*x), w < 0), (-2*x*(y - w*x), True))",  # the same on both sides
    "-2*x*(y - w*x)*Heaviside(w)",  # w > 0 in its domain: the step never shows
    "Piecewise((-2*x*y + 2*w*x**2, x < 1), (-2*x*(y - w*x), True))",
])
@pytest.mark.parametrize("seed", SEEDS)
def test_a_right_answer_written_in_pieces_stays_right(text: str, seed: int) -> None:
    verdict = check_answer_in_process(SMOOTH, text, seed=seed)
    assert verdict.status == "correct", (text, seed, verdict.text("en"))


@pytest.mark.parametrize("text", [
    "Piecewise((0, x < 0), (1, True))", "Heaviside(x)", "Heaviside(x, 1)", "np.where(x >= 0, 1, 0)",
    "1 if x > 0 else 0", "(1 + sign(x))/2 + (1 - Abs(sign(x)))/2", "Max(0, sign(x))",
    "Piecewise((0, x < 0), (1, x < 2.5), (1, True))",
])
@pytest.mark.parametrize("seed", SEEDS)
def test_right_relu_derivatives_stay_right(text: str, seed: int, specs: dict[str, DerivationSpec]) -> None:
    verdict = check_answer_in_process(specs["d_relu"], text, seed=seed)
    assert verdict.status == "correct", (text, seed, verdict.text("en"))


def _random_part(spec: DerivationSpec, seed: int) -> list[tuple[tuple[str, float], ...]]:
    cspec = compile_spec(spec)
    sample = draw_samples(spec, cspec.vocab, cspec.constraints, seed)
    return [p.named() for p in sample.points[4:]]  # the first few are the "nice" values


def test_the_points_depend_on_the_seed(specs: dict[str, DerivationSpec]) -> None:
    spec = specs["d_tanh"]
    assert _random_part(spec, 1) == _random_part(spec, 1)
    assert _random_part(spec, 1) != _random_part(spec, 2)


def test_each_student_and_each_batch_has_points_of_its_own(specs: dict[str, DerivationSpec]) -> None:
    pool, other_batch = SymbolicPool(), SymbolicPool()  # seeds: (the batch's, the student's)
    ana = pool.seed("ana", "d_tanh")
    assert ana == pool.seed("ana", "d_tanh")  # reproducible within the batch
    bea = pool.seed("bea", "d_tanh")
    assert ana[0] == bea[0] and ana[1] != bea[1]  # the batch's points, and each student's own
    assert ana[0] != pool.seed("ana", "d_relu")[0] and ana[1] != pool.seed("ana", "d_relu")[1]
    later = other_batch.seed("ana", "d_tanh")
    assert ana[0] != later[0] and ana[1] != later[1]


def test_two_students_of_a_batch_are_not_checked_at_the_same_points(specs: dict[str, DerivationSpec]) -> None:
    from grader.symbolic.trial import new_trial

    cspec = compile_spec(specs["d_tanh"])
    pool = SymbolicPool()
    ana = new_trial(cspec, cspec.expected, pool.seed("ana", "d_tanh")).samples.points
    bea = new_trial(cspec, cspec.expected, pool.seed("bea", "d_tanh")).samples.points
    assert set(ana) & set(bea) and set(ana) - set(bea)  # shared points, and points of their own


@pytest.mark.parametrize("seed", SEEDS)
def test_the_points_cover_the_domain_s_scale_and_both_signs(seed: int, specs: dict[str, DerivationSpec]) -> None:
    xs = [v for point in _random_part(specs["d_tanh"], seed) for _, v in point]
    assert all(-3 <= v <= 3 for v in xs)
    assert any(v < 0 for v in xs) and any(v > 0 for v in xs)
    assert any(abs(v) < 0.1 for v in xs), xs  # small magnitudes, not only ordinary ones
    assert any(abs(v) > 1.5 for v in xs), xs


def test_a_one_signed_domain_keeps_its_sign(specs: dict[str, DerivationSpec]) -> None:
    spec = specs["grad_softmax_ce"]
    for seed in SEEDS:
        for point in _random_part(spec, seed):
            values = dict(point)
            assert 0.05 <= values["s_k"] <= 0.95 and values["y_k"] in (0.0, 1.0)
