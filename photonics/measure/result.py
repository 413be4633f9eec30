"""Results of spectrum fits: per-resonance ring parameters with uncertainties, and per trace.

Closed forms (Bogaerts et al., Laser Photonics Rev. 6, 47 (2012)) from the fitted ``p = r1·r2·a``,
``e = |r1 - r2·a|`` and ``P = n_g·L`` of :mod:`cposim.photonics.measure._kernels`:

- the two numbers ``(√(e² + 4p) ± e)/2`` are ``r1`` and ``r2·a`` in some order;
- FWHM from ``sin(π·d) = (1 - p)/(2√p)`` (``d`` the half width in cycles), exactly as
  :meth:`~cposim.photonics.devices.ring.Ring.fwhm_m`; loaded Q ``λ/FWHM``;
- extinction ``(e² + 4p)(1 - p)²/(e²(1 + p)²)``; intrinsic Q ``π·P/(λ·(-ln a))``, which
  needs no ring length; loss ``-20·log10(a)/L`` dB/m and κ² = ``1 - r²``, which do.

Uncertainties are first-order (delta method) from the fit covariance; they assume white noise
and a correct model (check ``reduced_chi2`` and the flags).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np
import pandas as pd

from cposim.photonics.devices.ring import Ring

_BRANCHES = ("under", "over")


@dataclass(frozen=True)
class ResonanceFits:
    """Fitted resonances (arrays, one entry per resonance).

    Parameters
    ----------
    theta, covariance : ndarray
        Fit parameters ``(x0, p, e, c0, c1)`` (shape ``(n, 5)``, dimensionless) and their
        covariance.
    centre_m, scale_m, half_span_m, phase_length_m : ndarray
        Window constants of the model (:class:`~cposim.photonics.measure.fitting._Windows`).
    rss, n_points, iterations, status : ndarray
        Residual sum of squares (linear transmission², dimensionless), count of points
        fitted, steps taken, kernel status.
    values, sigmas : dict
        ``wavelength_m``, ``fwhm_m``, ``q_loaded``, ``extinction_db`` and, per branch
        (``_under``/``_over`` suffix), ``a``, ``r`` (input self-coupling) and ``q_intrinsic``,
        with their standard deviations.
    coupling : ndarray
        Branch of each resonance: "under", "over" or "symmetric" (add-drop, r1 = r2).
    coupling_resolved : ndarray
        Boolean, false where the data could not decide (the under-coupled branch is then shown).
    drop_self_coupling : None, "symmetric" or float
        The add-drop assumption (None: all-pass).
    flags : tuple
        Per resonance, comma-separated: undersampled, not_converged, poor_fit, split,
        depth_unresolved (extinction σ is then infinite), asymmetric.
    """

    theta: np.ndarray
    covariance: np.ndarray
    centre_m: np.ndarray
    scale_m: np.ndarray
    half_span_m: np.ndarray
    phase_length_m: np.ndarray
    rss: np.ndarray
    n_points: np.ndarray
    iterations: np.ndarray
    status: np.ndarray
    values: dict
    sigmas: dict
    coupling: np.ndarray
    coupling_resolved: np.ndarray
    drop_self_coupling: object = None
    flags: tuple = ()

    @classmethod
    def from_parameters(
        cls, windows, theta, covariance, rss, iterations, status, *, drop_self_coupling
    ) -> ResonanceFits:
        """Derived quantities and their delta-method uncertainties from the kernel outputs."""
        constants = (windows.centre_m, windows.scale_m, windows.phase_length_m)
        values = _derived(theta[:, :3], *constants, drop_self_coupling)
        sigmas = _delta_method(theta[:, :3], covariance[:, :3, :3], constants, drop_self_coupling)
        n = theta.shape[0]
        symmetric = drop_self_coupling == "symmetric"
        return cls(
            theta=theta,
            covariance=covariance,
            centre_m=windows.centre_m,
            scale_m=windows.scale_m,
            half_span_m=windows.half_span_m,
            phase_length_m=windows.phase_length_m,
            rss=rss,
            n_points=windows.count.copy(),
            iterations=iterations,
            status=status,
            values=values,
            sigmas=sigmas,
            coupling=np.full(n, "symmetric" if symmetric else "under", dtype=object),
            coupling_resolved=np.full(n, symmetric),
            drop_self_coupling=drop_self_coupling,
            flags=("",) * n,
        )

    def __len__(self) -> int:
        return int(self.rss.size)

    @property
    def level(self) -> np.ndarray:
        """Off-resonance level ``c0`` of each window (baseline-removed, linear)."""
        return self.theta[:, 3]

    @property
    def depth_unresolved(self) -> np.ndarray:
        """True where ``e = |r1 - r2·a|`` is within 2σ of 0 (near critical coupling): the
        extinction is then bounded only from below, by the measured dip."""
        return _depth_unresolved(self.theta, self.covariance)

    @property
    def through_minimum(self) -> np.ndarray:
        """On-resonance transmission ``e²/(1 - p)²`` (linear, relative to the level)."""
        p, e = self.theta[:, 1], self.theta[:, 2]
        return e * e / (1.0 - p) ** 2

    def reduced_chi2(self, k: int, sigma: float) -> float:
        """``RSS/((n - 5)·σ²)`` of one resonance.

        Parameters
        ----------
        k : int
            Resonance index.
        sigma : float
            Noise standard deviation of the normalised transmission (linear, dimensionless).
        """
        return float(self.rss[k] / (max(self.n_points[k] - 5, 1) * sigma * sigma))

    def branch(self, name: str) -> np.ndarray:
        """Primary value of a quantity, each resonance's branch.

        Parameters
        ----------
        name : {"a", "r", "q_intrinsic"}
            Round-trip amplitude, input self-coupling or intrinsic Q (all dimensionless).
        """
        under, over = self.values[f"{name}_under"], self.values[f"{name}_over"]
        return np.where(self.coupling == "over", over, under)

    def branch_sigma(self, name: str) -> np.ndarray:
        """Standard deviation of :meth:`branch`.

        Parameters
        ----------
        name : {"a", "r", "q_intrinsic"}
            As :meth:`branch`.
        """
        under, over = self.sigmas[f"{name}_under"], self.sigmas[f"{name}_over"]
        return np.where(self.coupling == "over", over, under)

    def take(self, index) -> ResonanceFits:
        """A subset of the resonances.

        Parameters
        ----------
        index : slice or array_like
            Slice or integer indices of the resonances kept.
        """
        picked = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, np.ndarray):
                picked[item.name] = value[index]
            elif isinstance(value, dict):
                picked[item.name] = {k: v[index] for k, v in value.items()}
            elif isinstance(value, tuple):
                picked[item.name] = tuple(np.asarray(value, dtype=object)[index])
        return replace(self, **picked)

    def with_flags(self, flags) -> ResonanceFits:
        """The same fits with flags.

        Parameters
        ----------
        flags : sequence
            One string per resonance (comma-separated flag names).
        """
        return replace(self, flags=tuple(flags))

    def resolved(self, coupling) -> ResonanceFits:
        """Each resonance's coupling branch chosen; one that needs ``a > 1`` or ``r > 1`` never is.

        Parameters
        ----------
        coupling : {None, "under", "over", "shared-loss"}
            The rule (:mod:`~cposim.photonics.measure.fitting`).
        """
        if self.drop_self_coupling == "symmetric":
            return self
        feasible = {b: np.isfinite(self.values[f"a_{b}"]) for b in _BRANCHES}
        if coupling in _BRANCHES:
            chosen = np.full(len(self), coupling, dtype=object)
            certain = np.ones(len(self), dtype=bool)
        elif coupling == "shared-loss":
            chosen, certain = self._shared_loss_branches()
        else:
            chosen = np.full(len(self), "under", dtype=object)
            certain = np.zeros(len(self), dtype=bool)
        only_over = feasible["over"] & ~feasible["under"]
        only_under = feasible["under"] & ~feasible["over"]
        chosen = np.where(only_over, "over", np.where(only_under, "under", chosen))
        certain = certain | only_over | only_under
        return replace(self, coupling=chosen.astype(object), coupling_resolved=certain)

    def _shared_loss_branches(self):
        """Branches whose losses agree across the family: the common loss minimises the
        summed squared distance of each ring's nearer branch."""
        losses = {b: -np.log(self.values[f"a_{b}"]) / self.phase_length_m for b in _BRANCHES}
        candidates = np.concatenate([v[np.isfinite(v)] for v in losses.values()])
        if candidates.size == 0 or len(self) < 2:
            return np.full(len(self), "under", dtype=object), np.zeros(len(self), dtype=bool)

        def distance(branch, common):
            return np.nan_to_num(np.abs(losses[branch] - common), nan=np.inf)

        costs = [np.minimum(distance("under", c), distance("over", c)) ** 2 for c in candidates]
        common = candidates[int(np.argmin([c.sum() for c in costs]))]
        under, over = distance("under", common), distance("over", common)
        chosen = np.where(over < under, "over", "under").astype(object)
        spread = np.abs(losses["under"] - losses["over"])
        sigma = self.sigmas["a_under"] / np.maximum(self.values["a_under"], 1e-300)
        sigma = sigma / self.phase_length_m
        certain = spread > 3.0 * np.nan_to_num(sigma, nan=np.inf)
        return chosen, certain

    def to_dataframe(self) -> pd.DataFrame:
        """One row per resonance: values, ``*_sigma`` columns, branch and fit diagnostics."""
        columns = {}
        for name in ("wavelength_m", "fwhm_m", "q_loaded", "extinction_db"):
            columns[name] = self.values[name]
            columns[f"{name}_sigma"] = self.sigmas[name]
        for name in ("a", "r", "q_intrinsic"):
            columns[name] = self.branch(name)
            columns[f"{name}_sigma"] = self.branch_sigma(name)
        for branch in _BRANCHES:
            for name in ("a", "r"):
                columns[f"{name}_{branch}"] = self.values[f"{name}_{branch}"]
        columns["coupling"] = self.coupling
        columns["coupling_resolved"] = self.coupling_resolved
        columns["phase_length_m"] = self.phase_length_m
        columns["fsr_m"] = self.values["wavelength_m"] ** 2 / self.phase_length_m
        columns["n_points"] = self.n_points
        columns["rss"] = self.rss
        columns["iterations"] = self.iterations
        columns["status"] = self.status
        columns["fit_flags"] = list(self.flags)
        return pd.DataFrame(columns)


