"""Receiver and filters: the TIA's discrete filter against the analogue response, the noise
variance against the closed form, the kernel against the NumPy reference, dispersion."""

import numpy as np
import pytest
from scipy import integrate, signal

from cposim.photonics.link.parameters import LinkParameters
from cposim.photonics.timedomain import (
    Receiver,
    Transmitter,
    Waveform,
    _kernels,
    _reference,
    apply_lowpass,
    lowpass_response,
    pattern_symbols,
)
from cposim.photonics.units import ELEMENTARY_CHARGE_C

BAUD, SPS = 100e9, 16
FS = BAUD * SPS


def _sine_waveform(n_symbols, cycles, offset=1e-3, amplitude=1e-4):
    n = n_symbols * SPS
    t = np.arange(n)
    samples = offset + amplitude * np.sin(2 * np.pi * cycles * t / n)
    return Waveform(
        samples=samples,
        samples_per_symbol=SPS,
        symbol_rate_baud=BAUD,
        symbols=np.zeros(n_symbols, dtype=np.uint8),
        quantity="optical power",
        unit="W",
    )


@pytest.mark.parametrize("kind", ["bessel4", "single-pole"])
@pytest.mark.parametrize("frequency_hz", [5e9, 33e9, 66e9])
def test_tia_filter_follows_the_analogue_response(kind, frequency_hz):
    """A sinusoid through the TIA: amplitude and phase are H(f) within the first-order hold's
    error, which treats the input as linear between samples: ``(2π·f·h)²/12`` (1.4e-3 at
    33 GHz and 1.6 TS/s); tolerance 1.5× that."""
    n_symbols = 1000
    cycles = round(frequency_hz * n_symbols / BAUD)
    wave = _sine_waveform(n_symbols, cycles)
    rx = Receiver(kind=kind, dark_current_a=0.0)
    out = rx.detect(wave)
    k = cycles
    ratio = np.fft.rfft(out.samples)[k] / np.fft.rfft(wave.samples)[k] / rx.responsivity_a_per_w
    expected = lowpass_response(cycles * BAUD / n_symbols, bandwidth_hz=66e9, kind=kind)
    assert abs(ratio / expected - 1.0) < 1.5 * (2 * np.pi * frequency_hz / FS) ** 2 / 12
    # and the FFT path of filters.apply_lowpass agrees on the whole waveform
    fft = apply_lowpass(wave.samples, sample_rate_hz=FS, bandwidth_hz=66e9, kind=kind)
    ac = (out.samples / rx.responsivity_a_per_w - fft) / 1e-4  # relative to the sine amplitude
    assert np.abs(ac).max() < 1.5 * (2 * np.pi * frequency_hz / FS) ** 2 / 12


def test_noise_variance_is_the_closed_form():
    """At constant light the output variance is (i_n² + 2qI + RIN·I²)·B_n with the analogue
    noise bandwidth B_n = π/2·f_3dB of a single pole, within the Monte Carlo error (4 %: 1.3e5
    correlated samples)."""
    rx = Receiver(kind="single-pole", rin_db_per_hz=-135.0)
    n_symbols = 2**13
    flat = Waveform(
        samples=np.full(n_symbols * SPS, 2e-3),
        samples_per_symbol=SPS,
        symbol_rate_baud=BAUD,
        symbols=np.zeros(n_symbols, dtype=np.uint8),
        quantity="optical power",
        unit="W",
    )
    noisy = rx.detect(flat, rng=np.random.default_rng(4)).samples
    current = rx.responsivity_a_per_w * 2e-3 + rx.dark_current_a
    density = (
        rx.tia_noise_density_a_per_sqrt_hz**2
        + 2 * ELEMENTARY_CHARGE_C * current
        + 10 ** (-13.5) * current**2
    )
    band = np.pi / 2 * 66e9
    np.testing.assert_allclose(noisy.var(), density * band, rtol=0.04)
    np.testing.assert_allclose(noisy.mean(), current, rtol=1e-3)


def test_bessel_noise_bandwidth_is_the_integral_of_its_power_response():
    rx = Receiver(kind="bessel4", bandwidth_hz=40e9)
    b, a = signal.bessel(4, 2 * np.pi * 40e9, analog=True, norm="mag")
    f = np.linspace(0, 2e12, 400001)
    power = np.abs(signal.freqs(b, a, worN=2 * np.pi * f)[1]) ** 2
    np.testing.assert_allclose(rx.noise_bandwidth_hz, integrate.trapezoid(power, f), rtol=1e-4)


