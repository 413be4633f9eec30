"""Plots of spectrum fits: the trace with its envelope and fits, one resonance up close, and the
fitted parameters against wavelength.

Each function takes the result first and an optional Axes and returns the Axes; the results'
``.plot()`` methods call them. Plotting never computes physics.
"""

from __future__ import annotations

import numpy as np

from cposim.control.core import plotstyle as style
from cposim.photonics.units import linear_to_db

SPECTRUM_PLOTS = ("trace", "resonance", "parameters")
"""Kinds of :func:`plot_spectrum_fit`."""


def plot_spectrum_fit(fit, ax=None, *, kind: str = "trace", resonance: int | None = None):
    """Draw a :class:`~cposim.photonics.measure.result.SpectrumFit`; returns the Axes.

    Parameters
    ----------
    fit : SpectrumFit
        What to draw.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; a new figure is made when omitted.
    kind : {"trace", "resonance", "parameters"}
        The whole trace in dB with the envelope and every fitted resonance; one resonance in
        linear transmission with its fit and residual-free model; or loaded and intrinsic Q
        and extinction against wavelength with 1σ error bars.
    resonance : int, optional
        Which resonance ``kind="resonance"`` shows (default the deepest).
    """
    if kind not in SPECTRUM_PLOTS:
        raise ValueError(f"kind = {kind!r}; allowed {', '.join(SPECTRUM_PLOTS)}")
    return {"trace": _trace, "resonance": _resonance, "parameters": _parameters}[kind](
        fit, style.axes(ax), resonance
    )


def _trace(fit, ax, _):
    lam, nm = fit.trace.wavelength_m, fit.trace.wavelength_m * 1e9
    ax.plot(nm, fit.trace.transmission_db, color="0.55", lw=0.8, label="measured")
    ax.plot(nm, fit.baseline.envelope_db(lam), color="C1", lw=1.2, ls="--", label="envelope")
    for k, (lo, hi) in enumerate(fit.bounds):
        window = lam[lo:hi]
        ax.plot(window * 1e9, linear_to_db(fit.model(k, window)), color="C0", lw=1.2,
                label="ring-model fit" if k == 0 else None)  # fmt: skip
    style.label(
        ax,
        x="Wavelength (nm)",
        y="Transmission (dB)",
        title=f"{fit.trace.name}: {len(fit.bounds)} resonances fitted",
    )
    ax.legend(loc="lower left", fontsize="small")
    return ax


def _resonance(fit, ax, resonance):
    table = fit.fits
    k = int(np.argmin(table.through_minimum)) if resonance is None else int(resonance)
    lo, hi = fit.bounds[k]
    lam = fit.trace.wavelength_m[lo:hi]
    centre = table.values["wavelength_m"][k]
    offset_pm = (lam - centre) * 1e12
    envelope = fit.baseline.envelope(lam)
    dense = np.linspace(lam[0], lam[-1], 800)
    ax.plot(offset_pm, fit.trace.transmission[lo:hi] / envelope, ".", ms=3, color="0.45",
            label="measured / envelope")  # fmt: skip
    ax.plot((dense - centre) * 1e12, fit.model(k, dense) / fit.baseline.envelope(dense),
            color="C0", label="fit")  # fmt: skip
    q = table.values["q_loaded"][k]
    text = (
        f"λ = {centre * 1e9:.3f} nm\nQ_L = {q:,.0f} ± {table.sigmas['q_loaded'][k]:,.0f}\n"
        f"ER = {table.values['extinction_db'][k]:.2f} dB\ncoupling: {table.coupling[k]}"
        + ("" if table.coupling_resolved[k] else " (unresolved)")
    )
    ax.text(0.02, 0.04, text, transform=ax.transAxes, fontsize="small", va="bottom")
    style.label(
        ax,
        x=f"Wavelength − {centre * 1e9:.3f} nm (pm)",
        y="Transmission (linear)",
        title=f"{fit.trace.name}, resonance {k}",
    )
    ax.legend(loc="lower right", fontsize="small")
    return ax


def _parameters(fit, ax, _):
    table = fit.fits
    nm = table.values["wavelength_m"] * 1e9
    for name, label, colour in (
        ("q_loaded", "loaded Q", "C0"),
        ("q_intrinsic", "intrinsic Q", "C2"),
    ):
        value = table.values[name] if name in table.values else table.branch(name)
        sigma = table.sigmas[name] if name in table.sigmas else table.branch_sigma(name)
        ax.errorbar(nm, value, yerr=sigma, fmt="o", ms=4, capsize=2, color=colour, label=label)
    ax.set_yscale("log")
    style.label(ax, x="Wavelength (nm)", y="Quality factor", title=f"{fit.trace.name}: fitted Q")
    twin = ax.twinx()
    twin.plot(nm, table.values["extinction_db"], "s", ms=3, color="C3", label="extinction")
    twin.set_ylabel("Extinction ratio (dB)", color="C3")
    twin.spines[["top"]].set_visible(False)
    handles = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    ax.legend(handles=handles, loc="best", fontsize="small")
    return ax


__all__ = [
    "SPECTRUM_PLOTS",
    "plot_spectrum_fit",
]
