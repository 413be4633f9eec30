"""Eyes: ideal PAM4 in AWGN against the closed forms and OptiCommPy, RLM, heights and widths."""

import numpy as np
import pytest
from scipy import stats

from cposim.photonics.timedomain import (
    Transmitter,
    Waveform,
    count_errors,
    equalise,
    eye_diagram,
    gray_pam4,
    rlm,
    statistical_eye,
    symbol_error_ratio,
)

SPS = 8
LEVELS = np.array([1.0, 2.0, 3.0, 4.0]) * 1e-3  # equally spaced, 1 mW apart


def _rectangular(symbols, levels=LEVELS, noise=0.0, seed=0):
    samples = np.repeat(levels[symbols], SPS)
    if noise:
        samples = samples + noise * np.random.default_rng(seed).standard_normal(samples.size)
    return Waveform(
        samples=samples,
        samples_per_symbol=SPS,
        symbol_rate_baud=100e9,
        symbols=symbols.astype(np.uint8),
        quantity="optical power",
        unit="W",
    )


def _q(x):
    return stats.norm.sf(x)


def test_statistical_ser_of_ideal_pam4_is_three_halves_q():
    sym = np.random.default_rng(1).integers(0, 4, 40000)
    sym[:4] = [0, 1, 2, 3]
    wave = _rectangular(sym)
    sigma = 0.5e-3 / 3.2  # q = half eye / σ = 3.2
    ser = symbol_error_ratio(wave, noise_sigma=sigma)
    counts = np.bincount(sym, minlength=4) / sym.size
    exact = (2 * counts[0] * 0 + counts[0] + 2 * counts[1] + 2 * counts[2] + counts[3]) * _q(3.2)
    np.testing.assert_allclose(ser, exact, rtol=1e-12)
    np.testing.assert_allclose(ser, 1.5 * _q(3.2), rtol=0.02)  # equiprobable levels


