"""Comparing computed results that may differ in the last bits of a float.

The same least-squares fit can differ in its last binary digit from one run to the next
(OpenBLAS picks SIMD paths by the arrays' memory alignment), so a stored result and the same
result computed again are compared to 1e-9 relative, not for bit equality.
"""

from __future__ import annotations

import math
from typing import Any

REL = 1e-9


def assert_close(a: Any, b: Any, where: str = "") -> None:
    """Same structure (dicts, lists, tuples), same strings and integers, floats within REL
    (NaN equals NaN)."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), (where, a, b)
        for k in a:
            assert_close(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list | tuple):
        assert isinstance(b, list | tuple) and len(a) == len(b), (where, a, b)
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_close(x, y, f"{where}[{i}]")
    elif isinstance(a, float) or isinstance(b, float):
        assert (math.isnan(a) and math.isnan(b)) or math.isclose(
            a, b, rel_tol=REL, abs_tol=1e-12
        ), (
            where,
            a,
            b,
        )
    else:
        assert a == b, (where, a, b)
