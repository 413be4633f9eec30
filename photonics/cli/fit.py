"""``cposim fit spectrum`` and ``cposim fit wafer``: measured data in.

``fit spectrum FILE`` fits every resonance of every trace of a CSV/TSV/Parquet file with the
ring model (:func:`cposim.photonics.measure.fit_spectra`) and writes ``resonances.csv`` (one row
per resonance, values with ``*_sigma`` columns and flags) and, per trace, the trace with its
envelope and fits and the fitted parameters against wavelength. ``fit wafer FILE`` calibrates
the variation model from a table of measured resonances
(:func:`cposim.photonics.measure.calibrate_variation`) and writes ``variation.toml`` (the
``[variation]`` section of a yield configuration), ``components.csv`` and the variogram, wafer
and residual maps.
"""

from __future__ import annotations

import re
from pathlib import Path


def _drop_coupling(text: str | None):
    if text is None or text == "symmetric":
        return text
    try:
        return float(text)
    except ValueError:
        raise ValueError(
            f"--drop-coupling = {text!r}; allowed: 'symmetric' or the drop coupler's κ² (0…1)"
        ) from None


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name) or "trace"


def _median_extinction_db(part) -> float:
    """Median extinction, with the measured dip depth where the fit cannot bound it."""
    import numpy as np

    unresolved = part["fit_flags"].str.contains("depth_unresolved")
    return float(np.nanmedian(part["extinction_db"].where(~unresolved, part["dip_depth_db"])))


def _fit_spectrum(args) -> int:
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd

    from cposim.photonics.measure import fit_spectra, read_spectra

    traces = read_spectra(
        args.file,
        wavelength_column=args.wavelength_column,
        power_columns=args.power_columns.split(",") if args.power_columns else None,
        wavelength_unit=args.wavelength_unit,
        power_unit=args.power_unit,
    )
    fits = fit_spectra(
        traces,
        ring_length_m=args.ring_length_m,
        coupling=args.coupling_hint,
        drop_coupling=_drop_coupling(args.drop_coupling),
        neff_hint=args.neff_hint,
        group_index_hint=args.group_index_hint,
        engine=args.engine,
    )
    args.out_dir.mkdir(parents=True, exist_ok=True)
    table = pd.concat([fit.to_dataframe() for fit in fits], ignore_index=True)
    table.to_csv(args.out_dir / "resonances.csv", index=False)
    print(f"{len(table)} resonances in {len(fits)} traces of {args.file}")
    print(f"  {'trace':<16} {'n':>3} {'λ (nm)':>17} {'Q loaded':>9} {'ER (dB)':>8} "
          f"{'n_g':>6} {'loss (dB/cm)':>12}  flags")  # fmt: skip
    for fit in fits:
        part = fit.to_dataframe()
        lam = part["wavelength_m"] * 1e9
        flagged = int((part["fit_flags"] != "").sum())
        print(
            f"  {fit.trace.name[:16]:<16} {len(part):>3} {lam.min():8.2f}-{lam.max():8.2f} "
            f"{np.nanmedian(part['q_loaded']):9.0f} {_median_extinction_db(part):8.2f} "
            f"{np.nanmedian(part['group_index']):6.3f} "
            f"{np.nanmedian(part['loss_db_per_m']) / 100:12.2f}  {flagged} flagged"
        )
        for kind in ("trace", "parameters"):
            ax = fit.plot(kind=kind)
            ax.figure.savefig(args.out_dir / f"{_safe_name(fit.trace.name)}_{kind}.png", dpi=120)
            plt.close(ax.figure)
    unresolved = int((~table["coupling_resolved"]).sum())
    if unresolved:
        print(f"  coupling unresolved on {unresolved} resonances: a and r of the under-coupled "
              "branch shown; give --coupling-hint or fit a family with shared-loss")  # fmt: skip
    print(f"table and plots written to {args.out_dir}")
    return 0


def _fit_wafer(args) -> int:
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd

    from cposim.photonics.measure import calibrate_variation

    if not args.file.exists():
        raise FileNotFoundError(f"no such wafer table: {args.file}")
    reader = pd.read_parquet if args.file.suffix == ".parquet" else pd.read_csv
    table = reader(args.file)
    if table.empty:
        raise ValueError(f"{args.file} holds no rows")
    result = calibrate_variation(
        table, kernel=args.kernel, n_bootstrap=args.n_bootstrap, rng=args.seed
    )
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "variation.toml").write_text(result.to_toml(), encoding="utf-8")
    components = result.to_dataframe()
    components.to_csv(args.out_dir / "components.csv", index=False)
    print(f"{len(table)} rings of {args.file} calibrated")
    print(components.to_string(index=False, max_rows=40))
    for kind in ("variogram", "wafer_map", "residual_map"):
        axes = result.plot(kind=kind)
        figure = np.atleast_1d(axes).ravel()[0].figure
        figure.savefig(args.out_dir / f"{kind}.png", dpi=120)
        plt.close(figure)
    print(f"variation.toml, components.csv and plots written to {args.out_dir}")
    return 0


def add_fit_parser(subparsers) -> None:
    """Add ``cposim fit`` and its sub-commands to the top-level parser.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        The top-level parser's sub-command registry.
    """
    fit = subparsers.add_parser("fit", help="fit measured spectra and wafer test data")
    fit_sub = fit.add_subparsers(dest="fit_command", required=True)

    spectrum = fit_sub.add_parser("spectrum", help="fit every resonance of measured traces")
    spectrum.add_argument("file", type=Path, help="CSV, TSV or Parquet file of traces")
    spectrum.add_argument(
        "--ring-length-m",
        type=float,
        default=None,
        help="round-trip length 2πR + 2·straight, metres",
    )
    spectrum.add_argument(
        "--coupling-hint",
        choices=("under", "over", "shared-loss"),
        default=None,
        help="resolve the under/over-coupling ambiguity",
    )
    spectrum.add_argument(
        "--drop-coupling", default=None, help="add-drop ring: 'symmetric' or the drop coupler's κ²"
    )
    spectrum.add_argument(
        "--neff-hint",
        type=float,
        default=None,
        help="effective index at the trace centre (numbers the orders)",
    )
    spectrum.add_argument(
        "--group-index-hint",
        type=float,
        default=None,
        help="group index for traces with a single resonance",
    )
    spectrum.add_argument("--wavelength-column", default=None)
    spectrum.add_argument("--power-columns", default=None, help="comma-separated column names")
    spectrum.add_argument("--wavelength-unit", default="auto")
    spectrum.add_argument("--power-unit", default="auto")
    spectrum.add_argument("--engine", choices=("numba", "scipy"), default="numba")
    spectrum.add_argument("--out-dir", type=Path, default=Path("spectrum-fit"))
    spectrum.set_defaults(handler=_fit_spectrum)

    wafer = fit_sub.add_parser("wafer", help="calibrate the variation model from wafer data")
    wafer.add_argument(
        "file",
        type=Path,
        help="CSV or Parquet table: lot, wafer, x_m, y_m (or die_x_m, die_y_m, "
        "ring_x_m, ring_y_m), resonance_m[, design, nominal_resonance_m]",
    )
    wafer.add_argument("--kernel", choices=("auto", "gaussian", "exponential"), default="auto")
    wafer.add_argument(
        "--n-bootstrap", type=int, default=200, help="bootstrap replicates for the intervals (≥ 20)"
    )
    wafer.add_argument("--seed", type=int, default=0)
    wafer.add_argument("--out-dir", type=Path, default=Path("wafer-fit"))
    wafer.set_defaults(handler=_fit_wafer)


__all__ = [
    "add_fit_parser",
]
