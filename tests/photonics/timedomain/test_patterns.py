"""Tests of the IEEE 802.3 / ITU-T O.150 test patterns (cposim.photonics.timedomain.patterns).

External answer keys: OptiCommPy's Gray PAM4 mapper; the PRBS13Q and PRBS31Q examples of
IEEE Std 802.3-2022 120.5.11.2.1 / 120.5.11.2.2 and the SSPRQ symbol statistics and SHA-256 of
IEEE's machine-readable SSPRQ_sequence.csv, as quoted by public implementations (github.com
cx-dk/IMDD_Codex julia/test/runtests.jl; the same SHA-256 in a second, independent test suite).
"""

import hashlib
import time

import numpy as np
import pytest
from optic.comm.modulation import demodulateGray, modulateGray

from cposim.photonics.timedomain import patterns as pt

# Feedback stages (0-based, S0 is the stage the feedback enters) of each generator, transcribed
# here from the polynomials independently of the module: x^k taps stage S(k-1).
STAGES = {7: (6, 5), 9: (8, 4), 13: (12, 11, 1, 0), 15: (14, 13), 31: (30, 27)}
SHORT_ORDERS = (7, 9, 13, 15)


def slow_prbs(order, n_bits, seed):
    """A plain per-bit shift register kept as a Python list [S0, S1, ..., S(n-1)]."""
    register = [(seed >> i) & 1 for i in range(order)]
    out = []
    for _ in range(n_bits):
        feedback = 0
        for stage in STAGES[order]:
            feedback ^= register[stage]
        out.append(feedback)
        register = [feedback, *register[:-1]]
    return np.array(out, dtype=np.uint8)


def cyclic_runs(bits):
    """Longest run of ones and of zeros of a periodic sequence (runs wrap around the period)."""
    start = int(np.flatnonzero(bits != bits[-1])[0])  # rotate to begin at a transition
    rotated = np.roll(bits, -start)
    edges = np.flatnonzero(np.diff(rotated)) + 1
    runs = np.diff(np.concatenate([[0], edges, [rotated.size]]))
    values = rotated[np.concatenate([[0], edges])]
    return int(runs[values == 1].max()), int(runs[values == 0].max())


def proper_divisors(n):
    return [d for d in range(1, n) if n % d == 0]


# --- PRBS generators ----------------------------------------------------------------------------


def test_polynomials_are_the_o150_and_ieee_ones():
    assert pt.PRBS_POLYNOMIALS == {
        7: (7, 6),
        9: (9, 5),
        13: (13, 12, 2, 1),
        15: (15, 14),
        31: (31, 28),
    }


@pytest.mark.parametrize("order", SHORT_ORDERS)
def test_period_is_exactly_two_to_the_n_minus_one(order):
    period = (1 << order) - 1
    bits = pt.prbs_bits(order, 2 * period + 5)
    assert np.array_equal(bits[period:], bits[:-period])
    # The smallest period divides every period, so no proper divisor repeating means none does.
    for d in proper_divisors(period):
        assert not np.array_equal(bits[d:], bits[:-d]), f"PRBS{order} repeats after {d}"
    assert pt.prbs_bits(order).size == period


@pytest.mark.parametrize("order", SHORT_ORDERS)
def test_every_nonzero_register_state_occurs_once_per_period(order):
    period = (1 << order) - 1
    bits = pt.prbs_bits(order, period + order - 1)
    windows = np.lib.stride_tricks.sliding_window_view(bits, order) @ (1 << np.arange(order))
    assert np.array_equal(np.sort(windows), np.arange(1, period + 1))


@pytest.mark.parametrize("order", SHORT_ORDERS)
def test_balance_and_longest_runs(order):
    bits = pt.prbs_bits(order)
    assert int(bits.sum()) == 1 << (order - 1)
    assert cyclic_runs(bits) == (order, order - 1)


def test_prbs31_obeys_its_recurrence():
    bits = pt.prbs_bits(31, 100_000, seed=0x1234_5678)
    assert np.array_equal(bits[31:], bits[:-31] ^ bits[3:-28])
    inverted = pt.prbs_bits(31, 1000, seed=0x1234_5678, invert=True)
    assert np.array_equal(inverted, 1 - bits[:1000])


