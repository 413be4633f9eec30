"""Vectorisable square root for Numba kernels (private).

Numba lowers both ``math.sqrt`` and ``np.sqrt`` on a float64 scalar to a call of libm's
``sqrt``, which LLVM's loop vectoriser cannot widen, so one square root in a loop keeps the
whole loop scalar. :func:`sqrt` emits the ``llvm.sqrt.f64`` intrinsic instead (``vsqrtpd`` in a
vectorised loop). Both are the correctly rounded IEEE square root, so results are identical;
under ``NUMBA_DISABLE_JIT=1`` the plain Python body (``math.sqrt``) runs.
"""

from __future__ import annotations

import math

from llvmlite import ir
from numba import types
from numba.extending import intrinsic, overload


def sqrt(x):
    """Square root of a float64 scalar (``nan`` for negative input), vectorisable in kernels.

    Parameters
    ----------
    x : float
        Argument.
    """
    return math.sqrt(x) if x >= 0.0 else math.nan


@intrinsic
def _llvm_sqrt(typingctx, x):
    if x != types.float64:
        return None

    def codegen(context, builder, signature, args):
        function = builder.module.declare_intrinsic("llvm.sqrt", [ir.DoubleType()])
        return builder.call(function, args)

    return types.float64(types.float64), codegen


@overload(sqrt, inline="always")
def _sqrt_overload(x):
    if x == types.float64:
        return lambda x: _llvm_sqrt(x)
    return None
