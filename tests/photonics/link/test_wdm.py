"""WDM grids and ring banks: presets, cascade drop spectra, Lorentzian crosstalk, pass-by."""

import dataclasses

import matplotlib.pyplot as plt
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cposim.photonics.devices.modulator import SPEED_OF_LIGHT_M_PER_S
from cposim.photonics.devices.ring import Ring
from cposim.photonics.link.lanes import evaluate_lanes
from cposim.photonics.link.parameters import LinkParameters
from cposim.photonics.link.wdm import GRID_PRESETS, ChannelGrid, DemuxBank, ModulatorBank

C = SPEED_OF_LIGHT_M_PER_S


@pytest.fixture(autouse=True)
def _close_figures():
    """Close the figures each test draws (matplotlib warns past 20 open figures)."""
    yield
    plt.close("all")


@pytest.mark.parametrize(
    ("name", "count", "spacing"),
    [
        ("cw-wdm-8x400", 8, 400e9),
        ("cw-wdm-8x200", 8, 200e9),
        ("cw-wdm-16x200", 16, 200e9),
        ("cw-wdm-32x100", 32, 100e9),
        ("dr", 1, 0.0),
    ],
)
def test_grid_presets(name, count, spacing):
    grid = ChannelGrid.preset(name)
    assert grid.n_channels == count
    f = grid.frequencies_hz
    np.testing.assert_allclose(-np.diff(f), spacing, rtol=1e-12)
    assert np.all(np.diff(grid.wavelengths_m) > 0)
    assert np.mean(f) == pytest.approx(C / GRID_PRESETS[name]["center_wavelength_m"], rel=1e-15)
    if name in ("cw-wdm-8x400", "cw-wdm-16x200", "cw-wdm-32x100"):  # MSA: ≈ 18 nm span
        assert (count * spacing * 1300.05e-9**2 / C) == pytest.approx(18e-9, rel=0.02)


def test_designed_bank_sits_on_grid():
    bank = DemuxBank.designed()
    np.testing.assert_allclose(bank.detuning_m(), 0.0, atol=1e-15)
    # FSR ≈ 8 × spacing (the WDMSim rule, github.com/wdmsim/wdm-simulator)
    fsr = bank.rings.fsr_m(bank.grid.wavelengths_m)
    spacing_m = 400e9 * bank.grid.wavelengths_m**2 / C
    np.testing.assert_allclose(fsr / spacing_m, 8.0, rtol=0.02)


@pytest.mark.parametrize("preset", ["cw-wdm-8x400", "cw-wdm-16x200"])
def test_crosstalk_matches_lorentzian_from_ring_fwhm(preset):
    """X[i, j] vs T0/(1 + (2Δf/FWHM)²), FWHM in Hz from the ring's own fwhm_m, T0 its drop on
    resonance, divided by the through loss of the rings before i.

    Well-separated channels up to FSR/8 away (x = πΔf/FSR ≤ π/8): the exact ring is an Airy
    function whose tail exceeds the Lorentzian by (x/sin x)² ≤ 5.3 %, so the tolerance is 6 %.
    Every channel, also the far ones (and the FSR wrap-around), matches the periodic form
    T0/(1 + (2F/π)²·sin²(πΔf/FSR)), F = FSR/FWHM, to 0.5 %.
    """
    bank = DemuxBank.designed(grid=ChannelGrid.preset(preset))
    x = bank.crosstalk_matrix()
    lam = bank.grid.wavelengths_m
    f = bank.grid.frequencies_hz
    fwhm_hz = C * bank.fwhm_m() / lam**2
    fsr_hz = C * bank.rings.fsr_m(lam) / lam**2
    n = bank.grid.n_channels
    checked = 0
    for i in range(n):
        t0 = float(bank.rings.drop(lam[i])[i])
        for j in range(n):
            if i == j:
                continue
            before = np.prod(bank.rings.through(lam[j])[:i]) * 10 ** (-0.05 * i / 10)
            delta = f[j] - f[i]
            measured = x[i, j] / before
            periodic = t0 / (
                1 + (2 * fsr_hz[i] / (np.pi * fwhm_hz[i]) * np.sin(np.pi * delta / fsr_hz[i])) ** 2
            )
            assert measured == pytest.approx(periodic, rel=5e-3)
            if abs(delta) <= fsr_hz[i] / 8 * 1.01:
                lorentz = t0 / (1 + (2 * delta / fwhm_hz[i]) ** 2)
                assert measured == pytest.approx(lorentz, rel=0.06)
                checked += 1
    assert checked >= n - 1


