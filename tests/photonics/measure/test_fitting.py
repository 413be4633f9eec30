"""The batched ring-model fit against the rings that made the traces.

Reference ring (conftest): R = 10 µm, n_g 4.2, 300 dB/m, κ² = 0.01, so a = 0.99783 > r = 0.99499
(over-coupled), FWHM ≈ 21 pm sampled every 1 pm, under a curved grating-coupler envelope.
"""

import numpy as np
import pytest

from cposim.photonics.measure import fit_spectra, fit_spectrum

LOSS_DB_PER_M = 300.0
KAPPA2 = 0.01


def exact(ring, table):
    """The ring's own resonance metrics at the fitted resonances."""
    lam = ring.resonance_m(table["wavelength_m"].to_numpy())
    return {
        "wavelength_m": lam,
        "q_loaded": ring.q_loaded(lam),
        "extinction_db": ring.extinction_ratio_db(lam),
        "fwhm_m": ring.fwhm_m(lam),
    }


def test_noiseless_all_pass_recovers_the_ring(ring, synthetic_trace):
    fit = fit_spectrum(
        synthetic_trace(ring),
        ring_length_m=float(ring.round_trip_length_m),
        coupling="over",
        neff_hint=2.4,
    )
    table = fit.to_dataframe()
    assert len(table) == 3 and (table["fit_flags"] == "").all()
    for name, value in exact(ring, table).items():
        np.testing.assert_allclose(table[name], value, rtol=1e-9, err_msg=name)
    np.testing.assert_allclose(table["loss_db_per_m"], LOSS_DB_PER_M, rtol=1e-6)
    np.testing.assert_allclose(table["power_coupling_in"], KAPPA2, rtol=1e-7)
    np.testing.assert_allclose(table["group_index"], 4.2, rtol=1e-3)
    assert table["coupling_resolved"].all() and (table["coupling"] == "over").all()


@pytest.mark.parametrize(
    ("rings", "drop_coupling"),
    [
        (dict(power_coupling_in=0.01, power_coupling_drop=0.01), "symmetric"),
        (dict(power_coupling_in=0.005, power_coupling_drop=0.02), 0.02),
    ],
)
def test_noiseless_add_drop_through_port(make_ring, synthetic_trace, rings, drop_coupling):
    ring = make_ring(**rings)
    fit = fit_spectrum(
        synthetic_trace(ring),
        ring_length_m=float(ring.round_trip_length_m),
        drop_coupling=drop_coupling,
    )
    table = fit.to_dataframe()
    # Symmetric: unique. Known κ2² > κ1²: the other branch needs a = r1/r2 > 1.
    assert table["coupling_resolved"].all()
    for name in ("power_coupling_in", "power_coupling_drop"):
        np.testing.assert_allclose(table[name], rings[name], rtol=1e-6, err_msg=name)
    np.testing.assert_allclose(table["loss_db_per_m"], LOSS_DB_PER_M, rtol=1e-5)
    for name, value in exact(ring, table).items():  # Q to a few 1e-9 (all-pass: 1e-10)
        np.testing.assert_allclose(table[name], value, rtol=1e-7, err_msg=name)


def test_rings_reproduce_the_fitted_resonances(ring, synthetic_trace):
    trace = synthetic_trace(ring, noise=2e-3, seed=3)
    fit = fit_spectrum(trace, ring_length_m=float(ring.round_trip_length_m), coupling="over")
    rings, table = fit.rings(), fit.to_dataframe()
    lam = table["wavelength_m"].to_numpy()
    np.testing.assert_allclose(rings.resonance_m(lam), lam, rtol=0, atol=1e-15)
    np.testing.assert_allclose(rings.q_loaded(lam), table["q_loaded"], rtol=1e-6)
    np.testing.assert_allclose(rings.extinction_ratio_db(lam), table["extinction_db"], rtol=1e-6)
    # The fitted ring under the envelope is the fitted model over each window.
    for k, (lo, hi) in enumerate(fit.bounds):
        window = trace.wavelength_m[lo:hi]
        one = type(rings)(**{f: np.asarray(getattr(rings, f))[k] for f in _RING_FIELDS})
        envelope = fit.baseline.envelope(window) * fit.fits.level[k]
        np.testing.assert_allclose(one.through(window) * envelope, fit.model(k, window), rtol=2e-3)


_RING_FIELDS = (
    "radius_m", "neff", "ng", "wavelength0_m", "loss_db_per_m", "power_coupling_in",
    "power_coupling_drop",
)  # fmt: skip


