"""Optimisers: step functions, trajectories against torch.optim, minibatching, decay."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.testing import assert_close

from reference import objectives
from reference import optimizers as opt

STEPS = 100
STARTS = {"bowl": [1.5, -1.0], "rosenbrock": [-1.2, 1.0]}
FUNCTIONS = {"bowl": objectives.bowl, "rosenbrock": objectives.rosenbrock}
GRADIENTS = {"bowl": objectives.bowl_grad, "rosenbrock": objectives.rosenbrock_grad}

# (reference optimiser, the torch.optim call that implements the same rule)
SAME_RULE = {
    "sgd": (opt.sgd(1e-3), lambda p: torch.optim.SGD(p, lr=1e-3)),
    "momentum pytorch": (opt.momentum(1e-3, 0.9, "pytorch"), lambda p: torch.optim.SGD(p, lr=1e-3, momentum=0.9)),
    "momentum course": (opt.momentum(1e-3, 0.9, "course"), lambda p: torch.optim.SGD(p, lr=1e-3, momentum=0.9)),
    "adagrad": (opt.adagrad(0.1, delta=1e-10), lambda p: torch.optim.Adagrad(p, lr=0.1, eps=1e-10)),
    "rmsprop": (opt.rmsprop(0.01, rho=0.9, delta=1e-8), lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, eps=1e-8)),
    "adam": (
        opt.adam(0.01, 0.9, 0.999, 1e-8, bias_correction=True),
        lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.9, 0.999), eps=1e-8),
    ),
}


def torch_trajectory(make, f, w0, steps: int, dev: torch.device) -> torch.Tensor:
    w = torch.tensor(w0, dtype=torch.float64, device=dev, requires_grad=True)
    optimizer = make([w])
    trajectory = [w.detach().clone()]
    for _ in range(steps):
        optimizer.zero_grad()
        f(w).backward()
        optimizer.step()
        trajectory.append(w.detach().clone())
    return torch.stack(trajectory)


@pytest.mark.parametrize("objective", sorted(STARTS))
@pytest.mark.parametrize("name", sorted(SAME_RULE))
def test_trajectory_matches_torch_optim(dev: torch.device, name: str, objective: str) -> None:
    ours, make = SAME_RULE[name]
    got = opt.run(ours, GRADIENTS[objective], STARTS[objective], STEPS)
    expected = torch_trajectory(make, FUNCTIONS[objective], STARTS[objective], STEPS, dev)
    assert got.shape == (STEPS + 1, 2) and got.device.type == dev.type
    assert_close(got, expected, rtol=1e-9, atol=1e-12)


def test_momentum_forms_give_the_same_trajectory(dev: torch.device) -> None:
    course = opt.run(opt.momentum(2e-3, 0.95, "course"), objectives.rosenbrock_grad, [-1.2, 1.0], 500)
    pytorch = opt.run(opt.momentum(2e-3, 0.95, "pytorch"), objectives.rosenbrock_grad, [-1.2, 1.0], 500)
    assert_close(course, pytorch, rtol=1e-10, atol=1e-12)
    assert (course[-1] - course[0]).abs().max() > 0.1  # it did move


def test_course_adam_is_not_torch_adam(dev: torch.device) -> None:
    w, g = np.array([1.0, -2.0]), np.array([0.5, -4.0])
    course, _, _ = opt.adam_step(w, g, np.zeros(2), np.zeros(2), lr=0.1)
    corrected, s, r = opt.adam_step(w, g, np.zeros(2), np.zeros(2), lr=0.1, bias_correction=True)
    # First course step: lr·(1 − rho1)·g / (delta + √(1 − rho2)·|g|) ≈ lr·0.1/0.0316·sign(g).
    expected_course = w - 0.1 * 0.1 * g / (1e-8 + np.sqrt(0.001) * np.abs(g))
    assert_close(course.cpu(), torch.from_numpy(expected_course), rtol=1e-12, atol=0)
    # With the correction the first step is lr·sign(g), as in torch.optim.Adam.
    assert_close(corrected.cpu(), torch.from_numpy(w - 0.1 * np.sign(g)), rtol=1e-7, atol=0)
    assert_close(s.cpu(), torch.from_numpy(0.1 * g), rtol=1e-15, atol=0)
    assert_close(r.cpu(), torch.from_numpy(0.001 * g**2), rtol=1e-12, atol=0)


def test_course_adam_trajectory_matches_its_formula(dev: torch.device) -> None:
    lr, rho1, rho2, delta = 0.05, 0.8, 0.99, 1e-6
    got = opt.run(opt.adam(lr, rho1, rho2, delta), objectives.rosenbrock_grad, [-1.2, 1.0], 60)
    w, s, r = np.array([-1.2, 1.0]), np.zeros(2), np.zeros(2)
    expected = [w]
    for _ in range(60):
        x, y = w
        g = np.array([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)])
        s = rho1 * s + (1 - rho1) * g
        r = rho2 * r + (1 - rho2) * g**2
        w = w - lr / (delta + np.sqrt(r)) * s
        expected.append(w)
    assert_close(got.cpu(), torch.from_numpy(np.array(expected)), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("step", ["sgd", "momentum", "adagrad", "rmsprop", "adam"])
def test_step_functions_are_pure(dev: torch.device, step: str) -> None:
    w, g, a, b = (torch.tensor([1.0, -2.0], dtype=torch.float64, device=dev) for _ in range(4))
    before = [t.clone() for t in (w, g, a, b)]
    calls = {
        "sgd": lambda: (opt.sgd_step(w, g, 0.1),),
        "momentum": lambda: opt.momentum_step(w, g, a, 0.1, 0.9),
        "adagrad": lambda: opt.adagrad_step(w, g, a, 0.1, 1e-7),
        "rmsprop": lambda: opt.rmsprop_step(w, g, a, 0.1, 0.9, 1e-6),
        "adam": lambda: opt.adam_step(w, g, a, b, 0.1, 0.9, 0.999, 1e-8),
    }
    results = calls[step]()
    assert all(isinstance(t, torch.Tensor) and t.dtype == torch.float64 for t in results)
    assert all(torch.equal(x, y) for x, y in zip((w, g, a, b), before, strict=True)), "an input was modified"
    assert not torch.equal(results[0], w), "the step did not move w"


def linear_data(n: int = 20, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 3, generator=g, dtype=torch.float64)
    return X, X @ torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64) + 0.1 * torch.randn(n, generator=g)


def mse_grad(w: torch.Tensor, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return 2.0 / len(X) * X.T @ (X @ w - y)


def test_iterations_per_epoch() -> None:
    assert opt.iterations_per_epoch(2000, 500) == 4
    assert opt.iterations_per_epoch(10, 3) == 4
    X, y = linear_data(20)
    for batch_size, per_epoch in [(1, 20), (5, 4), (None, 1), (20, 1), (6, 4)]:
        trajectory = opt.run_minibatch(opt.sgd(0.01), mse_grad, np.zeros(3), X, y, batch_size, epochs=3)
        assert len(trajectory) == 3 * per_epoch + 1, (batch_size, len(trajectory))


def test_one_epoch_of_shuffling_is_torchs_random_sampler() -> None:
    # Only the first epoch: RandomSampler draws a second, empty-sliced permutation per epoch,
    # so its later epochs come from a different point of the stream.
    for seed in range(3):
        sampler = torch.utils.data.BatchSampler(
            torch.utils.data.RandomSampler(range(11), generator=torch.Generator().manual_seed(seed)),
            batch_size=4,
            drop_last=False,
        )
        assert [b.tolist() for b in opt.batch_indices(11, 4, seed)] == list(sampler), f"seed {seed}"


def test_minibatch_sgd_matches_torch(dev: torch.device) -> None:
    X, y = linear_data(20)
    got = opt.run_minibatch(opt.momentum(0.05, 0.9, "course"), mse_grad, np.zeros(3), X, y, 6, epochs=4, seed=3)
    w = torch.zeros(3, dtype=torch.float64, device=dev, requires_grad=True)
    sgd = torch.optim.SGD([w], lr=0.05, momentum=0.9)
    generator, expected = opt.cpu_generator(3), [w.detach().clone()]
    Xd, yd = X.to(dev), y.to(dev)
    for _ in range(4):
        for index in opt.batch_indices(20, 6, generator):
            sgd.zero_grad()
            ((Xd[index] @ w - yd[index]) ** 2).mean().backward()
            sgd.step()
            expected.append(w.detach().clone())
    assert_close(got, torch.stack(expected), rtol=1e-10, atol=1e-12)


def test_full_batch_is_gradient_descent_and_seeds_matter(dev: torch.device) -> None:
    X, y = linear_data(20)
    full = opt.run_minibatch(opt.sgd(0.05), mse_grad, np.zeros(3), X, y, None, epochs=30)
    plain = opt.run(opt.sgd(0.05), lambda w: mse_grad(w, X.to(dev), y.to(dev)), np.zeros(3), 30)
    assert_close(full, plain, rtol=1e-10, atol=1e-12)
    a = opt.run_minibatch(opt.sgd(0.05), mse_grad, np.zeros(3), X, y, 1, epochs=2, seed=1)
    b = opt.run_minibatch(opt.sgd(0.05), mse_grad, np.zeros(3), X, y, 1, epochs=2, seed=1)
    c = opt.run_minibatch(opt.sgd(0.05), mse_grad, np.zeros(3), X, y, 1, epochs=2, seed=2)
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_plateau_decay_matches_torch() -> None:
    losses = [5, 4, 4, 4, 4, 3.9, 3.9, 3.9, 3.9, 3.9, 3.9, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0]
    w = torch.zeros(1, requires_grad=True)
    sgd = torch.optim.SGD([w], lr=1.0)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
        sgd, mode="min", factor=0.5, patience=2, threshold=0.0, min_lr=0.1
    )
    expected = []
    for loss in losses:
        scheduler.step(loss)
        expected.append(sgd.param_groups[0]["lr"])
    got = opt.plateau_schedule(losses, 1.0, factor=0.5, patience=2, min_lr=0.1)
    assert got == pytest.approx(expected, rel=1e-15), f"ours {got}\ntorch {expected}"
    assert min(got) == 0.1 and got[0] == 1.0


def test_exponential_decay_to_a_minimum() -> None:
    w = torch.zeros(1, requires_grad=True)
    sgd = torch.optim.SGD([w], lr=0.8)
    scheduler = torch.optim.lr_scheduler.ExponentialLR(sgd, gamma=0.5)
    for epoch in range(4):
        assert opt.exponential_decay(0.8, 0.5, epoch) == pytest.approx(sgd.param_groups[0]["lr"], rel=1e-15)
        sgd.step()
        scheduler.step()
    assert opt.exponential_decay(0.8, 0.5, 10, min_lr=0.01) == 0.01