@pytest.mark.parametrize("q", [2.0, 2.6, 3.0])
def test_counted_ser_and_ber_match_closed_forms_and_opticommpy(q):
    """Ideal PAM4 in AWGN: counted SER within the 99.9 % binomial interval of 1.5·Q(q), BER of
    0.75·Q(q); the bit errors equal OptiCommPy's count on the same decision variable."""
    n = 400_000
    bits = np.random.default_rng(2).integers(0, 2, 2 * n).astype(np.uint8)
    sym = gray_pam4(bits)
    sigma = 0.5e-3 / q
    wave = _rectangular(sym, noise=sigma, seed=int(10 * q))
    result = count_errors(wave, phase=SPS // 2, thresholds=[1.5e-3, 2.5e-3, 3.5e-3])
    for measured, p, count in (
        (result["ser"], 1.5 * _q(q), n),
        (result["ber"], 0.75 * _q(q), 2 * n),
    ):
        low, high = stats.binom.interval(0.999, count, p)
        assert low / count <= measured <= high / count
    # OptiCommPy's minimum-distance Gray demapper on its levels -3, -1, 1, 3 (the same Gray map,
    # test_patterns) decides the same bits
    from optic.comm.modulation import demodulateGray

    y = (wave.by_symbol[:, SPS // 2] - 2.5e-3) / 0.5e-3
    theirs = demodulateGray(y, 4, "pam")
    assert int(np.count_nonzero(theirs != bits)) == result["bit_errors"]


def test_rlm_of_equal_and_compressed_levels():
    assert rlm([0.0, 1.0, 2.0, 3.0]) == pytest.approx(1.0, abs=1e-15)
    # inner levels pulled 0.1 of a step towards the middle
    levels = np.array([0.0, 1.1, 1.9, 3.0])
    mid = 1.5
    es = (levels[1] - mid) / (levels[0] - mid)
    assert rlm(levels) == pytest.approx(min(3 * es, 2 - 3 * es))
    assert rlm(levels) < 1.0


def test_eye_of_rectangular_pam4_reads_its_levels():
    sym = np.random.default_rng(3).integers(0, 4, 2000)
    eye = eye_diagram(_rectangular(sym))
    np.testing.assert_allclose(eye.level_means, LEVELS, rtol=1e-12)
    np.testing.assert_allclose(eye.thresholds, [1.5e-3, 2.5e-3, 3.5e-3], rtol=1e-12)
    np.testing.assert_allclose(eye.inner_heights, 1e-3, rtol=1e-12)
    np.testing.assert_allclose(eye.widths_ui, 1.0)
    assert eye.outer_oma == pytest.approx(3e-3)
    assert eye.extinction_ratio_db == pytest.approx(10 * np.log10(4.0))
    assert eye.histogram.sum() == (sym.size - 2) * 2 * SPS
    # heights at a noise σ: the eye shrinks by 2·Q⁻¹(target)·σ
    np.testing.assert_allclose(
        eye.heights(noise_sigma=1e-4, target_ser=1e-3),
        1e-3 - 2 * stats.norm.isf(1e-3) * 1e-4,
        rtol=1e-12,
    )


def test_a_bandwidth_limited_eye_is_narrower_and_lower():
    sym = np.random.default_rng(4).integers(0, 4, 4000)
    slow = Transmitter(symbol_rate_baud=25e9).modulate(sym)
    fast = Transmitter(symbol_rate_baud=50e9).modulate(sym)
    e_slow, e_fast = slow.eye(), fast.eye()
    assert np.all(e_fast.widths_ui < e_slow.widths_ui)
    assert np.all(e_fast.inner_heights / e_fast.outer_oma < e_slow.inner_heights / e_slow.outer_oma)
    frame = e_slow.to_dataframe()
    assert list(frame["eye"]) == [0, 1, 2]
    assert np.all(frame["width_ui"] > 0.3)


def test_delay_is_found_and_removed():
    sym = np.random.default_rng(5).integers(0, 4, 1000)
    wave = _rectangular(sym)
    late = Waveform(samples=np.roll(wave.samples, 13), samples_per_symbol=SPS,
                    symbol_rate_baud=100e9, symbols=wave.symbols, quantity="optical power",
                    unit="W")  # fmt: skip
    assert wave.delay_samples == 0 and late.delay_samples == 13
    np.testing.assert_array_equal(late.by_symbol, wave.by_symbol)


def test_equaliser_opens_an_isi_closed_eye_and_keeps_the_levels():
    sym = np.random.default_rng(6).integers(0, 4, 3000)
    # two-tap ISI: y_k = 0.75·x_k + 0.25·x_{k-1}, a closed inner eye without equaliser
    x = LEVELS[sym]
    y = 0.75 * x + 0.25 * np.roll(x, 1)
    wave = Waveform(samples=np.repeat(y, SPS), samples_per_symbol=SPS, symbol_rate_baud=100e9,
                    symbols=sym.astype(np.uint8), quantity="optical power", unit="W")  # fmt: skip
    assert wave.eye().inner_heights.min() < 0.6e-3
    fixed, taps = equalise(wave, taps=7, precursors=0)
    np.testing.assert_allclose(fixed.eye().inner_heights, 0.75e-3, rtol=1e-3)  # ISI gone
    # least squares keeps the levels on average (0.3 % for this 3000-symbol pattern)
    np.testing.assert_allclose(fixed.mean_levels(), wave.mean_levels(), rtol=5e-3)
    assert taps[0] == pytest.approx(1.0, rel=1e-2) and taps.sum() == pytest.approx(
        0.75 / 1.0, rel=0.4
    )
    with pytest.raises(ValueError, match="precursors"):
        equalise(wave, taps=3, precursors=3)


def test_statistical_eye_at_the_eyes_thresholds_sums_to_the_ser():
    """At the sampling phase the three eyes' SER at their thresholds add up to
    symbol_error_ratio with the same thresholds (1e-12); each eye's SER rises as the
    threshold moves off its centre."""
    sym = np.random.default_rng(7).integers(0, 4, 3000)
    x = LEVELS[sym]
    y = 0.85 * x + 0.15 * np.roll(x, 1)
    wave = Waveform(samples=np.repeat(y, SPS), samples_per_symbol=SPS, symbol_rate_baud=100e9,
                    symbols=sym.astype(np.uint8), quantity="optical power", unit="W")  # fmt: skip
    sigma = 0.1e-3
    stat = statistical_eye(wave, noise_sigma=sigma, amplitude_points=301)
    means = wave.mean_levels()
    centre = np.flatnonzero(stat.time_ui == 0.0)[0]
    rows = [np.argmin(np.abs(stat.amplitude - 0.5 * (means[m] + means[m + 1]))) for m in range(3)]
    expected = symbol_error_ratio(wave, noise_sigma=sigma, thresholds=stat.amplitude[rows])
    assert stat.ser[rows, centre].sum() == pytest.approx(expected, rel=1e-12)
    for row in rows:
        assert stat.ser[row - 30, centre] > stat.ser[row, centre] < stat.ser[row + 30, centre]
    assert np.isfinite(stat.ser).all()  # thresholds span the lowest to the highest mean
    assert stat.plot().get_xlabel().startswith("Sampling phase")
