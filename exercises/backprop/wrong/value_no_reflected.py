"""No __radd__, __rmul__, __rsub__, __rtruediv__: 2 * v raises TypeError."""
EXPECT = {"fails": ["value:reverse_operands"]}

for _name in ("__radd__", "__rmul__", "__rsub__", "__rtruediv__"):
    delattr(Value, _name)
