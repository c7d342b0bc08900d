"""Z-score, min–max and batch norm against torch.nn and autograd."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.testing import assert_close

from reference import normalization as norm


def batch(dev: torch.device, n: int = 16, c: int = 5, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return (3 * torch.randn(n, c, generator=g, dtype=torch.float64) + 2).to(dev)


def test_zscore_matches_population_statistics(dev: torch.device) -> None:
    X = batch(dev)
    z = norm.zscore(X)
    assert_close(z, (X - X.mean(0)) / X.std(0, unbiased=False), rtol=1e-12, atol=1e-14)
    assert_close(z.mean(0), torch.zeros(5, dtype=torch.float64, device=dev), rtol=0, atol=1e-14)
    assert_close(z.std(0, unbiased=False), torch.ones(5, dtype=torch.float64, device=dev), rtol=1e-12, atol=0)


def test_minmax_matches_definition(dev: torch.device) -> None:
    X = batch(dev)
    m = norm.minmax(X)
    expected = (X - X.min(0).values) / (X.max(0).values - X.min(0).values)
    assert_close(m, expected, rtol=1e-12, atol=1e-14)
    assert m.min().item() == 0.0 and m.max().item() == 1.0


def test_constant_columns_map_to_zero() -> None:
    X = np.array([[0.1, 1.0, -3.0], [0.1, 2.0, -3.0], [0.1, 4.0, -3.0]])  # 0.1 averages to 0.1000…02
    for name, f in {"zscore": norm.zscore, "minmax": norm.minmax}.items():
        out = f(X)
        assert out[:, 0].tolist() == [0.0] * 3 and out[:, 2].tolist() == [0.0] * 3, f"{name}: {out}"
        assert torch.isfinite(out).all()
    assert norm.zscore([[5.0]]).tolist() == [[0.0]]


def bn_module(dev: torch.device, c: int, seed: int) -> tuple[torch.nn.BatchNorm1d, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    module = torch.nn.BatchNorm1d(c, eps=1e-3, momentum=0.2).to(dev, torch.float64)
    with torch.no_grad():
        module.weight.copy_(torch.randn(c, generator=g, dtype=torch.float64))
        module.bias.copy_(torch.randn(c, generator=g, dtype=torch.float64))
    return module, module.weight.detach().clone(), module.bias.detach().clone()


def test_batchnorm_forward_and_running_stats_match_torch(dev: torch.device) -> None:
    module, gamma, beta = bn_module(dev, 5, seed=1)
    running_mean = torch.zeros(5, dtype=torch.float64)
    running_var = torch.ones(5, dtype=torch.float64)
    for step in range(3):
        H = batch(dev, seed=10 + step)
        expected = module.train()(H)
        assert_close(norm.batchnorm_forward(H, gamma, beta, eps=1e-3), expected, rtol=1e-12, atol=1e-12)
        result = norm.batchnorm_train(H, gamma, beta, running_mean, running_var, momentum=0.2, eps=1e-3)
        assert_close(result.output, expected, rtol=1e-12, atol=1e-12)
        running_mean, running_var = result.running_mean, result.running_var
        assert_close(running_mean, module.running_mean, rtol=1e-12, atol=1e-14)
        assert_close(running_var, module.running_var, rtol=1e-12, atol=1e-14)
    H = batch(dev, n=3, seed=99)
    got = norm.batchnorm_eval(H, gamma, beta, running_mean, running_var, eps=1e-3)
    assert_close(got, module.eval()(H), rtol=1e-12, atol=1e-12)


def test_batchnorm_backward_matches_autograd(dev: torch.device) -> None:
    _, gamma, beta = bn_module(dev, 4, seed=2)
    H = batch(dev, n=9, c=4, seed=3)
    d_out = batch(dev, n=9, c=4, seed=4)
    leaves = [t.clone().requires_grad_(True) for t in (H, gamma, beta)]
    out = torch.nn.functional.batch_norm(leaves[0], None, None, leaves[1], leaves[2], training=True, eps=1e-5)
    expected = torch.autograd.grad(out, leaves, d_out)
    got = norm.batchnorm_backward(d_out, H, gamma, eps=1e-5)
    for name, a, b in zip(("dH", "dgamma", "dbeta"), got, expected, strict=True):
        assert_close(a, b, rtol=1e-10, atol=1e-12, msg=lambda m, n=name: f"{n}: {m}")


def test_batchnorm_reference_passes_gradcheck(dev: torch.device) -> None:
    _, gamma, beta = bn_module(dev, 3, seed=5)
    H = batch(dev, n=6, c=3, seed=6)
    inputs = tuple(t.clone().requires_grad_(True) for t in (H, gamma, beta))
    assert torch.autograd.gradcheck(lambda h, g, b: norm.batchnorm_forward(h, g, b), inputs, eps=1e-6, atol=1e-7)


@pytest.mark.parametrize("eps", [1e-5, 1e-1])
def test_course_formula(eps: float) -> None:
    H = np.array([[1.0, 2.0], [3.0, 6.0], [5.0, 10.0]])
    mu = H.mean(0)
    sigma = np.sqrt(eps + ((H - mu) ** 2).mean(0))
    got = norm.batchnorm_forward(H, [1.0, 2.0], [0.0, -1.0], eps=eps).cpu().numpy()
    np.testing.assert_allclose(got, (H - mu) / sigma * [1.0, 2.0] + [0.0, -1.0], rtol=1e-13, atol=1e-15)
