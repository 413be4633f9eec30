"""Vectorisable cos/sin of 2π·x: accuracy over the whole double range (against mpmath)."""

import mpmath
import numba
import numpy as np
import pytest
from scipy import special

from cposim.control.core import vecmath
from cposim.control.core.jit import jit
from cposim.control.core.vecmath import cos_2pi, cos_sin_2pi, sin_2pi, sin_squared_pi


@jit
def _evaluate(x):
    out = np.empty((5, x.size))
    for i in range(x.size):
        out[0, i] = cos_2pi(x[i])
        out[1, i] = sin_2pi(x[i])
        out[2, i], out[3, i] = cos_sin_2pi(x[i])
        out[4, i] = sin_squared_pi(2.0 * x[i])
    return out


def _arguments():
    rng = np.random.default_rng(7)
    # Every binade from 1e-300 to 1e15 (beyond 2^52 every double is a whole number of cycles),
    # both signs, plus the quadrant boundaries where the reduction switches branch.
    magnitudes = 10.0 ** rng.uniform(-300, 15, 3000)
    boundaries = np.arange(-8, 9) / 8.0
    near_boundaries = np.concatenate(
        [np.nextafter(boundaries, np.inf), np.nextafter(boundaries, -np.inf)]
    )
    return np.concatenate(
        [magnitudes, -magnitudes, boundaries, near_boundaries, [0.0, 2.0**52, 2.0**53 + 2.0, 1e300]]
    )


def test_matches_correctly_rounded_values_over_whole_range():
    """Absolute error ≤ 2.5e-16 against 340-digit mpmath for every tested double."""
    x = _arguments()
    values = _evaluate(x)
    mpmath.mp.dps = 340  # enough digits for 2π·x with x up to 1e300
    exact_cos = np.array([float(mpmath.cos(2 * mpmath.pi * mpmath.mpf(v))) for v in x])
    exact_sin = np.array([float(mpmath.sin(2 * mpmath.pi * mpmath.mpf(v))) for v in x])
    for row, exact in ((0, exact_cos), (1, exact_sin), (2, exact_cos), (3, exact_sin)):
        error = np.abs(values[row] - exact)
        assert error.max() <= 2.5e-16, x[np.argmax(error)]
    # sin²(π·2x) = sin²(2πx) keeps relative accuracy near zero too (where resonances sit).
    # The 1e-60 absolute slack covers mpmath itself at x = 1e300 (2π·x eats 300 digits).
    squared = exact_sin**2
    error = np.abs(values[4] - squared)
    assert np.all(error <= 6e-16 * squared + 1e-60), x[np.argmax(error / (squared + 1e-300))]


def test_agrees_with_numpy_on_a_dense_grid():
    x = np.linspace(-3.0, 3.0, 200_001)
    values = _evaluate(x)
    # NumPy rounds the argument 2π·x first, which alone costs up to |2π·x|·eps ≈ 2e-15 here.
    np.testing.assert_allclose(values[0], np.cos(2 * np.pi * x), rtol=0, atol=5e-15)
    np.testing.assert_allclose(values[1], np.sin(2 * np.pi * x), rtol=0, atol=5e-15)


def test_exact_at_quarter_turns():
    x = np.arange(-12, 13) / 4.0
    values = _evaluate(x)
    quadrant = np.arange(-12, 13) % 4
    np.testing.assert_array_equal(values[0], np.array([1.0, 0.0, -1.0, 0.0])[quadrant])
    np.testing.assert_array_equal(values[1], np.array([0.0, 1.0, 0.0, -1.0])[quadrant])


def test_inner_loop_vectorises():
    """The reason the module exists: the loop must compile to packed SIMD instructions."""
    x = np.linspace(0.0, 1.0, 64)
    _evaluate(x)

    @numba.njit
    def loop(values, out):
        for i in range(values.size):
            out[i] = cos_2pi(values[i])

    loop(x, np.empty_like(x))
    assembly = next(iter(loop.inspect_asm().values()))
    if "vfmadd" not in assembly and "mulpd" not in assembly:
        pytest.skip("this CPU/LLVM build does not vectorise double loops")
    assert any(op in assembly for op in ("vfmadd231pd", "vfmadd213pd", "vmulpd", "mulpd"))


def test_exp_log_erfcx_rows_match_numpy_and_scipy():
    """The vectorisable exp, log and erfcx against NumPy/SciPy: exp and log within
    4 ulp (rtol 1e-15 / atol 1e-15), erfcx rtol 1e-13 on x >= 0; NumPy's special values."""
    rng = np.random.default_rng(11)
    x = np.concatenate([-rng.uniform(0.0, 745.0, 4000), [0.0, -1e-300, -708.5, -745.0, -800.0]])
    out, scratch = np.empty_like(x), np.empty_like(x)
    vecmath.exp_rows(x, out, scratch)
    np.testing.assert_allclose(out, np.exp(x), rtol=1e-15, atol=1e-320)
    y = np.concatenate(
        [np.exp(rng.uniform(-700.0, 700.0, 4000)), [1.0, 2.0, 0.5, np.sqrt(2.0), 1e-310]]
    )
    out, m, e = np.empty_like(y), np.empty_like(y), np.empty_like(y)
    vecmath.log_rows(y, out, m, e)
    np.testing.assert_allclose(out, np.log(y), rtol=1e-15, atol=1e-15)
    special_values = np.array([0.0, -1.0, np.inf, np.nan])
    out = np.empty(4)
    vecmath.log_rows(special_values, out, np.empty(4), np.empty(4))
    with np.errstate(divide="ignore", invalid="ignore"):
        np.testing.assert_array_equal(out, np.log(special_values))
    z = np.concatenate([np.linspace(0.0, 40.0, 4001), np.geomspace(1e-8, 1e8, 400)])
    erfcx = np.array([vecmath.erfcx(v) for v in z])
    np.testing.assert_allclose(erfcx, special.erfcx(z), rtol=1e-13)
