"""The time-domain ISI table: it reproduces the single-pole model where that model is exact,
moves the way the physics says, and interpolates per lane."""

import numpy as np
import pytest

from cposim.photonics.link.lanes import single_pole_isi_closure
from cposim.photonics.link.parameters import LinkParameters
from cposim.photonics.timedomain import Driver, Waveform, isi_table, pattern_symbols, penalty

GRID = {"fwhm_scales": (0.9, 1.1), "detuning_m": (-5e-12, 5e-12)}


def test_closure_of_a_first_order_response_is_the_single_pole_factor():
    """PAM4 through an exact first-order response (closed form per sample, sampled at the end
    of each sample interval): the worst-case eyes at the best phase (the symbol's end) give
    ``p = exp(-2π·f·T)``, the single-pole model's factor, to 1e-6 (PRBS9's history of a few
    symbols leaves p^5 ≈ 1e-8 out)."""
    sps, baud, f = 32, 50e9, 30e9
    symbols = pattern_symbols("prbs9", modulation="pam4")
    levels = np.array([1.0, 1.6, 2.3, 3.0])
    decay = np.exp(-2 * np.pi * f / (baud * sps))
    y, out = levels[symbols[-1]], []
    for _ in range(3):  # periodic steady state
        out = []
        for sym in symbols:
            for _ in range(sps):
                y = levels[sym] + (y - levels[sym]) * decay
                out.append(y)
    wave = Waveform(samples=np.array(out), samples_per_symbol=sps, symbol_rate_baud=baud,
                    symbols=symbols, quantity="photocurrent", unit="A")  # fmt: skip
    expected = np.exp(-2 * np.pi * f / baud)
    assert penalty._closure(wave, levels) == pytest.approx(expected, abs=1e-6)


def test_slower_driver_and_no_equaliser_close_the_eye_more():
    link = LinkParameters.dr_lane()
    fast = isi_table(link, driver=Driver(bandwidth_hz=80e9), **GRID)
    slow = isi_table(link, driver=Driver(bandwidth_hz=40e9), **GRID)
    bare = isi_table(link, driver=Driver(bandwidth_hz=80e9), ffe_taps=1, **GRID)
    assert np.all(slow.closure > fast.closure)
    assert np.all(bare.closure > fast.closure)
    assert np.all(fast.noise_enhancement >= 0.9)
    # and a broader ring (shorter photon lifetime) closes it less
    assert np.all(fast.closure[1] < fast.closure[0])


def test_interpolation_is_exact_at_nodes_and_clamped_outside():
    table = isi_table(LinkParameters.dr_lane(), **GRID)
    f, d = np.meshgrid(table.fwhm_m, table.detuning_m, indexing="ij")
    np.testing.assert_allclose(
        table.closure_at(modulator_fwhm_m=f, modulator_detuning_m=d), table.closure, rtol=1e-12
    )
    outside = table.closure_at(modulator_fwhm_m=10 * table.fwhm_m[-1], modulator_detuning_m=1e-9)
    assert outside == pytest.approx(table.closure[-1, -1])
    mid = table.closure_at(modulator_fwhm_m=table.fwhm_m.mean(), modulator_detuning_m=0.0)
    assert mid == pytest.approx(table.closure.mean())
    frame = table.to_dataframe()
    assert len(frame) == table.closure.size
    np.testing.assert_allclose(
        table.single_pole,
        single_pole_isi_closure(LinkParameters.dr_lane(), modulator_fwhm_m=table.fwhm_m[:, None])[
            :, 0
        ],
    )


def test_clear_errors():
    link = LinkParameters.dr_lane()
    with pytest.raises(ValueError, match="fwhm_scales"):
        isi_table(link, fwhm_scales=(1.0,))
    with pytest.raises(ValueError, match="detuning_m"):
        isi_table(link, detuning_m=(1e-12, 0.0))
    with pytest.raises(ValueError, match="FWHM"):
        isi_table(link, fwhm_scales=(1e-3, 1.0))
