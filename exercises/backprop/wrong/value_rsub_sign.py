"""1 - v computed as v - 1, and 1 / v as v / 1: the reflected operators ignore the operand order."""
EXPECT = {"fails": ["value:reverse_operands"]}


def _rsub(self, other):
    return self - other


def _rtruediv(self, other):
    return self / other


Value.__rsub__ = _rsub
Value.__rtruediv__ = _rtruediv