def test_receiver_kernel_matches_numpy_reference():
    rx = Receiver(kind="bessel4")
    sym = pattern_symbols("prbs9", modulation="pam4")
    power = np.stack([Transmitter().modulate(np.roll(sym, i)).samples for i in range(2)])
    terms = rx.kernel_terms(sample_interval_s=1 / FS, gain_a_per_w=[0.5, 0.7], warmup_samples=200)
    normals = np.random.default_rng(0).standard_normal(power.shape)
    fast, ref = np.empty_like(power), np.empty_like(power)
    _kernels.receive(terms, power, normals, fast)
    _reference.receive(terms, power, normals, ref)
    np.testing.assert_allclose(fast, ref, rtol=1e-12)


def test_dispersion_is_an_all_pass_that_broadens():
    tx = Transmitter()
    sym = pattern_symbols("prbs9", modulation="pam4")
    wave = tx.modulate(sym, return_field=True)
    rx = Receiver()
    plain = rx.detect(wave)
    none = rx.detect(wave, dispersion_s_per_m=1e-15)  # ~0: same as plain
    np.testing.assert_allclose(none.samples, plain.samples, rtol=1e-6)
    far = rx.detect(wave, dispersion_s_per_m=3.5e-3 * 10)  # 10 km at 3.5 ps/(nm·km)
    np.testing.assert_allclose(far.samples.mean(), plain.samples.mean(), rtol=1e-9)
    assert np.abs(far.samples - plain.samples).max() > 0.01 * plain.samples.max()
    with pytest.raises(ValueError, match="return_field"):
        rx.detect(tx.modulate(sym), dispersion_s_per_m=1e-3)


def test_from_link_takes_the_link_receiver():
    link = LinkParameters()
    rx = Receiver.from_link(link)
    assert rx.bandwidth_hz == link.receiver_bandwidth_hz
    assert rx.tia_noise_density_a_per_sqrt_hz == link.tia_noise_density_a_per_sqrt_hz


def test_clear_errors():
    with pytest.raises(ValueError, match="kind"):
        Receiver(kind="gaussian")
    with pytest.raises(ValueError, match="responsivity_a_per_w"):
        Receiver(responsivity_a_per_w=0.0)
    with pytest.raises(ValueError, match="channel_loss_db"):
        Receiver().detect(_sine_waveform(10, 1), channel_loss_db=-1.0)


def test_demultiplexer_drop_port_is_the_static_drop_slowly_and_filters_fast():
    """CW light (a constant field) through the demux ring's dynamics gives the ring's static
    Airy drop transmission at its detuning (1e-9); a 100 GBd PAM4 field is low-passed by the
    ring's linewidth (its eye closes relative to the undemultiplexed one)."""
    from cposim.photonics.devices.ring import Ring
    from cposim.photonics.timedomain import demultiplex

    ring = Ring()
    tx = Transmitter()
    sym = pattern_symbols("prbs7", modulation="pam4")
    cw = Waveform(samples=np.full(sym.size * SPS, 1e-3), samples_per_symbol=SPS,
                  symbol_rate_baud=BAUD, symbols=sym, quantity="optical power", unit="W",
                  field=np.full(sym.size * SPS, np.sqrt(1e-3), dtype=complex))  # fmt: skip
    lam = tx.modulator.wavelength_m
    for detuning in (0.0, 30e-12, -80e-12):
        dropped = demultiplex(cw, ring=ring, detuning_m=detuning, wavelength_m=lam)
        resonance = float(ring.resonance_m(lam))
        heat = (lam + detuning - resonance) / float(ring.thermal_shift_m_per_k(resonance))
        assert float(ring.resonance_m(lam, delta_t_k=heat)) == pytest.approx(lam + detuning)
        expected = float(ring.drop(lam, delta_t_k=heat))
        np.testing.assert_allclose(dropped.samples / 1e-3, expected, rtol=1e-9)
    wave = tx.modulate(sym, return_field=True)
    dropped = demultiplex(wave, ring=ring, wavelength_m=lam)
    closure = dropped.eye().inner_heights.min() / dropped.eye().outer_oma
    assert closure < wave.eye().inner_heights.min() / wave.eye().outer_oma
    with pytest.raises(ValueError, match="drop"):
        demultiplex(wave, ring=Ring(power_coupling_drop=0.0), wavelength_m=lam)