@pytest.mark.parametrize("order", [*SHORT_ORDERS, 31])
def test_bits_match_a_slow_reference_register(order):
    rng = np.random.default_rng(order)
    seeds = [None, 1, int(rng.integers(1, 1 << order))]
    for seed in seeds:
        expected = slow_prbs(order, 2000, (1 << order) - 1 if seed is None else seed)
        assert np.array_equal(pt.prbs_bits(order, 2000, seed=seed), expected), seed


def test_prbs31_of_a_million_bits_is_fast():
    pt.prbs_bits(31, 1 << 10)
    start = time.perf_counter()
    bits = pt.prbs_bits(31, 1 << 20)
    assert time.perf_counter() - start < 0.25
    assert bits.size == 1 << 20 and bits.dtype == np.uint8


# --- Gray coding and precoding ------------------------------------------------------------------


def test_gray_map_is_the_ieee_one():
    bits = [0, 0, 0, 1, 1, 1, 1, 0]
    assert pt.gray_pam4(bits).tolist() == [0, 1, 2, 3]
    assert pt.pam4_bits([0, 1, 2, 3]).tolist() == bits


def test_gray_map_matches_opticommpy():
    # OptiCommPy maps bit pairs (first bit MSB) to levels -3, -1, 1, 3 with the reflected Gray
    # code i ^ (i >> 1): its level index (level + 3) / 2 is our symbol, and the two conventions
    # coincide (00, 01, 11, 10 from the lowest level up).
    bits = np.random.default_rng(1).integers(0, 2, 4000).astype(np.int64)
    levels = modulateGray(bits, 4, "pam")
    symbols = pt.gray_pam4(bits)
    assert np.array_equal((levels.real + 3) / 2, symbols)
    assert np.array_equal(demodulateGray(2.0 * symbols - 3.0, 4, "pam"), bits)


def test_bits_round_trip_through_symbols():
    bits = np.random.default_rng(2).integers(0, 2, 1000)
    assert np.array_equal(pt.pam4_bits(pt.gray_pam4(bits)), bits)


def test_precoder_follows_its_recursion_and_round_trips():
    assert pt.precode_pam4([1, 2, 3, 0]).tolist() == [1, 1, 2, 2]  # by hand from P(-1) = 0
    g = np.random.default_rng(3).integers(0, 4, 5000)
    p = pt.precode_pam4(g)
    previous = 0
    for j in range(200):
        assert p[j] == (g[j] - previous) % 4
        previous = p[j]
    assert np.array_equal(pt.decode_precoded_pam4(p), g)
    assert p.dtype == np.uint8


# --- PRBS13Q and SSPRQ --------------------------------------------------------------------------


def test_prbs13q_is_two_gray_coded_periods_of_prbs13():
    q = pt.prbs13q()
    assert q.size == 8191
    # Over two periods every consecutive bit pair of the m-sequence occurs once: 2^11 each of
    # 01, 11, 10 and 2^11 - 1 of 00 (no 13 zeros in a row).
    assert np.bincount(q, minlength=4).tolist() == [2047, 2048, 2048, 2048]
    assert "".join(map(str, q[:46])) == "1031320220111130103121231210012102121023131112"
    rows = np.tile(q, 2)
    assert np.array_equal(rows[8191:], rows[:8191])


def test_prbs31q_starts_like_the_ieee_example():
    symbols = pt.pattern_symbols("prbs31", n_symbols=50)
    assert "".join(map(str, symbols)) == "22222222222222012222222222220002222222222201201222"


def test_ssprq_is_the_published_sequence():
    s = pt.ssprq()
    assert s.size == 65535 and s.dtype == np.uint8
    assert np.bincount(s, minlength=4).tolist() == [15215, 17553, 17552, 15215]
    assert "".join(map(str, s[:32])) == "22222222222221322222222222212212"
    digest = hashlib.sha256(s.tobytes()).hexdigest()
    assert digest == "f17f5effb8e68863e5355258186456e1c3b3c48b5519c1a0c46dac855fae3582"


