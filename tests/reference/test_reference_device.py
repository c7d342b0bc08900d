"""The device helper: what as_tensor accepts and where results land."""

from __future__ import annotations

import numpy as np
import torch

from reference.device import DTYPE, as_tensor, cpu_generator, device, to_numpy, using_device


def test_as_tensor_accepts_every_input_kind(dev: torch.device) -> None:
    cases = {
        "float": (2.5, ()),
        "int": (3, ()),
        "numpy scalar": (np.float32(1.5), ()),
        "list": ([[1, 2], [3, 4]], (2, 2)),
        "numpy": (np.arange(6).reshape(2, 3), (2, 3)),
        "reversed view": (np.arange(4)[::-1], (4,)),
        "tensor": (torch.ones(3, dtype=torch.float32), (3,)),
    }
    for name, (value, shape) in cases.items():
        t = as_tensor(value)
        assert t.dtype == DTYPE and t.device.type == dev.type, name
        assert tuple(t.shape) == shape, f"{name}: shape {tuple(t.shape)}"
    assert as_tensor(np.arange(4)[::-1]).tolist() == [3, 2, 1, 0]


def test_as_tensor_keeps_dtype_on_request_and_gradients(dev: torch.device) -> None:
    assert as_tensor(np.array([1, 2]), dtype=None).dtype == torch.int64
    assert as_tensor([0, 2], dtype=torch.long).dtype == torch.long
    leaf = torch.tensor([1.0, 2.0], dtype=torch.float32, requires_grad=True)
    (as_tensor(leaf) ** 2).sum().backward()
    assert leaf.grad is not None and leaf.grad.tolist() == [2.0, 4.0]


def test_to_numpy_round_trip(dev: torch.device) -> None:
    x = np.random.default_rng(0).normal(size=(3, 2))
    back = to_numpy(as_tensor(x).requires_grad_(True))
    assert isinstance(back, np.ndarray) and np.array_equal(back, x)
    assert np.array_equal(to_numpy([1.0, 2.0]), np.array([1.0, 2.0]))


def test_using_device_restores_the_default() -> None:
    before = device()
    with using_device("cpu") as chosen:
        assert device() == chosen == torch.device("cpu")
    assert device() == before
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert before.type == expected


def test_seeded_generator_is_reproducible() -> None:
    a = torch.rand(5, generator=cpu_generator(7))
    b = torch.rand(5, generator=cpu_generator(7))
    assert torch.equal(a, b) and not torch.equal(a, torch.rand(5, generator=cpu_generator(8)))