@dataclass(frozen=True)
class SpectrumFit:
    """Fit of one trace: the trace, its envelope, the resonances found and their fits.

    Parameters
    ----------
    trace : SpectrumTrace
    baseline : Baseline
    resonances : Resonances
    bounds : ndarray
        ``(start, stop)`` sample indices of each resonance's fit window.
    fits : ResonanceFits
    """

    trace: object
    baseline: object
    resonances: object
    bounds: np.ndarray
    fits: ResonanceFits

    def to_dataframe(self) -> pd.DataFrame:
        """One row per resonance (:meth:`ResonanceFits.to_dataframe`) with the trace name, the
        measured dip depth (a lower bound of the extinction, for "depth_unresolved" rows),
        order, group index and, with a ring length, loss in dB/m and κ² (with their 1σ from
        those of ``a`` and ``r``)."""
        table = self.fits.to_dataframe()
        table.insert(0, "trace", self.trace.name)
        table["dip_depth_db"] = self.resonances.depth_db
        table["order"] = self.resonances.order
        table["group_index"] = self.resonances.group_index
        length = self.resonances.ring_length_m
        a, r = self.fits.branch("a"), self.fits.branch("r")
        ring = self._ring_fields()
        table["loss_db_per_m"] = ring["loss_db_per_m"]
        table["loss_db_per_m_sigma"] = (
            20.0 / np.log(10.0) * self.fits.branch_sigma("a") / (a * length)
        )
        table["power_coupling_in"] = ring["power_coupling_in"]
        table["power_coupling_in_sigma"] = 2.0 * r * self.fits.branch_sigma("r")
        table["power_coupling_drop"] = ring["power_coupling_drop"]
        return table

    def _ring_fields(self) -> dict:
        """Loss (dB/m) and couplings (κ²) of each resonance's branch, as :class:`Ring` takes."""
        a, r = self.fits.branch("a"), self.fits.branch("r")
        return {
            "loss_db_per_m": -20.0 * np.log10(a) / self.resonances.ring_length_m,
            "power_coupling_in": 1.0 - r * r,
            "power_coupling_drop": 1.0 - _drop_r(self.fits.drop_self_coupling, r) ** 2,
        }

    def rings(self) -> Ring:
        """The fitted rings as one array-valued :class:`~cposim.photonics.devices.ring.Ring`.

        Each ring reproduces its resonance's fitted wavelength, linewidth and depth (the order
        is the measured one with ``neff_hint``; otherwise ``round(P/λ)``, which places the
        resonance and FSR exactly but not the thermal or dispersive behaviour).
        """
        length = self.resonances.ring_length_m
        if not np.isfinite(length):
            raise ValueError("rings() needs the fit to be given ring_length_m")
        lam = self.fits.values["wavelength_m"]
        order = np.where(
            np.isfinite(self.resonances.order),
            self.resonances.order,
            np.rint(self.fits.phase_length_m / lam),
        )
        return Ring(
            radius_m=np.full(lam.shape, length / (2.0 * np.pi)),
            neff=order * lam / length,
            ng=self.fits.phase_length_m / length,
            wavelength0_m=lam,
            **self._ring_fields(),
        )

    def model(self, k: int, wavelength_m) -> np.ndarray:
        """Fitted model of one resonance, envelope included (linear transmission).

        Parameters
        ----------
        k : int
            Resonance index.
        wavelength_m : array_like
            Wavelengths, metres.
        """
        from cposim.photonics.measure._reference import model

        f = self.fits
        window = model(
            f.theta[k], wavelength_m, f.centre_m[k], f.scale_m[k], f.half_span_m[k],
            f.phase_length_m[k],
        )  # fmt: skip
        return window * self.baseline.envelope(wavelength_m)

    def plot(self, ax=None, *, kind: str = "trace", resonance: int | None = None):
        """Plot the fit; returns the Axes.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw into.
        kind : {"trace", "resonance", "parameters"}
            As :func:`cposim.photonics.measure.plot.plot_spectrum_fit`.
        resonance : int, optional
            Resonance index for ``kind="resonance"`` (default the deepest).
        """
        from cposim.photonics.measure.plot import plot_spectrum_fit

        return plot_spectrum_fit(self, ax, kind=kind, resonance=resonance)