def test_numba_equals_the_scipy_reference(make_ring, synthetic_trace):
    traces = [
        synthetic_trace(make_ring(power_coupling_in=k), noise=5e-3, seed=s, name=f"k{k}")
        for s, k in enumerate((0.006, 0.01, 0.02))
    ]
    options = dict(ring_length_m=2 * np.pi * 10e-6, coupling="shared-loss")
    numba = fit_spectra(traces, engine="numba", **options)
    scipy = fit_spectra(traces, engine="scipy", **options)
    for a, b in zip(numba, scipy, strict=True):
        np.testing.assert_allclose(a.fits.theta, b.fits.theta, rtol=1e-6, atol=1e-12)
        ta, tb = a.to_dataframe(), b.to_dataframe()
        numeric = [c for c in ta.columns if ta[c].dtype.kind == "f" and c != "rss"]
        for column in numeric:
            np.testing.assert_allclose(ta[column], tb[column], rtol=1e-6, err_msg=column)
        assert (ta["coupling"] == tb["coupling"]).all()


@pytest.fixture(scope="module")
def noisy_fits(make_ring, synthetic_trace):
    """300 resonances: 100 traces of the reference ring with 1 % additive noise."""
    ring = make_ring()
    traces = [synthetic_trace(ring, noise=1e-2, seed=s, name=str(s)) for s in range(100)]
    fits = fit_spectra(traces, ring_length_m=float(ring.round_trip_length_m), coupling="over")
    return ring, traces, fits


COVERED = ("wavelength_m", "q_loaded", "extinction_db", "loss_db_per_m", "power_coupling_in")


def test_reported_uncertainties_cover_the_truth(noisy_fits):
    """95 % intervals hold the truth 95 % of the time: over 300 resonances the binomial σ of the
    rate is 1.3 %, so the rate must lie within 0.95 ± 0.04 (3σ)."""
    ring, _, fits = noisy_fits
    table = _table(fits)
    truth = exact(ring, table) | {
        "loss_db_per_m": LOSS_DB_PER_M,
        "power_coupling_in": KAPPA2,
    }
    for name in COVERED:
        z = (table[name] - truth[name]) / table[f"{name}_sigma"]
        assert abs(np.mean(np.abs(z) < 1.96) - 0.95) < 0.04, name


def test_uncertainties_reach_the_cramer_rao_bound(noisy_fits, envelope):
    """The bound from an independent Fisher matrix (finite differences of ``Ring.through`` in
    λ0, loss, κ², level and slope, weighted by each point's noise): reported σ of loss and κ²
    within 10 % of it on average, and the scatter of the estimates within 12 % (3σ of a
    standard deviation estimated from 300 values)."""
    ring, traces, fits = noisy_fits
    table = _table(fits)
    bounds = [_cramer_rao(ring, traces[0], fits[0], k, envelope) for k in range(3)]
    bound = {name: np.tile([b[name] for b in bounds], len(fits)) for name in bounds[0]}
    truth = {"loss_db_per_m": LOSS_DB_PER_M, "power_coupling_in": KAPPA2}
    for name, value in truth.items():
        assert np.mean(table[f"{name}_sigma"] / bound[name]) == pytest.approx(1.0, abs=0.1)
        assert np.std((table[name] - value) / bound[name]) == pytest.approx(1.0, abs=0.12)


def _table(fits):
    import pandas as pd

    return pd.concat([f.to_dataframe() for f in fits], ignore_index=True)


def _cramer_rao(ring, trace, fit, k, envelope):
    lo, hi = fit.bounds[k]
    lam = trace.wavelength_m[lo:hi]
    t = (lam - lam.mean()) / (0.5 * (lam[-1] - lam[0]))
    sigma = 1e-2 * envelope(1551e-9) / envelope(lam)  # additive noise after normalising

    def data(theta):
        shift, loss, kappa2, level, slope = theta
        shifted = type(ring)(
            radius_m=ring.radius_m, neff=ring.neff, ng=ring.ng,
            wavelength0_m=ring.wavelength0_m + shift, loss_db_per_m=loss,
            power_coupling_in=kappa2, power_coupling_drop=0.0,
        )  # fmt: skip
        return shifted.through(lam) * (level + slope * t)

    theta = np.array([0.0, LOSS_DB_PER_M, KAPPA2, 1.0, 0.0])
    steps = np.array([1e-15, 1e-3, 1e-7, 1e-6, 1e-6])
    jacobian = np.stack(
        [
            (data(theta + d) - data(theta - d)) / (2 * s)
            for d, s in zip(np.diag(steps), steps, strict=True)
        ],
        axis=1,
    )
    fisher = jacobian.T @ (jacobian / sigma[:, None] ** 2)
    bound = np.sqrt(np.diag(np.linalg.inv(fisher)))
    return {"loss_db_per_m": bound[1], "power_coupling_in": bound[2]}


