"""cposim.control.core: the one base both packages build on.

- :mod:`~cposim.control.core.validation`: the checks every parameter object runs, each raising a
  ValueError that names the field, the value and the allowed range;
- :mod:`~cposim.control.core.jit`: the project's Numba settings (on-disk cache, NumPy error
  model), in one place;
- :mod:`~cposim.control.core.vecmath`: vectorisable maths for kernels (cos/sin in cycles, sqrt,
  exp, log, erfcx);
- :mod:`~cposim.control.core.plotstyle`: axes, labels and dB helpers every ``.plot()`` uses;
- :mod:`~cposim.control.core.lazy`: the lazy re-exports of every cposim package.

Nothing here knows about rings or heaters; ``cposim.control`` and ``cposim.photonics`` import it,
it imports neither.
"""

__all__ = [
    "jit",
    "lazy",
    "plotstyle",
    "validation",
    "vecmath",
]
