"""Ring-to-bus evanescent coupler: gap and waveguide width → power coupling κ².

Fitted form (coupled-mode theory for two weakly coupled waveguides; Chrostowski & Hochberg,
*Silicon Photonics Design*, Cambridge 2015, ch. 4: the cross-coupled field grows as
``sin(C·L_eff)`` with a coupling coefficient ``C`` that decays exponentially with the gap at the
evanescent decay constant of the mode):

    κ_field(g, w) = sin(θ_ref · exp(-γ(w)·g + γ_ref·g_ref)),
    γ(w) = (2π/λ)·√(n_eff(w)² - n_clad²),   n_eff(w) = n_eff,ref + dn_eff/dw·(w - w_ref),
    κ² = κ_field².

``θ_ref = arcsin(√κ²_ref)`` pins the curve to one measured or simulated point (κ²_ref at g_ref and
w_ref); ``γ`` then sets how fast coupling falls with the gap, and a wider waveguide (higher
n_eff, faster evanescent decay) couples less. This captures the two fabrication sensitivities
the variation engine needs (gap and width); it ignores the coupler's phase and the bend-induced
change of interaction length, which a user calibrates away through κ²_ref.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cposim.control.core.validation import check_range


@dataclass(frozen=True, kw_only=True)
class EvanescentCoupler:
    """Gap/width → power-coupling model of a point coupler between a ring and a bus.

    Parameters
    ----------
    reference_gap_m : float
        Gap, metres, at which ``reference_power_coupling`` holds (> 0). Default 200e-9, a
        typical O-band ring-bus gap (assumption).
    reference_power_coupling : float
        κ² at the reference gap and width (0 < κ² < 1). Default 0.05: the coupling of the default
        :class:`~cposim.photonics.devices.ring.Ring` (loaded Q ≈ 4000).
    reference_width_m : float
        Waveguide width, metres, at the reference point (> 0). Default 400e-9 (400×220 nm
        strip of the default ring).
    wavelength_m : float
        Wavelength in metres. Default 1300.05e-9 (CW-WDM MSA grid centre).
    neff_reference : float
        Mode effective index at the reference width (> cladding index). Default 2.60
        (*estimated* with a mode solver, an assumption to calibrate against your process).
    dneff_dwidth_per_m : float
        dn_eff/dw in 1/m. Default 1.906e6, from dλ/dw ≈ 0.59 nm/nm (*estimated* with a mode
        solver, an assumption to calibrate against your process) through
        dλ/dw = λ·(dn_eff/dw)/n_g with n_g = 4.2 at 1300 nm.
    cladding_index : float
        Cladding refractive index (≥ 1). Default 1.4468, fused silica at 1.31 µm (Malitson,
        J. Opt. Soc. Am. 55, 1205 (1965)).
    """

    reference_gap_m: float = 200e-9
    reference_power_coupling: float = 0.05
    reference_width_m: float = 400e-9
    wavelength_m: float = 1300.05e-9
    neff_reference: float = 2.60
    dneff_dwidth_per_m: float = 1.906e6
    cladding_index: float = 1.4468

    def __post_init__(self):
        check_range(
            "reference_gap_m", self.reference_gap_m, low=0.0, high=1e-5, low_inclusive=False
        )
        check_range(
            "reference_power_coupling",
            self.reference_power_coupling,
            low=0.0,
            high=1.0,
            low_inclusive=False,
            high_inclusive=False,
        )
        check_range(
            "reference_width_m", self.reference_width_m, low=0.0, high=1e-4, low_inclusive=False
        )
        check_range("wavelength_m", self.wavelength_m, low=1e-7, high=1e-4)
        check_range("cladding_index", self.cladding_index, low=1.0)
        check_range(
            "neff_reference", self.neff_reference, low=self.cladding_index, low_inclusive=False
        )
        check_range("dneff_dwidth_per_m", self.dneff_dwidth_per_m)

    def decay_constant_per_m(self, width_m=None):
        """Evanescent field decay constant ``γ(w)`` in 1/m.

        Parameters
        ----------
        width_m : float or array_like, optional
            Waveguide width in metres; the reference width when omitted.
        """
        width = (
            self.reference_width_m
            if width_m is None
            else check_range("width_m", width_m, low=0.0, low_inclusive=False)
        )
        neff = self.neff_reference + self.dneff_dwidth_per_m * (width - self.reference_width_m)
        if np.any(neff <= self.cladding_index):
            raise ValueError(
                f"width_m gives n_eff <= cladding_index={self.cladding_index} (mode cut off); "
                "use a wider waveguide or a smaller dneff_dwidth_per_m"
            )
        return 2.0 * np.pi / self.wavelength_m * np.sqrt(neff**2 - self.cladding_index**2)

    def power_coupling(self, gap_m, width_m=None):
        """Power coupling κ² (dimensionless, 0…1) for the given gap and width.

        Parameters
        ----------
        gap_m : float or array_like
            Edge-to-edge gap between ring and bus in metres (> 0).
        width_m : float or array_like, optional
            Waveguide width in metres (broadcasts with ``gap_m``); the reference width when
            omitted.
        """
        gap = check_range("gap_m", gap_m, low=0.0, low_inclusive=False)
        theta_ref = np.arcsin(np.sqrt(self.reference_power_coupling))
        gamma_ref = self.decay_constant_per_m()
        theta = theta_ref * np.exp(
            -self.decay_constant_per_m(width_m) * gap + gamma_ref * self.reference_gap_m
        )
        # Past full transfer (θ > π/2) a point coupler couples back; clip to the physical hump
        # so κ² stays monotone in the gap over the model's range of validity.
        return np.sin(np.minimum(theta, np.pi / 2.0)) ** 2


__all__ = [
    "EvanescentCoupler",
]