def test_ssprq_has_no_shorter_period():
    s = np.tile(pt.ssprq(), 2)
    for d in proper_divisors(65535):
        assert not np.array_equal(s[d:], s[:-d]), d


# --- named patterns and user patterns -----------------------------------------------------------


def test_nrz_patterns_are_the_prbs_bits():
    assert np.array_equal(pt.pattern_symbols("prbs7", modulation="nrz"), pt.prbs_bits(7))
    prbs31 = pt.pattern_symbols("prbs31", modulation="nrz", n_symbols=300)
    assert np.array_equal(prbs31, pt.prbs_bits(31, 300, invert=True))


@pytest.mark.parametrize("order", SHORT_ORDERS)
def test_pam4_prbs_has_one_symbol_per_bit_of_the_period(order):
    period = (1 << order) - 1
    symbols = pt.pattern_symbols(f"prbs{order}")
    assert symbols.size == period
    quarter = 1 << (order - 2)
    assert np.bincount(symbols, minlength=4).tolist() == [quarter - 1, quarter, quarter, quarter]
    assert np.array_equal(symbols, pt.gray_pam4(np.tile(pt.prbs_bits(order), 2)))


def test_n_symbols_repeats_or_truncates_the_period():
    period = pt.pattern_symbols("prbs9")
    assert np.array_equal(pt.pattern_symbols("prbs9", n_symbols=100), period[:100])
    long = pt.pattern_symbols("prbs9", n_symbols=1200)
    assert np.array_equal(long, np.concatenate([period, period, period[:178]]))
    assert np.array_equal(pt.pattern_symbols("ssprq", n_symbols=70000)[65535:], pt.ssprq()[:4465])


def test_precode_option_precodes_the_symbols():
    plain = pt.pattern_symbols("prbs13q", n_symbols=9000)
    precoded = pt.pattern_symbols("prbs13q", n_symbols=9000, precode=True)
    assert np.array_equal(precoded, pt.precode_pam4(plain))


def test_user_symbols_are_checked_against_the_level_count():
    assert pt.user_symbols([0, 3, 2, 1], modulation="pam4").dtype == np.uint8
    assert pt.user_symbols(np.array([1, 0, 1]), modulation="nrz").tolist() == [1, 0, 1]
    with pytest.raises(ValueError, match=r"symbols\[1\] = 2 is out of range"):
        pt.user_symbols([0, 2], modulation="nrz")
    with pytest.raises(ValueError, match="symbols must be a 1-D array of integers"):
        pt.user_symbols([0.5, 1.0], modulation="pam4")
    with pytest.raises(ValueError, match="modulation"):
        pt.user_symbols([0], modulation="pam8")


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: pt.prbs_bits(8), "order = 8 is not allowed"),
        (lambda: pt.prbs_bits(7, 0), "n_bits"),
        (lambda: pt.prbs_bits(31), "n_bits is required"),
        (lambda: pt.prbs_bits(7, seed=0), r"seed = 0 is out of range.*1…127"),
        (lambda: pt.prbs_bits(7, seed=128), "seed = 128 is out of range"),
        (lambda: pt.prbs_bits(7, seed=1.5), "seed"),
        (lambda: pt.gray_pam4([0, 1, 1]), "bits has odd length"),
        (lambda: pt.gray_pam4([0, 2]), r"bits\[1\] = 2 is out of range"),
        (lambda: pt.pam4_bits([4]), r"symbols\[0\] = 4"),
        (lambda: pt.precode_pam4([[0, 1]]), "symbols must be a 1-D array"),
        (lambda: pt.pattern_symbols("prbs11"), "name"),
        (lambda: pt.pattern_symbols("prbs7", modulation="pam8"), "modulation"),
        (lambda: pt.pattern_symbols("prbs7", n_symbols=0), "n_symbols"),
        (lambda: pt.pattern_symbols("prbs31"), "n_symbols is required"),
        (lambda: pt.pattern_symbols("ssprq", modulation="nrz"), "name = 'ssprq' needs"),
        (lambda: pt.pattern_symbols("prbs7", modulation="nrz", precode=True), "precode"),
    ],
)
def test_bad_input_is_rejected_with_a_clear_message(call, match):
    with pytest.raises(ValueError, match=match):
        call()
