"""Detector noise of the lock kernel: reproducible from the seed whatever the chunking or the
number of drawing threads, and laid out so that the NumPy reference sees the same numbers."""

import numpy as np
import pytest

from cposim.control import _loop_kernels as K
from cposim.control._noise import bank_noise, noise_chunks


def _all_steps(chunk_steps, workers, n_banks=K.LANES + 3, n_rings=4, n_steps=23):
    pieces = [
        bank_noise(noise, n_banks, n_rings)
        for _, _, noise in noise_chunks(
            np.random.default_rng(9), n_banks, n_rings, n_steps, chunk_steps, workers
        )
    ]
    return np.concatenate(pieces)


@pytest.mark.parametrize(("chunk_steps", "workers"), [(1, 1), (5, 2), (23, 3), (100, 1)])
def test_noise_is_independent_of_chunking_and_threads(chunk_steps, workers):
    np.testing.assert_array_equal(_all_steps(chunk_steps, workers), _all_steps(23, 1))


def test_noise_layout_and_statistics():
    """Each lane group's block is (step, ring, lane); the numbers are standard normals."""
    n_banks, n_rings, n_steps = K.LANES + 3, 4, 2000
    (_, _, noise), *_ = noise_chunks(
        np.random.default_rng(1), n_banks, n_rings, n_steps, n_steps, 2
    )
    per_bank = bank_noise(noise, n_banks, n_rings)
    assert per_bank.shape == (n_steps, n_banks, n_rings)
    first_group = noise[: n_steps * n_rings * K.LANES].reshape(n_steps, n_rings, K.LANES)
    np.testing.assert_array_equal(per_bank[:, K.LANES - 1, 2], first_group[:, 2, K.LANES - 1])
    # Mean and variance of 152,000 standard normals: 5-sigma bounds.
    assert abs(per_bank.mean()) < 5 / np.sqrt(per_bank.size)
    assert abs(per_bank.var() - 1.0) < 5 * np.sqrt(2.0 / per_bank.size)
