"""Calling a library sigmoid, which the task forbids."""
EXPECT = {"fails": ["sigmoid:values", "sigmoid:large_inputs"], "misconception": "forbidden_api"}

import torch  # noqa: E402


def sigmoid(x):
    return torch.sigmoid(torch.as_tensor(x)).numpy()
