"""Plots of time-domain results: waveforms, eye diagrams, EO responses, penalty tables.

Each function takes the result first and an optional Axes and returns the Axes; the results'
``.plot()`` methods call them. Plotting never computes physics; matplotlib is imported only when
something is drawn.
"""

from __future__ import annotations

import numpy as np

from cposim.control.core import plotstyle as style

_SCALE = {"W": (1e3, "mW"), "A": (1e6, "µA")}
"""Display scale and unit of each waveform unit."""


def plot_waveform(waveform, ax=None, *, symbols: int = 48):
    """The first ``symbols`` symbols of a waveform against time (ns); returns the Axes.

    Parameters
    ----------
    waveform : Waveform
        What to draw.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into.
    symbols : int
        Number of symbols drawn (a count).
    """
    ax = style.axes(ax, figsize=(8.0, 3.2))
    scale, unit = _SCALE.get(waveform.unit, (1.0, waveform.unit))
    n = min(int(symbols), waveform.symbols.size) * waveform.samples_per_symbol
    t_ns = waveform.time_s[:n] * 1e9
    ax.plot(t_ns, waveform.samples[:n] * scale, color="C0", lw=1.2)
    sps = waveform.samples_per_symbol
    starts = np.arange(0, n, sps)
    means = waveform.mean_levels()
    ax.step(
        t_ns[starts],
        means[waveform.symbols[: starts.size]] * scale,
        where="post",
        color="0.6",
        lw=0.8,
        label="level of the symbol sent",
    )
    ax.legend(loc="upper right", fontsize="small")
    style.label(
        ax,
        x="Time (ns)",
        y=f"{waveform.quantity.capitalize()} ({unit})",
        title=f"{waveform.symbol_rate_baud / 1e9:g} GBd, {waveform.levels} levels",
    )
    return ax


def plot_eye(eye, ax=None):
    """An eye diagram as a density image, thresholds dashed, sampling phase dotted.

    Parameters
    ----------
    eye : EyeDiagram
        What to draw.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into.
    """
    ax = style.axes(ax, figsize=(6.4, 4.4))
    scale, unit = _SCALE.get(eye.unit, (1.0, eye.unit))
    density = np.ma.masked_equal(eye.histogram, 0.0)
    ax.pcolormesh(
        eye.time_edges_ui,
        eye.amplitude_edges * scale,
        np.ma.log10(density),
        cmap="inferno",
        shading="flat",
    )
    for theta in eye.thresholds:
        ax.axhline(theta * scale, color="C0", ls="--", lw=0.8)
    ax.axvline(0.0, color="w", ls=":", lw=0.8)
    heights = ", ".join(f"{h * scale:.3g}" for h in eye.inner_heights)
    widths = ", ".join(f"{w:.2f}" for w in eye.widths_ui)
    style.label(
        ax,
        x="Time (UI)",
        y=f"Amplitude ({unit})",
        title=f"Eye: RLM {eye.rlm:.3f}, ER {eye.extinction_ratio_db:.2f} dB\n"
        f"inner heights {heights} {unit}; widths {widths} UI",
    )
    ax.grid(False)
    return ax


def plot_statistical_eye(eye, ax=None, *, levels=(1e-2, 1e-3, 1e-4, 1e-6, 1e-9, 1e-12)):
    """SER contours of a statistical eye over phase (UI) and threshold; returns the Axes.

    Parameters
    ----------
    eye : StatisticalEye
        What to draw.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into.
    levels : sequence of float
        SER values of the contour lines (fractions).
    """
    ax = style.axes(ax)
    scale, unit = _SCALE.get(eye.unit, (1.0, eye.unit))
    with np.errstate(divide="ignore"):
        log_ser = np.log10(np.maximum(eye.ser, 1e-300))
    lines = ax.contour(eye.time_ui, eye.amplitude * scale, log_ser,
                       levels=np.log10(sorted(levels)), cmap="viridis")  # fmt: skip
    ax.clabel(lines, fmt=lambda v: f"1e{v:.0f}", fontsize="small")
    style.label(ax, x="Sampling phase (UI)", y=f"Threshold ({unit})",
                title="Statistical eye: SER contours")  # fmt: skip
    return ax