def _depth_unresolved(theta, covariance) -> np.ndarray:
    """``|e|`` (column 2 of ``theta``) within two of its standard deviations of 0."""
    return np.abs(theta[:, 2]) < 2.0 * np.sqrt(np.maximum(covariance[:, 2, 2], 0.0))


def _drop_r(drop_self_coupling, r):
    """Drop self-coupling r2 for each ring (1 for all-pass)."""
    if drop_self_coupling is None:
        return np.ones_like(r)
    if drop_self_coupling == "symmetric":
        return r
    return np.full_like(r, drop_self_coupling)


def _derived(params, centre, scale, phase_length, drop) -> dict:
    """Wavelength, FWHM, loaded Q, extinction and per branch a, r, intrinsic Q from (x0, p, e)."""
    x0, p, e = params[:, 0], params[:, 1], np.abs(params[:, 2])
    lam = centre + scale * x0
    root = np.sqrt(e * e + 4.0 * p)
    big, small = 0.5 * (root + e), 0.5 * (root - e)
    with np.errstate(invalid="ignore", divide="ignore"):
        sine = (1.0 - p) / (2.0 * np.sqrt(p))
        half = np.where(sine <= 1.0, np.arcsin(np.minimum(sine, 1.0)), np.nan) / np.pi
        inverse = 1.0 / lam
        # 1/(1/λ - h/P) - 1/(1/λ + h/P), written without the difference of two λ.
        fwhm = 2.0 * (half / phase_length) / (inverse**2 - (half / phase_length) ** 2)
        extinction = 10.0 * np.log10(root**2 * (1.0 - p) ** 2 / (e * e * (1.0 + p) ** 2))
        out = {
            "wavelength_m": lam,
            "fwhm_m": fwhm,
            "q_loaded": lam / fwhm,
            "extinction_db": extinction,
        }
        for branch, (r1, r2a) in zip(_BRANCHES, ((big, small), (small, big)), strict=True):
            if drop == "symmetric":
                r1, r2a = big, small  # r1 = r2 > r2·a: always the under branch
            r2 = _drop_r(drop, r1)
            a = r2a / r2
            bad = (a > 1.0) | (r1 > 1.0)
            out[f"a_{branch}"] = np.where(bad, np.nan, a)
            out[f"r_{branch}"] = np.where(bad, np.nan, r1)
            out[f"q_intrinsic_{branch}"] = np.where(
                bad, np.nan, np.pi * phase_length / (lam * -np.log(a))
            )
    return out