def test_fabrication_offset_flows_through_crosstalk():
    bank = DemuxBank.designed()
    rise = np.zeros(8)
    rise[3] = 15.0  # ring 3 runs 15 K hot: its resonance moves ≈ 0.95 nm toward channel 4
    hot = dataclasses.replace(bank, delta_t_k=rise)
    shift = float(bank.rings.thermal_shift_m_per_k(bank.grid.wavelengths_m)[3])
    assert hot.detuning_m()[3] == pytest.approx(15.0 * shift, rel=1e-9)
    assert hot.crosstalk_matrix()[3, 4] > 2.5 * bank.crosstalk_matrix()[3, 4]
    assert hot.drop_loss_db()[3] > bank.drop_loss_db()[3] + 1.0
    np.testing.assert_allclose(hot.crosstalk_matrix()[:3], bank.crosstalk_matrix()[:3])


def test_crosstalk_penalty_formula():
    bank = DemuxBank.designed()
    ratio = bank.crosstalk_ratio()
    assert np.all(np.diag(ratio) == 0.0)
    np.testing.assert_allclose(
        bank.crosstalk_penalty_db("nrz"), -10 * np.log10(1 - ratio.sum(axis=1)), rtol=1e-12
    )
    np.testing.assert_allclose(
        bank.crosstalk_penalty_db("pam4"), -10 * np.log10(1 - 3 * ratio.sum(axis=1)), rtol=1e-12
    )


def test_lane_kernel_agrees_with_exact_bank():
    """The lane kernel's Airy demux reproduces the exact cascade's pass-by loss
    to 0.01 dB and its crosstalk penalty to 10 % (equal-power channels, offsets included; a
    slow symbol rate removes ISI, which the kernel applies before crosstalk)."""
    rng = np.random.default_rng(4)
    bank = dataclasses.replace(DemuxBank.designed(), delta_t_k=rng.normal(0.0, 0.4, 8))
    inputs = bank.lane_inputs()
    params = LinkParameters(symbol_rate_baud=1e9)
    lanes = evaluate_lanes(params, **inputs)
    np.testing.assert_allclose(lanes.demux_pass_by_db, bank.pass_by_loss_db(), atol=0.01)
    crosstalk = lanes.penalties_db[:, 4]
    np.testing.assert_allclose(crosstalk, bank.crosstalk_penalty_db("pam4"), rtol=0.1)


def test_modulator_bank_pass_by():
    bank = ModulatorBank.designed()
    loss = bank.pass_by_loss_db()
    assert np.all(loss > 7 * 0.05) and np.all(loss < 7 * 0.05 + 0.3)
    spectrum = bank.spectrum(np.linspace(1290e-9, 1310e-9, 2001))
    assert spectrum.drop is None and spectrum.through.min() < 0.2
    assert spectrum.plot().get_xlabel() == "Wavelength (nm)"


def test_bank_spectrum_table_and_plot():
    spectrum = DemuxBank.designed().spectrum(np.linspace(1290e-9, 1310e-9, 501))
    table = spectrum.to_dataframe()
    assert list(table.columns[:3]) == ["wavelength_m", "through", "drop_0"]
    assert spectrum.plot().get_ylabel() == "Transmission (dB)"


@given(
    offsets=st.lists(st.floats(-3.0, 3.0), min_size=8, max_size=8), coupling=st.floats(0.01, 0.2)
)
def test_cascade_conserves_power(offsets, coupling):
    """Each channel's power split over all drop ports and the bus never exceeds 1."""
    bank = DemuxBank.designed(ring=Ring(power_coupling_in=coupling, power_coupling_drop=coupling))
    bank = dataclasses.replace(bank, delta_t_k=np.array(offsets))
    spectrum = bank.spectrum(bank.grid.wavelengths_m)
    total = spectrum.drop.sum(axis=0) + spectrum.through
    assert np.all(spectrum.drop >= 0.0)
    assert np.all(total <= 1.0 + 1e-12)


def test_bad_inputs_rejected():
    with pytest.raises(ValueError, match="name"):
        ChannelGrid.preset("cwdm4")
    with pytest.raises(ValueError, match="spacing_hz"):
        ChannelGrid(n_channels=4, spacing_hz=0.0)
    with pytest.raises(ValueError, match="one ring per channel"):
        DemuxBank(rings=Ring(radius_m=np.full(3, 3.6e-6)))
    with pytest.raises(ValueError, match="power_coupling_drop"):
        DemuxBank.designed(ring=Ring(power_coupling_drop=0.0))
    with pytest.raises(ValueError, match="wavelength_m"):
        DemuxBank.designed().spectrum(np.array([1300.0]))  # nm typed instead of metres
