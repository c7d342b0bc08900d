"""Compatibility shims an exercise may ask for, applied in the student's process only.

"numpy1": the names numpy 2 removed come back (`np.int`, `np.float`, `np.bool`, `np.object`,
`np.float_`, `np.NaN`, `np.product` …), bound to what numpy 1 bound them to, so assignments
written for numpy 1 run their instructor's cells unchanged. Names numpy still has are left alone.
"""

from __future__ import annotations

import sys
from typing import Any


def _numpy1(np: Any) -> dict[str, Any]:
    return {
        # the builtin aliases, removed in numpy 1.24
        "int": int, "float": float, "complex": complex, "object": object, "bool": bool, "str": str,
        "long": int, "unicode": str,
        # the names removed in numpy 2.0
        "float_": np.float64, "complex_": np.complex128, "cfloat": np.complex128, "longfloat": np.longdouble,
        "singlecomplex": np.complex64, "longcomplex": np.clongdouble, "clongfloat": np.clongdouble,
        "string_": np.bytes_, "unicode_": np.str_, "int0": np.intp, "uint0": np.uintp, "bool8": np.bool_,
        "NaN": np.nan, "Inf": np.inf, "Infinity": np.inf, "infty": np.inf, "PINF": np.inf, "NINF": -np.inf,
        "PZERO": 0.0, "NZERO": -0.0,
        "product": np.prod, "cumproduct": np.cumprod, "sometrue": np.any, "alltrue": np.all, "round_": np.round,
        "row_stack": np.vstack, "trapz": getattr(np, "trapezoid", None),
        "asfarray": lambda a, dtype=np.float64: np.asarray(a, dtype=dtype),
    }


def apply(names: tuple[str, ...]) -> None:
    if "numpy1" in names:
        np = sys.modules.get("numpy")
        if np is None:
            import numpy as np
        for name, value in _numpy1(np).items():
            if value is not None and name not in vars(np):
                setattr(np, name, value)
