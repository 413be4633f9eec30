"""Plots of control results: loop margins (Bode), tuning plans and locking traces.

Each function takes the result object first and an optional Axes, and returns the Axes; the
results' ``.plot()`` methods call them. Plotting never computes physics; matplotlib is imported
only when something is drawn.
"""

from __future__ import annotations

import numpy as np


def loop_analysis(analysis, ax=None):
    """Loop-gain magnitude (dB) against frequency with the crossover marked; returns Axes.

    Parameters
    ----------
    analysis : LoopAnalysis
        What to draw.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into.
    """
    from cposim.control.core.plotstyle import axes, label

    ax = axes(ax)
    ax.semilogx(analysis.frequency_hz, 20.0 * np.log10(np.abs(analysis.loop_response)), lw=1.2)
    ax.axhline(0.0, color="0.4", lw=0.8)
    if np.isfinite(analysis.gain_crossover_hz):
        ax.axvline(analysis.gain_crossover_hz, color="C3", lw=0.8, ls="--")
    return label(
        ax,
        x="frequency (Hz)",
        y="|loop gain| (dB)",
        title=f"phase margin {analysis.phase_margin_deg:.0f}°, gain margin "
        f"{analysis.gain_margin_db:.1f} dB",
    )


def tuning_plans(batch, ax=None):
    """Histogram of the total heater power of the feasible banks (mW); returns the Axes.

    Parameters
    ----------
    batch : TuningPlanBatch
        What to draw.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into.
    """
    from cposim.control.core.plotstyle import axes, label

    ax = axes(ax)
    feasible = batch.total_power_w[batch.feasible]
    ax.hist(feasible * 1e3, bins=40, color="C0", alpha=0.8)
    share = feasible.size / max(batch.n_banks, 1)
    return label(ax, x="total heater power (mW)", y="banks", title=f"feasible banks: {share:.1%}")


def locking(result, ax=None, *, bank: int = 0):
    """Detuning of one bank's rings against time, in pm, with the ±FWHM/10 band.

    Parameters
    ----------
    result : LockingResult
        What to draw.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into.
    bank : int
        Bank to draw.
    """
    from cposim.control.core.plotstyle import axes, label

    ax = axes(ax)
    time_us = result.time_s * 1e6
    for ring in range(result.detuning_m.shape[1]):
        ax.plot(time_us, result.detuning_m[bank, ring] * 1e12, lw=0.8)
    band = 0.1 * float(np.median(result.fwhm_m[bank])) * 1e12
    ax.axhspan(-band, band, color="0.5", alpha=0.15, lw=0, label="±FWHM/10")
    ax.legend(loc="upper right", frameon=False)
    locked = int(result.locked[bank].sum())
    return label(
        ax,
        x="time (µs)",
        y="detuning laser − ring (pm)",
        title=f"bank {bank}: {locked}/{result.locked.shape[1]} rings locked",
    )


__all__ = [
    "locking",
    "loop_analysis",
    "tuning_plans",
]
