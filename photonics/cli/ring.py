"""``cposim ring demo``: one ring's metrics and its spectrum plot."""

from __future__ import annotations

import dataclasses
from pathlib import Path


def _ring_demo(args) -> int:
    import numpy as np

    from cposim.photonics.devices.ring import Ring
    from cposim.photonics.units import linewidth_m_to_hz

    overrides = {
        f.name: getattr(args, f.name)
        for f in dataclasses.fields(Ring)
        if getattr(args, f.name) is not None
    }
    ring = Ring(**overrides)
    near = args.near_m
    resonance = float(ring.resonance_m(near))
    fwhm = float(ring.fwhm_m(near))
    rows = [
        ("resonance", f"{resonance * 1e9:.4f} nm"),
        ("free spectral range", f"{float(ring.fsr_m(near)) * 1e9:.3f} nm"),
        (
            "FWHM",
            f"{fwhm * 1e12:.1f} pm ({float(linewidth_m_to_hz(fwhm, resonance)) / 1e9:.1f} GHz)",
        ),
        ("loaded Q", f"{float(ring.q_loaded(near)):.0f}"),
        ("intrinsic Q", f"{float(ring.q_intrinsic(near)):.0f}"),
        ("finesse", f"{float(ring.finesse(near)):.1f}"),
        ("through extinction", f"{float(ring.extinction_ratio_db(near)):.2f} dB"),
        (
            "drop at resonance",
            f"{10 * np.log10(float(ring.drop(resonance))):.2f} dB"
            if ring.power_coupling_drop
            else "all-pass ring",
        ),
        ("thermal shift", f"{float(ring.thermal_shift_m_per_k(near)) * 1e12:.1f} pm/K"),
        ("coupling regime", str(ring.coupling_regime())),
    ]
    width = max(len(name) for name, _ in rows)
    print("Microring demo")
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")
    fsr = float(ring.fsr_m(near))
    wavelength_m = np.linspace(resonance - 1.2 * fsr, resonance + 1.2 * fsr, 4001)
    ax = ring.spectrum(wavelength_m).plot()
    ax.figure.savefig(args.out, dpi=120)
    print(f"spectrum written to {args.out}")
    return 0


def add_ring_parser(subparsers) -> None:
    """Add ``cposim ring`` and its sub-commands to the top-level parser.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        The top-level parser's sub-command registry.
    """
    from cposim.photonics.devices.ring import Ring

    ring = subparsers.add_parser("ring", help="microring tools")
    ring_sub = ring.add_subparsers(dest="ring_command", required=True)
    demo = ring_sub.add_parser("demo", help="print a ring's metrics and plot its spectrum")
    for field in dataclasses.fields(Ring):
        demo.add_argument(
            f"--{field.name.replace('_', '-')}",
            dest=field.name,
            type=float,
            default=None,
            help=f"(default {field.default})",
        )
    demo.add_argument(
        "--near-m",
        type=float,
        default=1300.05e-9,
        help="wavelength in metres around which to report the resonance",
    )
    demo.add_argument(
        "--out", type=Path, default=Path("ring_spectrum.png"), help="PNG file for the spectrum plot"
    )
    demo.set_defaults(handler=_ring_demo)


__all__ = [
    "add_ring_parser",
]