def test_one_trace_leaves_the_coupling_open_with_both_solutions(ring, synthetic_trace):
    length = float(ring.round_trip_length_m)
    trace = synthetic_trace(ring, noise=1e-3)
    table = fit_spectrum(trace, ring_length_m=length).to_dataframe()
    a, r = float(ring.round_trip_amplitude), float(ring.self_coupling_in)
    assert not table["coupling_resolved"].any()
    # The through port cannot tell a ↔ r: each branch holds the other's value.
    np.testing.assert_allclose(table["a_over"], a, rtol=2e-4)
    np.testing.assert_allclose(table["r_over"], r, rtol=2e-4)
    np.testing.assert_allclose(table["a_under"], r, rtol=2e-4)
    np.testing.assert_allclose(table["r_under"], a, rtol=2e-4)
    hinted = fit_spectrum(trace, ring_length_m=length, coupling="under").to_dataframe()
    assert hinted["coupling_resolved"].all()
    np.testing.assert_allclose(hinted["a"], table["a_under"], rtol=1e-12)


def test_a_family_sharing_one_loss_resolves_each_ring(make_ring, synthetic_trace):
    """κ² = 0.001 is under-coupled (r > a), 0.01 and 0.03 over-coupled, one loss for all."""
    rings = [make_ring(power_coupling_in=k) for k in (0.001, 0.01, 0.03)]
    traces = [synthetic_trace(x, noise=2e-3, seed=i, name=str(i)) for i, x in enumerate(rings)]
    length = float(rings[0].round_trip_length_m)
    fits = fit_spectra(traces, ring_length_m=length, coupling="shared-loss")
    for fit, expected in zip(fits, ("under", "over", "over"), strict=True):
        table = fit.to_dataframe()
        assert (table["coupling"] == expected).all() and table["coupling_resolved"].all()
        np.testing.assert_allclose(table["loss_db_per_m"], LOSS_DB_PER_M, rtol=0.05)


def test_split_and_asymmetric_resonances_are_flagged(ring, synthetic_trace):
    clean = synthetic_trace(ring, noise=1e-3)
    lam = clean.wavelength_m
    centre = ring.resonance_m(np.array([1550e-9]))[0]
    fwhm = ring.fwhm_m(np.array([centre]))[0]
    # Backscatter doublet: two dips 1.5 linewidths apart at the middle resonance only.
    doublet = ring.through(lam - 0.75 * fwhm) * ring.through(lam + 0.75 * fwhm)
    near = np.abs(lam - centre) < 0.4 * ring.fsr_m(np.array([centre]))[0]
    split = clean.transmission * np.where(near, doublet / ring.through(lam), 1.0)
    # Self-heating: the blue side of the dip dragged out 2.5× (a triangular resonance).
    stretched = np.where(lam < centre, centre + 0.4 * (lam - centre), lam)
    skew = clean.transmission * np.where(near, ring.through(stretched) / ring.through(lam), 1.0)
    length = float(ring.round_trip_length_m)
    for data, flag in ((split, "split"), (skew, "asymmetric")):
        table = fit_spectrum(type(clean)(lam, data, name=flag), ring_length_m=length).to_dataframe()
        middle = int(np.argmin(np.abs(table["wavelength_m"] - centre)))
        assert flag in table["fit_flags"][middle].split(",")
        others = table["fit_flags"].drop(index=middle)
        assert (others == "").all(), others


def test_too_coarse_a_sweep_is_refused(ring, synthetic_trace):
    with pytest.raises(ValueError, match="fewer than 4 points per linewidth"):
        fit_spectrum(synthetic_trace(ring, step_m=10e-12), ring_length_m=6.3e-5)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (dict(coupling="sideways"), "coupling"),
        (dict(window_fwhm=0.5), "window_fwhm"),
        (dict(baseline_degree=-1), "degree"),
        (dict(engine="gpu"), "engine"),
        (dict(drop_coupling=1.5), "drop_coupling"),
        (dict(ring_length_m=-1.0), "ring_length_m"),
    ],
)
def test_bad_options_name_the_field(ring, synthetic_trace, options, message):
    with pytest.raises(ValueError, match=message):
        fit_spectra([synthetic_trace(ring)], **options)
