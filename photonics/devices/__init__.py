"""cposim.photonics.devices: the optical devices, each from its geometry and materials.

- :mod:`~cposim.photonics.devices.ring`: :class:`Ring`, the all-pass or add-drop microring
  (exact resonances, linewidth, Q, transmission of many rings × many wavelengths in Numba);
- :mod:`~cposim.photonics.devices.coupler`: :class:`EvanescentCoupler`, power coupling from gap
  and width;
- :mod:`~cposim.photonics.devices.lorentzian`: the periodic-Lorentzian form of a ring that the
  link and yield kernels use;
- :mod:`~cposim.photonics.devices.modulator`: :class:`RingModulator` (drive levels, bias,
  bandwidth, self-heating) and the compact :class:`ModulatorOperatingPoint` it hands to the link.

Data flow: geometry → :class:`Ring` → :class:`RingModulator` → operating point →
:mod:`cposim.photonics.link`. Fabricated rings come from :mod:`cposim.photonics.fab`.
"""

from cposim.control.core.lazy import lazy_exports

_CATALOGUE = {
    "ring": (
        "WAVELENGTH_RANGE_M",
        "Ring",
        "RingSpectrum",
    ),
    "coupler": ("EvanescentCoupler",),
    "lorentzian": (
        "airy_coefficient",
        "airy_fwhm_m",
        "lorentzian_dip",
        "lorentzian_peak",
    ),
    "modulator": (
        "BISTABILITY_THRESHOLD",
        "MODULATION_LEVELS",
        "OPERATING_POINT_ORIGINS",
        "SHIFT_MODELS",
        "LockedSelfHeating",
        "ModulatorLevels",
        "ModulatorOperatingPoint",
        "RingModulator",
        "SelfHeatingSweep",
        "isi_penalty_db",
        "level_metrics",
        "locked_self_heating",
        "modulation_levels",
    ),
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _CATALOGUE)
