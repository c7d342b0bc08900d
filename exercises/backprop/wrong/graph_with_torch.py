"""The worked graph computed by torch's autograd instead of the student's own passes."""
EXPECT = {"fails": ["graph_example:at_6_2"], "misconception": "forbidden_api"}

import torch  # noqa: E402


def graph_example():
    x = torch.tensor(6.0, dtype=torch.float64, requires_grad=True)
    y = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    f = (x / y + 5) ** 2 + x
    dfdx, dfdy = torch.autograd.grad(f, (x, y))
    return f.item(), dfdx.item(), dfdy.item()
