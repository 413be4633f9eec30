"""The coupler and fiber envelope of a trace, fitted to its off-resonance points and removed.

A grating coupler's transmission is close to a Gaussian in wavelength, a parabola in dB
(Chrostowski & Hochberg, *Silicon Photonics Design*, Cambridge University Press (2015),
ch. 5); edge couplers and fibre-to-fibre references are nearly flat. The envelope is a
polynomial in dB (degree 2 is the Gaussian), fitted by iterated clipping: points more than
``clip_sigma`` robust standard deviations below the fit (resonance dips) are left out and the
fit repeated until the set of off-resonance points stops changing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cposim.control.core.validation import check_integer, check_range
from cposim.photonics.measure.traces import SpectrumTrace
from cposim.photonics.units import db_to_linear

_MAD_TO_SIGMA = 1.4826  # σ of a normal distribution per median absolute deviation


@dataclass(frozen=True)
class Baseline:
    """A fitted envelope of one trace.

    Parameters
    ----------
    coefficients : ndarray
        Polynomial coefficients in dB (numpy ``Polynomial`` convention, lowest first) of the
        variable ``(λ - centre_m)/half_span_m``.
    centre_m, half_span_m : float
        Centre and half span of the trace, metres.
    off_resonance : ndarray of bool
        Points the final fit used.
    noise_db : float
        Robust standard deviation of the off-resonance points about the envelope, dB.
    iterations : int
        Clipping passes until the point set was stable.
    """

    coefficients: np.ndarray
    centre_m: float
    half_span_m: float
    off_resonance: np.ndarray
    noise_db: float
    iterations: int

    def envelope_db(self, wavelength_m) -> np.ndarray:
        """The envelope in dB.

        Parameters
        ----------
        wavelength_m : array_like
            Wavelengths, metres.
        """
        x = (np.asarray(wavelength_m, dtype=float) - self.centre_m) / self.half_span_m
        return np.polynomial.polynomial.polyval(x, self.coefficients)

    def envelope(self, wavelength_m) -> np.ndarray:
        """The envelope, linear.

        Parameters
        ----------
        wavelength_m : array_like
            Wavelengths, metres.
        """
        return db_to_linear(self.envelope_db(wavelength_m))


_FIT_POINTS = 4000
"""Most samples the clipping iterations fit (the final classification uses every sample)."""


def fit_baseline(
    trace: SpectrumTrace, *, degree: int = 3, clip_sigma: float = 2.5, max_iterations: int = 50
) -> Baseline:
    """Fit the envelope of ``trace`` to its off-resonance points.

    Parameters
    ----------
    trace : SpectrumTrace
        The measured trace.
    degree : int
        Polynomial degree in dB (0…12). Default 3: a Gaussian coupler response (degree 2) with
        a little asymmetry; use 0 or 1 for edge-coupled or referenced traces.
    clip_sigma : float
        Points this many robust standard deviations below the fit are treated as resonance
        dips (> 0). Default 2.5 (assumption: keeps ≈ 99 % of Gaussian noise, drops the dips).
    max_iterations : int
        Limit on clipping passes (≥ 1).

    Returns
    -------
    Baseline
    """
    degree = check_integer("degree", degree, low=0)
    if degree > 12:
        raise ValueError(f"degree = {degree} is out of range; allowed 0..12")
    clip_sigma = float(check_range("clip_sigma", clip_sigma, low=0.0, low_inclusive=False))
    max_iterations = check_integer("max_iterations", max_iterations, low=1)
    lam, y = trace.wavelength_m, trace.transmission_db
    centre = 0.5 * (lam[0] + lam[-1])
    half_span = 0.5 * (lam[-1] - lam[0])
    x_all = (lam - centre) / half_span
    # Iterate on at most _FIT_POINTS evenly strided samples (a 4-coefficient envelope needs no
    # more; a 30 000-point sweep fitted whole cost 25 ms per trace), then classify every point.
    stride = -(-lam.size // _FIT_POINTS)
    x, y_all, y = x_all[::stride], y, y[::stride]
    keep = np.ones(x.size, dtype=bool)
    for passes in range(1, max_iterations + 1):  # noqa: B007 (reported after the loop)
        if keep.sum() <= degree + 1:
            raise ValueError(
                f"trace {trace.name!r}: only {int(keep.sum())} off-resonance points are left "
                f"for a degree-{degree} baseline; lower degree or raise clip_sigma"
            )
        coefficients = np.polynomial.polynomial.polyfit(x[keep], y[keep], degree)
        residual = y - np.polynomial.polynomial.polyval(x, coefficients)
        noise = _MAD_TO_SIGMA * np.median(np.abs(residual[keep] - np.median(residual[keep])))
        updated = residual > -clip_sigma * max(noise, 1e-12)
        if np.array_equal(updated, keep):
            break
        keep = updated
    residual = y_all - np.polynomial.polynomial.polyval(x_all, coefficients)
    off_resonance = residual > -clip_sigma * max(noise, 1e-12)
    return Baseline(coefficients, centre, half_span, off_resonance, float(noise), passes)


__all__ = [
    "Baseline",
    "fit_baseline",
]