def _delta_method(params, covariance, constants, drop) -> dict:
    """First-order standard deviations of :func:`_derived` (central differences)."""
    sigma = np.sqrt(np.maximum(np.diagonal(covariance, axis1=1, axis2=2), 0.0))
    step = np.where(np.isfinite(sigma) & (sigma > 0), 1e-3 * sigma, 1e-9)
    gradients = []
    for j in range(params.shape[1]):
        up, down = params.copy(), params.copy()
        up[:, j] += step[:, j]
        down[:, j] -= step[:, j]
        high, low = _derived(up, *constants, drop), _derived(down, *constants, drop)
        gradients.append({k: (high[k] - low[k]) / (2.0 * step[:, j]) for k in high})
    out = {}
    for name in gradients[0]:
        g = np.stack([grad[name] for grad in gradients], axis=1)
        out[name] = np.sqrt(np.maximum(np.einsum("ni,nij,nj->n", g, covariance, g), 0.0))
    # Where e is within 2σ of 0 the extinction -20·log10(e) is unbounded above: no σ.
    unresolved = _depth_unresolved(params, covariance)
    out["extinction_db"] = np.where(unresolved, np.inf, out["extinction_db"])
    # λ = centre + scale·x0 exactly; a difference of two λ near 1.5 µm would lose 5 digits.
    out["wavelength_m"] = constants[1] * sigma[:, 0]
    return out


__all__ = [
    "ResonanceFits",
    "SpectrumFit",
]