def plot_eo_response(frequency_hz, responses, ax=None, *, labels=None):
    """Magnitude of EO responses (dB) against frequency (GHz); returns the Axes.

    Parameters
    ----------
    frequency_hz : array_like
        Frequencies, Hz.
    responses : array_like, shape (n_curves, n_frequencies)
        Complex responses normalised to 1 at DC.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into.
    labels : sequence of str, optional
        Legend label of each curve.
    """
    ax = style.axes(ax)
    f_ghz = np.asarray(frequency_hz) / 1e9
    for i, h in enumerate(np.atleast_2d(responses)):
        ax.plot(f_ghz, 20.0 * np.log10(np.abs(h)), label=None if labels is None else labels[i])
    ax.axhline(-3.0, color="0.5", ls=":", lw=0.8)
    if labels is not None:
        ax.legend(fontsize="small")
    style.label(ax, x="Frequency (GHz)", y="EO response (dB)", title="Small-signal EO response")
    return ax


def plot_isi_table(table, ax=None):
    """ISI penalty of equally spaced PAM4 levels against modulator FWHM (pm), one line per
    detuning, and the single-pole model dashed; returns the Axes.

    Parameters
    ----------
    table : IsiTable
        What to draw.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into.
    """
    ax = style.axes(ax)
    fwhm_pm = table.fwhm_m * 1e12
    penalty = table.penalty_db()
    for j, detuning in enumerate(table.detuning_m):
        ax.plot(fwhm_pm, penalty[:, j], "o-", ms=3, label=f"time domain, {detuning * 1e12:+.0f} pm")
    with np.errstate(divide="ignore", invalid="ignore"):
        single = np.where(
            1 - 4 * table.single_pole > 0, -10 * np.log10(1 - 4 * table.single_pole), np.nan
        )
    ax.plot(fwhm_pm, single, "k--", label="single-pole model")
    ax.legend(fontsize="small")
    taps = "no equaliser" if table.ffe_taps == 1 else f"{table.ffe_taps}-tap FFE"
    style.label(
        ax,
        x="Modulator FWHM (pm)",
        y="Worst-case ISI penalty (dB)",
        title=f"ISI at {table.symbol_rate_baud / 1e9:g} GBd, {taps}",
    )
    return ax


def plot_tdecq(result, ax=None):
    """The equalised eye of a TDECQ measurement (mW) with its two histogram windows and the
    three thresholds; returns the Axes.

    Parameters
    ----------
    result : TdecqResult
        What to draw.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into.
    """
    ax = style.axes(ax, figsize=(6.4, 4.4))
    sps = result.samples_per_symbol
    power_mw = result.equalized_w * 1e3
    t = (np.arange(power_mw.size) / sps - result.eye_center_ui + 1.0) % 2.0 - 1.0
    lo, hi = np.percentile(power_mw, (0.01, 99.99))
    image, _, _ = np.histogram2d(t, power_mw, bins=(2 * sps, 256), range=((-1, 1), (lo, hi)))
    ax.imshow(np.log1p(image.T), origin="lower", aspect="auto", extent=(-1, 1, lo, hi),
              cmap="inferno", interpolation="nearest")  # fmt: skip
    half, width = 0.5 * np.diff(result.window_times_ui)[0], result.window_width_ui
    for t_w in (-half, half):
        ax.axvspan(t_w - 0.5 * width, t_w + 0.5 * width, color="cyan", alpha=0.35)
    for p in result.thresholds_w * 1e3:
        ax.axhline(p, color="white", lw=0.8, ls="--")
    style.label(ax, x="Time from the eye centre (UI)", y="Equalised optical power (mW)",
                title=f"TDECQ {result.tdecq_db:.2f} dB (C_eq {result.ceq:.3f})")  # fmt: skip
    ax.grid(False)
    return ax


__all__ = [
    "plot_eo_response",
    "plot_eye",
    "plot_isi_table",
    "plot_statistical_eye",
    "plot_tdecq",
    "plot_waveform",
]
