"""Detector noise of the lock kernel: counter-based normals, reproducible from the seed whatever
the chunking of the steps, equal in the kernel and the NumPy reference, and standard normal."""

import numpy as np
from scipy import stats

from cposim.control.core.vecmath import counter_uniform, splitmix64, standard_normal_row
from cposim.control.loop import _kernels as K
from cposim.control.loop._noise import bank_noise, group_keys, group_normals, groups, uniforms

# Banks of 3 rings run 20 to a group: with 23 banks the last group holds 9 pairs, an odd
# number (one normal unused).
N_RINGS = 3
LANES = K.group_lanes(N_RINGS)
N_BANKS = LANES + 3


def test_splitmix64_matches_the_published_sequence():
    """SplitMix64 seeded with 1234567 (the reference C implementation of Vigna's
    splitmix64.c) starts 6457827717110365317, 3203168211198807973, 9817491932198370423."""
    expected = [6457827717110365317, 3203168211198807973, 9817491932198370423]
    state = 1234567
    for value in expected:
        state = (state + 0x9E3779B97F4A7C15) % 2**64
        assert int(splitmix64(np.uint64(state))) == value
    # and a pure-Python (arbitrary-precision integer) implementation on random states
    mask = 2**64 - 1
    for z in np.random.default_rng(5).integers(0, 2**63, 20).tolist():
        y = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        y = ((y ^ (y >> 27)) * 0x94D049BB133111EB) & mask
        assert int(splitmix64(np.uint64(z))) == y ^ (y >> 31)
    # counter_uniform(key, c) is output c of the generator seeded with key
    assert counter_uniform(np.uint64(1234567), np.uint64(2)) == (expected[2] >> 11) * 2.0**-53
    np.testing.assert_array_equal(
        uniforms(np.uint64(1234567), [0, 1, 2]), [(v >> 11) * 2.0**-53 for v in expected]
    )


def test_noise_does_not_depend_on_how_the_steps_are_split():
    keys = group_keys(np.random.default_rng(9), N_BANKS, N_RINGS)
    whole = bank_noise(keys, N_BANKS, N_RINGS, 0, 23)
    pieces = [bank_noise(keys, N_BANKS, N_RINGS, k0, min(23, k0 + 5)) for k0 in range(0, 23, 5)]
    np.testing.assert_array_equal(np.concatenate(pieces), whole)
    assert len(keys) == len(groups(N_BANKS, N_RINGS)) == 2


def test_kernel_normals_equal_the_numpy_reference():
    """The kernel's row (vectorised log, square root and cos/sin in cycles) against NumPy's
    log, sqrt, cos and sin of the same uniforms: within 4e-15 absolute (normals reach ≈ 8.5)."""
    key = np.uint64(0xDEADBEEF12345678)
    np.testing.assert_allclose(
        K.group_normals(key, 9, 5, 40), group_normals(key, 9, 5, 40), rtol=0, atol=4e-15
    )
    out = np.empty(2002)
    standard_normal_row(key, np.uint64(10**12), out, np.empty((4, 1001)))
    np.testing.assert_allclose(out, _row(key, 10**12, 2002), rtol=0, atol=4e-15)


def _row(key, counter, n):
    h = n // 2
    u = uniforms(key, counter + 2 * np.arange(h, dtype=np.uint64))
    v = uniforms(key, counter + 2 * np.arange(h, dtype=np.uint64) + 1)
    r = np.sqrt(-2.0 * np.log(1.0 - u))
    return np.concatenate([r * np.cos(2 * np.pi * v), r * np.sin(2 * np.pi * v)])


def test_noise_layout_and_statistics():
    """Pair t = ring·lanes + bank of a group is normal t of its step; 69,000 normals are standard
    normal (5-sigma bounds on mean and variance, a KS test) with no correlation between the two
    members of a Box–Muller pair or between consecutive steps."""
    n_steps = 1000
    keys = group_keys(np.random.default_rng(1), N_BANKS, N_RINGS)
    per_bank = bank_noise(keys, N_BANKS, N_RINGS, 0, n_steps)
    assert per_bank.shape == (n_steps, N_BANKS, N_RINGS)
    first = group_normals(keys[0], N_RINGS * LANES, 0, n_steps)
    np.testing.assert_array_equal(per_bank[:, LANES - 1, 2], first[:, 3 * LANES - 1])
    x = per_bank.ravel()
    assert abs(x.mean()) < 5 / np.sqrt(x.size)
    assert abs(x.var() - 1.0) < 5 * np.sqrt(2.0 / x.size)
    assert stats.kstest(x, "norm").pvalue > 1e-4
    half = first.shape[1] // 2
    pairs = np.corrcoef(first[:, :half].ravel(), first[:, half : 2 * half].ravel())[0, 1]
    steps = np.corrcoef(first[:-1].ravel(), first[1:].ravel())[0, 1]
    assert abs(pairs) < 5 / np.sqrt(first.size / 2)
    assert abs(steps) < 5 / np.sqrt(first.size)


def test_streams_of_different_groups_are_independent():
    """Two keys' normals are uncorrelated and their difference is normal with variance 2."""
    a, b = (group_normals(np.uint64(k), 64, 0, 2000).ravel() for k in (1, 2))
    assert abs(np.corrcoef(a, b)[0, 1]) < 5 / np.sqrt(a.size)
    assert stats.kstest((a - b) / np.sqrt(2), "norm").pvalue > 1e-4
