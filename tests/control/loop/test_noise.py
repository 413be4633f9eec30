"""Detector noise of the lock kernel: reproducible from the seed whatever the chunking or the
number of drawing threads, laid out so that the NumPy reference sees the same numbers, and
turned into standard normals by the kernel's Box–Muller transform."""

import numpy as np
import pytest
from scipy import stats

from cposim.control.loop import _kernels as K
from cposim.control.loop._noise import bank_noise, box_muller, chunk_size, noise_chunks

# Banks of 3 rings run 20 to a group: with 23 banks the last group holds 9 pairs, an odd
# number (one normal unused).
N_RINGS = 3
LANES = K.group_lanes(N_RINGS)
N_BANKS = LANES + 3


def _all_steps(chunk_steps, workers, n_steps=23):
    pieces = [
        bank_noise(noise, N_BANKS, N_RINGS, k1 - k0)
        for k0, k1, noise in noise_chunks(
            np.random.default_rng(9), N_BANKS, N_RINGS, n_steps, chunk_steps, workers
        )
    ]
    return np.concatenate(pieces)


@pytest.mark.parametrize(("chunk_steps", "workers"), [(1, 1), (5, 2), (23, 3), (100, 1)])
def test_noise_is_independent_of_chunking_and_threads(chunk_steps, workers):
    np.testing.assert_array_equal(_all_steps(chunk_steps, workers), _all_steps(23, 1))


def test_kernel_transform_equals_numpy_box_muller():
    """The kernel's row transform (vectorised square root and cos/sin of 2πU) against NumPy's
    sqrt, cos and sin: within 4e-15 absolute (the normals reach about 8.5; cos_sin_2pi is
    within 2.5e-16 of the exact value, NumPy's ``cos(2π·U)`` within a few ulp of 2π·U)."""
    rng = np.random.default_rng(4)
    exponentials = rng.standard_exponential(1001)
    uniforms = rng.random(1001)
    exponentials[:3] = [0.0, 36.7, 1e-300]  # zero, the largest a 53-bit uniform gives, tiny
    uniforms[:3] = [0.0, 0.25, 0.9999999999999999]
    out = np.empty(2002)
    K.box_muller_row(exponentials, uniforms, out)
    np.testing.assert_allclose(out, box_muller(exponentials, uniforms), rtol=0, atol=4e-15)


def test_group_normals_equal_the_reference_layout():
    """The kernel's small-system path (fewer banks than LANES) reads the same normals as the
    reference, odd pair count included."""
    n_banks, n_rings, steps = K.LANES - 1, 3, 7
    (_, _, noise), *_ = noise_chunks(np.random.default_rng(3), n_banks, n_rings, steps, steps, 1)
    assert noise.size == chunk_size(n_banks, n_rings, steps)
    normals = K.group_normals(noise, steps, n_rings * n_banks).reshape(steps, n_rings, n_banks)
    expected = bank_noise(noise, n_banks, n_rings, steps).transpose(0, 2, 1)
    np.testing.assert_allclose(normals, expected, rtol=0, atol=4e-15)


def test_noise_layout_and_statistics():
    """Each group's block is its exponentials, then its uniforms; the normals are standard
    normals (checked on 70,000 of them: 5-sigma bounds on mean and variance, a KS test, and no
    correlation between the two members of a Box–Muller pair)."""
    n_steps = 2000
    (_, _, noise), *_ = noise_chunks(
        np.random.default_rng(1), N_BANKS, N_RINGS, n_steps, n_steps, 2
    )
    half = N_RINGS * LANES // 2
    first_group = noise[: 2 * n_steps * half].reshape(2, n_steps, half)
    assert first_group[0].min() >= 0.0 and 0.0 <= first_group[1].min() < first_group[1].max() < 1
    assert stats.kstest(first_group[0].ravel(), "expon").pvalue > 1e-4
    assert stats.kstest(first_group[1].ravel(), "uniform").pvalue > 1e-4
    per_bank = bank_noise(noise, N_BANKS, N_RINGS, n_steps)
    assert per_bank.shape == (n_steps, N_BANKS, N_RINGS)
    # Pair t = ring·LANES + bank of the first group is normal t of its step.
    normals = box_muller(first_group[0], first_group[1])
    np.testing.assert_array_equal(per_bank[:, LANES - 1, 2], normals[:, 3 * LANES - 1])
    x = per_bank.ravel()
    assert abs(x.mean()) < 5 / np.sqrt(x.size)
    assert abs(x.var() - 1.0) < 5 * np.sqrt(2.0 / x.size)
    assert stats.kstest(x, "norm").pvalue > 1e-4
    pairs = np.corrcoef(normals[:, :half].ravel(), normals[:, half:].ravel())[0, 1]
    assert abs(pairs) < 5 / np.sqrt(normals.size / 2)
