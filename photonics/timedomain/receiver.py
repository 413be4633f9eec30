"""The channel and receiver in time: fibre loss and dispersion, photodiode, noise, TIA.

- **Channel.** Loss in dB on the power; chromatic dispersion, when given, as the all-pass phase
  ``exp(-j·β2·L·ω²/2)`` on the complex field (one period, in the frequency domain); in WDM
  links the demultiplexer ring's drop port with its own dynamics (:func:`demultiplex`).
- **Photodiode.** ``I = R·P + I_dark``.
- **Noise** at the TIA input with one-sided density ``i_n² + 2q·I + RIN·I²`` (the TIA's
  input-referred noise, shot noise and the laser's relative intensity noise as detected
  intensity noise, the link budget's assumption), one standard normal draw per sample from a
  NumPy ``Generator``, scaled so that the filtered output has the analogue variance
  ``density·B_n`` with ``B_n = ∫|H(f)|² df`` the TIA's noise bandwidth (π/2 of the 3 dB
  bandwidth for a single pole) — the physical noise is white beyond the simulated band too.
- **TIA** response: a low-pass of the receiver bandwidth (state space discretised with a
  first-order hold, exact for a signal linear between samples).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import integrate, signal

from cposim.control.core.validation import check_choice, check_range
from cposim.photonics.timedomain import _kernels
from cposim.photonics.timedomain.filters import RATIONAL_KINDS, lowpass_response, rational_lowpass
from cposim.photonics.timedomain.waveform import Waveform
from cposim.photonics.units import ELEMENTARY_CHARGE_C, SPEED_OF_LIGHT_M_PER_S


@dataclass(frozen=True, kw_only=True)
class Receiver:
    """Photodiode, TIA and the noise they add.

    Parameters
    ----------
    responsivity_a_per_w : float
        Photodiode responsivity, A/W (> 0). Default 0.9 (as
        :class:`~cposim.photonics.link.parameters.LinkParameters`).
    dark_current_a : float
        Photodiode dark current, A (≥ 0). Default 10e-9 (*assumption*: tens of nA at −1 V for a
        Ge-on-Si photodiode; a constant offset that the slicer thresholds absorb).
    tia_noise_density_a_per_sqrt_hz : float
        TIA input-referred noise density, A/√Hz (≥ 0). Default 7.6e-12 (as LinkParameters).
    bandwidth_hz : float
        3 dB bandwidth of photodiode and TIA, Hz (> 0). Default 66e9 (as LinkParameters).
    kind : {"bessel4", "gaussian", "single-pole"}
        Shape of the TIA response; ``"gaussian"`` has no state-space form and is not offered
        here. Default ``"single-pole"`` (the response LinkParameters' noise bandwidth π/2 means).
    rin_db_per_hz : float
        Laser relative intensity noise, dB/Hz (≤ −100; ``-inf`` for none). Default −145 (as
        LinkParameters).
    """

    responsivity_a_per_w: float = 0.9
    dark_current_a: float = 10e-9
    tia_noise_density_a_per_sqrt_hz: float = 7.6e-12
    bandwidth_hz: float = 66e9
    kind: str = "single-pole"
    rin_db_per_hz: float = -145.0

    def __post_init__(self):
        check_range(
            "responsivity_a_per_w",
            self.responsivity_a_per_w,
            low=0.0,
            high=2.0,
            low_inclusive=False,
        )
        check_range("dark_current_a", self.dark_current_a, low=0.0, high=1e-3)
        check_range(
            "tia_noise_density_a_per_sqrt_hz",
            self.tia_noise_density_a_per_sqrt_hz,
            low=0.0,
            high=1e-9,
        )
        check_range("bandwidth_hz", self.bandwidth_hz, low=0.0, low_inclusive=False)
        check_choice("kind", self.kind, RATIONAL_KINDS)
        check_range("rin_db_per_hz", self.rin_db_per_hz, high=-100.0, allow_inf=True)

    @classmethod
    def from_link(cls, link) -> Receiver:
        """The receiver of a :class:`~cposim.photonics.link.parameters.LinkParameters`.

        Parameters
        ----------
        link : LinkParameters
            Its responsivity, TIA noise density, receiver bandwidth and RIN are taken.
        """
        return cls(
            responsivity_a_per_w=link.responsivity_a_per_w,
            tia_noise_density_a_per_sqrt_hz=link.tia_noise_density_a_per_sqrt_hz,
            bandwidth_hz=link.receiver_bandwidth_hz,
            rin_db_per_hz=link.rin_db_per_hz,
        )

    def kernel_terms(self, *, sample_interval_s: float, gain_a_per_w, warmup_samples: int):
        """The kernel's receiver terms (filter and noise) for one sampling interval.

        Parameters
        ----------
        sample_interval_s : float
            Time between samples, s.
        gain_a_per_w : array_like
            Responsivity times channel transmission of each lane, A/W.
        warmup_samples : int
            Samples run before the period is recorded (a count).
        """
        ss = signal.tf2ss(*rational_lowpass(bandwidth_hz=self.bandwidth_hz, kind=self.kind))
        ad, bd, cd, dd, _ = signal.cont2discrete(ss, sample_interval_s, method="foh")
        # per-sample variance per unit density: output variance = density · noise bandwidth
        half_rate = self.noise_bandwidth_hz / _noise_gain(ad, bd[:, 0], cd[0], float(dd[0, 0]))
        return _kernels.ReceiverTerms(
            gain_a_per_w=np.ascontiguousarray(gain_a_per_w, dtype=np.float64),
            dark_current_a=float(self.dark_current_a),
            thermal_variance_a2=self.tia_noise_density_a_per_sqrt_hz**2 * half_rate,
            shot_variance_a2_per_a=2.0 * ELEMENTARY_CHARGE_C * half_rate,
            rin_variance_per_a2=10.0 ** (self.rin_db_per_hz / 10.0) * half_rate,
            state_matrix=np.ascontiguousarray(ad),
            input_matrix=np.ascontiguousarray(bd[:, 0]),
            output_matrix=np.ascontiguousarray(cd[0]),
            feedthrough=float(dd[0, 0]),
            warmup_samples=int(warmup_samples),
        )

    def detect(
        self,
        optical: Waveform,
        *,
        channel_loss_db: float = 0.0,
        rng=None,
        dispersion_s_per_m: float = 0.0,
        wavelength_m: float = 1300.05e-9,
    ) -> Waveform:
        """Photocurrent after the TIA for an optical waveform, A.

        Parameters
        ----------
        optical : Waveform
            Optical power at the transmitter output (with :attr:`Waveform.field` if dispersion
            is applied).
        channel_loss_db : float
            Loss between transmitter output and photodiode, dB (≥ 0).
        rng : numpy.random.Generator, optional
            Noise source; ``None`` gives the noiseless response.
        dispersion_s_per_m : float
            Accumulated dispersion ``D·L`` of the fibre, s/m (1 ps/(nm·km) over 1 km is
            1e-3 s/m); 0 skips it.
        wavelength_m : float
            Carrier wavelength for the dispersion, m.
        """
        check_range("channel_loss_db", channel_loss_db, low=0.0, high=100.0)
        power = optical.samples
        if dispersion_s_per_m != 0.0:
            power = disperse_power(
                optical, dispersion_s_per_m=dispersion_s_per_m, wavelength_m=wavelength_m
            )
        h = optical.sample_interval_s
        gain = self.responsivity_a_per_w * 10.0 ** (-channel_loss_db / 10.0)
        rx = self.kernel_terms(
            sample_interval_s=h, gain_a_per_w=[gain], warmup_samples=self._warmup_samples(h)
        )
        normals = np.empty((0, 0)) if rng is None else rng.standard_normal((1, power.size))
        current = np.empty((1, power.size))
        _kernels.receive(rx, np.ascontiguousarray(power[None, :]), normals, current)
        return optical.with_samples(current[0], quantity="photocurrent", unit="A")

    @property
    def noise_bandwidth_hz(self) -> float:
        """Noise bandwidth ``∫0^∞ |H(f)|² df`` of the TIA response, Hz."""
        if self.kind == "single-pole":
            return 0.5 * np.pi * self.bandwidth_hz
        return self.bandwidth_hz * integrate.quad(_bessel_power_response, 0.0, np.inf)[0]

    def _warmup_samples(self, sample_interval_s: float) -> int:
        """Samples of warm-up for the TIA to forget its zero initial state (40 time constants)."""
        return int(np.ceil(40.0 / (2.0 * np.pi * self.bandwidth_hz * sample_interval_s)))


def _bessel_power_response(x: float) -> float:
    return float(abs(lowpass_response(x, bandwidth_hz=1.0, kind="bessel4")) ** 2)


def _noise_gain(ad, bd, cd, dd, tolerance: float = 1e-15) -> float:
    """``Σ h[n]²`` of a discrete state-space filter's impulse response (run until it decays)."""
    x = bd.copy()
    total = dd * dd
    for _ in range(1_000_000):
        y = cd @ x
        total += y * y
        x = ad @ x
        if y * y < tolerance * total and np.abs(x).max() * np.abs(cd).max() < 1e-9 * np.sqrt(total):
            break
    return float(total)


def demultiplex(
    optical: Waveform, *, ring, detuning_m: float = 0.0, wavelength_m: float = 1300.05e-9
) -> Waveform:
    """The optical waveform at the drop port of a demultiplexer ring, with its dynamics.

    The ring's coupled-mode equation (:class:`~cposim.photonics.timedomain.cmt.RingDynamics`,
    steady state = the ring's Airy drop response) is integrated exactly per sample for the
    field of ``optical``; the ring sits ``detuning_m`` from the channel (a lock error). Only
    the channel's own light is followed: the neighbours' crosstalk stays the link budget's
    static estimate.

    Parameters
    ----------
    optical : Waveform
        With its complex :attr:`Waveform.field` (``modulate(..., return_field=True)``).
    ring : Ring
        The demultiplexer ring (add-drop, a single ring).
    detuning_m : float
        Ring resonance minus the channel wavelength, m.
    wavelength_m : float
        The channel (laser) wavelength, m.
    """
    from cposim.photonics.timedomain.cmt import RingDynamics

    if optical.field is None:
        raise ValueError("optical.field is None: modulate with return_field=True to demultiplex")
    check_range("detuning_m", detuning_m, low=-1e-6, high=1e-6)
    dyn = RingDynamics.from_ring(ring, wavelength_m=wavelength_m)
    if dyn.drop_coupling_per_s == 0.0:
        raise ValueError("ring.power_coupling_drop is 0: a demultiplexer needs a drop port")
    resonance = float(ring.resonance_m(wavelength_m))
    delta_t = (wavelength_m + detuning_m - resonance) / float(ring.thermal_shift_m_per_k(resonance))
    cycles = float(ring.round_trip_phase_cycles(wavelength_m, delta_t_k=delta_t))
    detuning = float(dyn.detuning_per_s(2.0 * np.pi * (cycles - np.round(cycles))))
    lam = complex(-dyn.decay_rate_per_s, detuning)
    h = optical.sample_interval_s
    step = np.exp(lam * h)
    source = -1j * np.sqrt(dyn.input_coupling_per_s) * (step - 1.0) / lam
    out = np.empty(optical.field.size, dtype=np.complex128)
    warmup = int(np.ceil(40.0 / (dyn.decay_rate_per_s * h)))  # amplitude down by e^-40
    _kernels.drop_port(np.ascontiguousarray(optical.field), step, source,
                       -1j * np.sqrt(dyn.drop_coupling_per_s), warmup, out)  # fmt: skip
    return Waveform(
        samples=np.abs(out) ** 2,
        samples_per_symbol=optical.samples_per_symbol,
        symbol_rate_baud=optical.symbol_rate_baud,
        symbols=optical.symbols,
        quantity="optical power",
        unit="W",
        field=out,
    )


def disperse_power(optical: Waveform, *, dispersion_s_per_m: float, wavelength_m: float):
    """Optical power after chromatic dispersion ``D·L`` applied to the field, W.

    Parameters
    ----------
    optical : Waveform
        With its complex :attr:`Waveform.field`.
    dispersion_s_per_m : float
        Accumulated dispersion ``D·L``, s/m (1 ps/(nm·km) over 1 km is 1e-3 s/m).
    wavelength_m : float
        Carrier wavelength, m.
    """
    if optical.field is None:
        raise ValueError("optical.field is None: modulate with return_field=True for dispersion")
    n = optical.field.size
    omega = 2.0 * np.pi * np.fft.fftfreq(n, d=optical.sample_interval_s)
    beta2_l = -dispersion_s_per_m * wavelength_m**2 / (2.0 * np.pi * SPEED_OF_LIGHT_M_PER_S)
    out = np.fft.ifft(np.fft.fft(optical.field) * np.exp(-0.5j * beta2_l * omega**2))
    return np.abs(out) ** 2


__all__ = ["Receiver", "demultiplex", "disperse_power"]
