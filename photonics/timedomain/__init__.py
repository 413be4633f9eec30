"""cposim.photonics.timedomain: the link in time — PAM4 waveforms, ring dynamics, eyes and TDECQ.

- :mod:`~cposim.photonics.timedomain.patterns`: PRBS7…31, PRBS13Q and SSPRQ test patterns, Gray
  coding and precoding;
- :mod:`~cposim.photonics.timedomain.filters`: low-pass responses (Bessel-Thomson, Gaussian,
  single pole) applied to one period of a periodic waveform;
- :mod:`~cposim.photonics.timedomain.cmt`: :class:`RingDynamics`, coupled-mode theory of a ring
  whose steady state is its exact Airy response, and its small-signal EO response;
- :mod:`~cposim.photonics.timedomain.transmitter`: :class:`Driver` and :class:`Transmitter`
  (driver → junction RC → ring → self-heating), :meth:`Transmitter.modulate`;
- :mod:`~cposim.photonics.timedomain.receiver`: :class:`Receiver` (fibre loss and dispersion,
  photodiode, shot/thermal/RIN noise, TIA), :meth:`Receiver.detect`;
- :mod:`~cposim.photonics.timedomain.waveform`: :class:`Waveform`, one period of samples;
- :mod:`~cposim.photonics.timedomain.eye`: :class:`EyeDiagram` (levels, RLM, OMA, ER, heights,
  widths), statistical SER and counted errors;
- :mod:`~cposim.photonics.timedomain.compliance`: :func:`tdecq` after IEEE 802.3 (reference
  receiver, optimised reference FFE, histogram windows, SER target 4.8e-4);
- :mod:`~cposim.photonics.timedomain.penalty`: :func:`isi_table`, the ISI factor of the link
  budget measured in time over linewidth × detuning, for the yield engine to interpolate;
- :mod:`~cposim.photonics.timedomain.plot`: waveforms, eyes, EO responses, ISI tables.

Data flow: pattern → driver → junction → ring (coupled-mode theory) → fibre → photodiode and
TIA → waveform → eye, TDECQ; → :class:`IsiTable` → the lane budget's ISI.
"""

from cposim.control.core.lazy import lazy_exports

_CATALOGUE = {
    "patterns": (
        "PATTERNS", "PRBS13Q_SEED", "PRBS_POLYNOMIALS", "SSPRQ_SECTIONS", "decode_precoded_pam4",
        "gray_pam4", "pam4_bits", "pattern_symbols", "prbs13q", "prbs_bits", "precode_pam4",
        "ssprq", "user_symbols",
    ),
    "filters": (
        "FILTER_KINDS", "RATIONAL_KINDS", "apply_lowpass", "lowpass_response", "rational_lowpass",
    ),
    "cmt": ("RingDynamics",),
    "transmitter": ("DE_CEA_THERMAL_TIME_CONSTANT_S", "Driver", "Transmitter"),
    "receiver": ("Receiver", "demultiplex", "disperse_power"),
    "waveform": ("Waveform",),
    "eye": (
        "EyeDiagram", "StatisticalEye", "count_errors", "equalise", "eye_diagram", "rlm",
        "statistical_eye", "symbol_error_ratio",
    ),
    "compliance": ("TDECQ_SER_TARGET", "TdecqResult", "TdecqSettings", "tdecq"),
    "penalty": ("IsiTable", "isi_table"),
    "plot": (
        "plot_eo_response", "plot_eye", "plot_isi_table", "plot_statistical_eye", "plot_tdecq",
        "plot_waveform",
    ),
}  # fmt: skip

__all__, __getattr__, __dir__ = lazy_exports(__name__, _CATALOGUE)
