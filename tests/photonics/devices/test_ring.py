"""Microring model: closed forms (rtol 1e-12), exact resonance metrics, properties, kernels."""

import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cposim.photonics.devices import _reference as _ring_reference
from cposim.photonics.devices.ring import Ring

LAMBDA = np.linspace(1290e-9, 1320e-9, 4001)


def closed_form(ring, wavelength_m, delta_t_k=0.0):
    """Independent closed form via the NumPy reference."""
    return _ring_reference.reference_through_drop(
        radius_m=ring.radius_m,
        straight_length_m=ring.straight_length_m,
        neff=ring.neff,
        ng=ring.ng,
        wavelength0_m=ring.wavelength0_m,
        loss_db_per_m=ring.loss_db_per_m,
        power_coupling_in=ring.power_coupling_in,
        power_coupling_drop=ring.power_coupling_drop,
        dneff_dt_per_k=ring.dneff_dt_per_k,
        delta_t_k=delta_t_k,
        wavelength_m=wavelength_m,
    )


# ----------------------------------------------------------------------------- closed forms
def exact_power(ring, wavelength_m, delta_t_k=0.0):
    """Through and drop power and dT/dφ at 40 significant digits (mpmath), one ring."""
    import mpmath

    mpmath.mp.dps = 40
    mp = mpmath.mpf
    length = 2 * mpmath.pi * mp(ring.radius_m) + 2 * mp(ring.straight_length_m)
    lam0, n0, group = mp(ring.wavelength0_m), mp(ring.neff), mp(ring.ng)
    a = mpmath.power(10, -mp(ring.loss_db_per_m) * length / 20)
    r1 = mpmath.sqrt(1 - mp(ring.power_coupling_in))
    r2 = mpmath.sqrt(1 - mp(ring.power_coupling_drop))
    out = []
    for lam in map(mp, wavelength_m):
        n_eff = n0 - (group - n0) * (lam - lam0) / lam0 + mp(ring.dneff_dt_per_k) * delta_t_k
        phi = 2 * mpmath.pi * n_eff * length / lam
        den = 1 - 2 * r1 * r2 * a * mpmath.cos(phi) + (r1 * r2 * a) ** 2
        through = (r2**2 * a**2 - 2 * r1 * r2 * a * mpmath.cos(phi) + r1**2) / den
        drop = (1 - r1**2) * (1 - r2**2) * a / den
        # dT/dφ, used to scale the unavoidable effect of rounding the phase itself
        slope = 2 * r1 * r2 * a * mpmath.sin(phi) * (1 - through) / den
        out.append((float(through), float(drop), float(abs(slope) * phi)))
    return np.array(out).T


@pytest.mark.parametrize("drop", [0.0, 0.05, 0.2])
def test_transmission_equals_closed_form(drop):
    """rtol 1e-12 against the closed form evaluated in 40-digit arithmetic.

    Off resonance the transmission is as sensitive to the round-trip phase φ (~300 rad) as
    |dT/dφ|·φ; rounding φ in float64 alone moves T by about that times 1e-16, so the tolerance
    adds 64 ulp of the phase times that sensitivity (any float64 evaluation has this error).
    """
    ring = Ring(power_coupling_drop=drop, straight_length_m=1.5e-6, loss_db_per_m=3000.0)
    lam = LAMBDA[::20]
    through, drop_exact, phase_sensitivity = exact_power(ring, lam, 4.0)
    phase_rounding = 64 * np.finfo(float).eps * phase_sensitivity
    assert np.all(
        np.abs(ring.through(lam, delta_t_k=4.0) - through) <= 1e-12 * through + phase_rounding
    )
    assert np.all(
        np.abs(ring.drop(lam, delta_t_k=4.0) - drop_exact) <= 1e-12 * drop_exact + phase_rounding
    )


@pytest.mark.parametrize("drop", [0.0, 0.05])
def test_on_and_off_resonance_values_equal_closed_form(drop):
    ring = Ring(power_coupling_drop=drop, loss_db_per_m=3000.0)
    r1, r2a = ring.self_coupling_in, ring.self_coupling_drop * ring.round_trip_amplitude
    resonance = ring.resonance_m(1300e-9)
    anti_resonance = 0.5 * (resonance + ring.resonance_m(resonance + ring.fsr_m(1300e-9)))
    # On resonance dT/dφ = 0, so rounding the phase does not matter at first order.
    assert ring.through(resonance) == pytest.approx(
        (r2a - r1) ** 2 / (1 - r1 * r2a) ** 2, rel=1e-12
    )
    assert ring.through(anti_resonance) == pytest.approx(
        (r2a + r1) ** 2 / (1 + r1 * r2a) ** 2, rel=1e-6
    )  # half-way point is approximate


def test_field_versions_square_to_power():
    ring = Ring(power_coupling_drop=0.1)
    np.testing.assert_allclose(
        np.abs(ring.through_field(LAMBDA)) ** 2, ring.through(LAMBDA), rtol=1e-12, atol=1e-14
    )
    np.testing.assert_allclose(
        np.abs(ring.drop_field(LAMBDA)) ** 2, ring.drop(LAMBDA), rtol=1e-12, atol=1e-14
    )


def test_field_matches_bogaerts_complex_form():
    ring = Ring(power_coupling_in=0.08, power_coupling_drop=0.03, loss_db_per_m=500.0)
    n_eff = ring.neff_at(LAMBDA)
    phi = 2 * np.pi * n_eff * ring.round_trip_length_m / LAMBDA
    r1, r2, a = ring.self_coupling_in, ring.self_coupling_drop, ring.round_trip_amplitude
    expected_through = (r1 - r2 * a * np.exp(1j * phi)) / (1 - r1 * r2 * a * np.exp(1j * phi))
    expected_drop = (
        -np.sqrt(0.08 * 0.03 * a) * np.exp(0.5j * phi) / (1 - r1 * r2 * a * np.exp(1j * phi))
    )
    np.testing.assert_allclose(ring.through_field(LAMBDA), expected_through, rtol=1e-11)
    np.testing.assert_allclose(ring.drop_field(LAMBDA), expected_drop, rtol=1e-11)


def test_critical_coupling_gives_zero_on_resonance():
    # All-pass, critical when r = a.
    base = Ring(power_coupling_drop=0.0, loss_db_per_m=4000.0)
    kappa2 = 1.0 - base.round_trip_amplitude**2
    ring = Ring(power_coupling_drop=0.0, loss_db_per_m=4000.0, power_coupling_in=kappa2)
    assert ring.coupling_regime() == "critical"
    resonance = ring.resonance_m(1300e-9)
    # κ² = 1 - a² is itself rounded, so the ring is critical to about one ulp: T ≈ (ulp/(1-a))².
    assert ring.through(resonance) == pytest.approx(0.0, abs=1e-25)
    assert ring.extinction_ratio_db(1300e-9) > 250.0


def test_lossless_all_pass_has_unit_transmission():
    ring = Ring(power_coupling_drop=0.0, loss_db_per_m=0.0, power_coupling_in=0.1)
    np.testing.assert_allclose(ring.through(LAMBDA), 1.0, rtol=1e-12)
    np.testing.assert_allclose(np.abs(ring.through_field(LAMBDA)), 1.0, rtol=1e-12)


def test_lossless_add_drop_conserves_energy():
    ring = Ring(loss_db_per_m=0.0, power_coupling_in=0.1, power_coupling_drop=0.03)
    np.testing.assert_allclose(ring.through(LAMBDA) + ring.drop(LAMBDA), 1.0, rtol=1e-12)


def test_lossless_symmetric_add_drop_drops_everything_on_resonance():
    ring = Ring(loss_db_per_m=0.0, power_coupling_in=0.04, power_coupling_drop=0.04)
    resonance = ring.resonance_m(1305e-9)
    assert ring.drop(resonance) == pytest.approx(1.0, rel=1e-12)
    assert ring.through(resonance) == pytest.approx(0.0, abs=1e-20)


def test_resonance_condition_holds_exactly():
    ring = Ring(radius_m=[3.0e-6, 3.6e-6, 5e-6], straight_length_m=[0.0, 1e-6, 2e-6])
    for dt in (0.0, 35.0):
        resonance = ring.resonance_m(1300e-9, delta_t_k=dt)
        order = ring.resonance_order(1300e-9, delta_t_k=dt)
        n_eff = np.diagonal(ring.neff_at(resonance, delta_t_k=dt))
        np.testing.assert_allclose(n_eff * ring.round_trip_length_m, order * resonance, rtol=1e-12)
        # Nearest: neighbours are further away.
        for neighbour in (order - 1, order + 1):
            lam_m = resonance * order / neighbour  # crude location, only used for distance
            assert np.all(np.abs(lam_m - 1300e-9) > np.abs(resonance - 1300e-9) - 1e-18)


def test_fsr_matches_closed_form_and_resonance_spacing():
    ring = Ring()
    resonance = ring.resonance_m(1300e-9)
    expected = resonance**2 / (ring.ng * ring.round_trip_length_m)
    assert ring.fsr_m(1300e-9) == pytest.approx(expected, rel=1e-12)
    # Neighbouring resonances are one FSR away to first order in FSR/λ (≈1.4 %).
    spacing = ring.resonance_m(resonance - expected) - resonance
    assert abs(spacing) == pytest.approx(expected, rel=0.03)


def test_fsr_of_default_ring_is_eight_channel_spacings():
    # WDMSim rule (github.com/wdmsim/wdm-simulator): FSR ≈ 8 × 400 GHz ≈ 17.9 nm at 1300 nm.
    assert Ring().fsr_m(1300.05e-9) == pytest.approx(17.9e-9, rel=0.01)


@pytest.mark.parametrize("kappa", [0.002, 0.01, 0.05])
def test_fwhm_tends_to_bogaerts_closed_form_at_high_finesse(kappa):
    ring = Ring(power_coupling_in=kappa, power_coupling_drop=kappa, loss_db_per_m=100.0)
    x = ring.self_coupling_in * ring.self_coupling_drop * ring.round_trip_amplitude
    resonance = ring.resonance_m(1300e-9)
    approx = (1 - x) * resonance**2 / (np.pi * ring.ng * ring.round_trip_length_m * np.sqrt(x))
    # The closed form drops terms of order (1 - x)² and FWHM/λ; both are below 1 % here.
    assert ring.fwhm_m(1300e-9) == pytest.approx(approx, rel=max(1e-3, 3 * (1 - x)))
    assert ring.q_loaded(1300e-9) == pytest.approx(resonance / ring.fwhm_m(1300e-9), rel=1e-14)


@pytest.mark.parametrize("drop", [0.0, 0.05])
def test_fwhm_equals_numerically_measured_half_maximum_width(drop):
    from scipy.optimize import brentq

    ring = Ring(power_coupling_drop=drop, power_coupling_in=0.05)
    resonance = ring.resonance_m(1300e-9)
    dip = 1.0 - ring.through(resonance)
    fwhm = ring.fwhm_m(1300e-9)

    def half(lam):
        return (1.0 - ring.through(lam)) - dip / 2.0

    lower = brentq(half, resonance - 3 * fwhm, resonance, xtol=1e-22, rtol=1e-15)
    upper = brentq(half, resonance, resonance + 3 * fwhm, xtol=1e-22, rtol=1e-15)
    assert upper - lower == pytest.approx(fwhm, rel=1e-9)


def test_q_intrinsic_and_finesse():
    ring = Ring(loss_db_per_m=1000.0)
    resonance = ring.resonance_m(1300e-9)
    alpha = 1000.0 * np.log(10) / 10
    assert ring.q_intrinsic(1300e-9) == pytest.approx(
        2 * np.pi * ring.ng / (resonance * alpha), rel=1e-12
    )
    assert ring.finesse(1300e-9) == pytest.approx(
        ring.fsr_m(1300e-9) / ring.fwhm_m(1300e-9), rel=1e-14
    )
    assert np.isinf(Ring(loss_db_per_m=0.0).q_intrinsic(1300e-9))


def test_default_ring_metrics_match_reference_link():
    ring = Ring()
    assert ring.q_loaded(1300e-9) == pytest.approx(4000, rel=0.05)
    assert ring.thermal_shift_m_per_k(1300.05e-9) == pytest.approx(63e-12, rel=0.01)


def test_thermal_shift_equals_finite_difference():
    ring = Ring()
    delta = ring.resonance_m(1300e-9, delta_t_k=0.5) - ring.resonance_m(1300e-9, delta_t_k=-0.5)
    assert ring.thermal_shift_m_per_k(1300e-9) == pytest.approx(delta, rel=1e-6)


def test_extinction_ratio_closed_form():
    ring = Ring(power_coupling_drop=0.0, power_coupling_in=0.1, loss_db_per_m=2000.0)
    t = ring.through(LAMBDA)
    # The grid straddles the resonance and the anti-resonance; compare to the exact extremes.
    r, a = ring.self_coupling_in, ring.round_trip_amplitude
    expected = 10 * np.log10(((a + r) / (1 + r * a)) ** 2 / ((a - r) / (1 - r * a)) ** 2)
    assert ring.extinction_ratio_db(1300e-9) == pytest.approx(expected, rel=1e-12)
    assert 10 * np.log10(t.max() / t.min()) == pytest.approx(expected, rel=1e-3)


@pytest.mark.parametrize("drop", [0.0, 0.05])
def test_on_resonance_values_equal_spectrum_at_resonance(drop):
    rings = Ring(power_coupling_in=np.array([0.02, 0.05, 0.1]), power_coupling_drop=drop)
    resonance = rings.resonance_m(1300e-9)
    for i in range(3):
        single = Ring(power_coupling_in=rings.power_coupling_in[i], power_coupling_drop=drop)
        assert rings.through_on_resonance()[i] == pytest.approx(
            single.through(resonance[i]), rel=1e-9, abs=1e-15
        )
        assert rings.drop_on_resonance()[i] == pytest.approx(
            single.drop(resonance[i]), rel=1e-9, abs=1e-300
        )


def test_coupling_regimes():
    a = Ring(power_coupling_drop=0.0).round_trip_amplitude
    critical = 1.0 - a**2
    rings = Ring(
        power_coupling_drop=0.0, power_coupling_in=np.array([critical / 2, critical, critical * 2])
    )
    assert list(rings.coupling_regime()) == ["under", "critical", "over"]


# -------------------------------------------------------------------------- array behaviour
def test_array_fields_broadcast_and_match_single_rings():
    radii = np.array([3.4e-6, 3.6e-6])
    couplings = np.array([[0.03], [0.05], [0.08]])
    rings = Ring(radius_m=radii, power_coupling_in=couplings)
    assert rings.shape == (3, 2)
    lam = LAMBDA[::100]
    through = rings.through(lam)
    assert through.shape == (3, 2, lam.size)
    single = Ring(radius_m=radii[1], power_coupling_in=couplings[2, 0]).through(lam)
    np.testing.assert_array_equal(through[2, 1], single)


def test_delta_t_broadcasts_with_rings():
    rings = Ring(radius_m=np.array([3.4e-6, 3.6e-6]))
    out = rings.through(LAMBDA[:5], delta_t_k=np.array([[0.0], [10.0]]))
    assert out.shape == (2, 2, 5)
    np.testing.assert_array_equal(
        out[1, 0], Ring(radius_m=3.4e-6).through(LAMBDA[:5], delta_t_k=10.0)
    )


def test_spectrum_result_table_and_plot():
    spectrum = Ring(radius_m=[3.5e-6, 3.6e-6]).spectrum(LAMBDA[:50])
    frame = spectrum.to_dataframe()
    assert list(frame.columns) == ["ring", "wavelength_m", "through", "drop"]
    assert len(frame) == 100
    ax = spectrum.plot()
    assert ax.get_xlabel() == "Wavelength (nm)"
    assert len(ax.lines) == 4


# ----------------------------------------------------------------------------- properties
ring_strategy = st.builds(
    Ring,
    radius_m=st.floats(1.5e-6, 20e-6),
    neff=st.floats(1.8, 3.2),
    ng=st.floats(3.3, 4.6),
    loss_db_per_m=st.floats(0.0, 1e4),
    power_coupling_in=st.floats(1e-4, 0.9),
    power_coupling_drop=st.one_of(st.just(0.0), st.floats(1e-4, 0.9)),
    dneff_dt_per_k=st.floats(1e-5, 3e-4),
)


@given(ring=ring_strategy, dt=st.floats(-20.0, 80.0))
def test_transmission_is_bounded(ring, dt):
    through = ring.through(LAMBDA[::20], delta_t_k=dt)
    drop = ring.drop(LAMBDA[::20], delta_t_k=dt)
    assert np.all(through >= 0.0) and np.all(through <= 1.0 + 1e-12)
    assert np.all(drop >= 0.0) and np.all(through + drop <= 1.0 + 1e-12)


@given(ring=ring_strategy, dt=st.floats(0.1, 50.0))
def test_heating_red_shifts_resonance_monotonically(ring, dt):
    order = ring.resonance_order(1310e-9)
    near = ring.resonance_of_order_m(order)
    shifts = ring.resonance_of_order_m(order, delta_t_k=np.array([0.0, dt, 2 * dt])) - near
    assert shifts[0] == pytest.approx(0.0, abs=1e-18)
    assert 0.0 < shifts[1] < shifts[2]


# -------------------------------------------------------------------------------- kernels
def _random_rings(n, rng):
    return Ring(
        neff=rng.uniform(2.5, 2.7, n),
        loss_db_per_m=rng.uniform(500, 5000, n),
        power_coupling_in=rng.uniform(0.01, 0.2, n),
        power_coupling_drop=np.where(rng.random(n) < 0.5, 0.0, rng.uniform(0.01, 0.2, n)),
    )


def test_kernel_equals_numpy_reference():
    rings = _random_rings(300, np.random.default_rng(1))
    lam = np.linspace(1300e-9, 1320e-9, 2000)
    through_ref, drop_ref = closed_form(rings, lam)
    np.testing.assert_allclose(rings.through(lam), through_ref, rtol=0, atol=1e-10)
    np.testing.assert_allclose(rings.drop(lam), drop_ref, rtol=0, atol=1e-10)


def test_kernel_without_jit_equals_reference():
    script = (
        "import numpy as np\n"
        "from cposim.photonics.devices.ring import Ring\n"
        "from cposim.photonics.devices import _reference as k\n"
        "r = Ring(neff=np.array([2.55, 2.6, 2.65]), power_coupling_drop=np.array([0, .05, .1]))\n"
        "lam = np.linspace(1300e-9, 1320e-9, 300)\n"
        "t, d = k.reference_through_drop(radius_m=r.radius_m, straight_length_m=0.0,"
        " neff=r.neff, ng=r.ng, wavelength0_m=r.wavelength0_m, loss_db_per_m=r.loss_db_per_m,"
        " power_coupling_in=r.power_coupling_in, power_coupling_drop=r.power_coupling_drop,"
        " dneff_dt_per_k=r.dneff_dt_per_k, delta_t_k=0.0, wavelength_m=lam)\n"
        "assert np.abs(r.through(lam) - t).max() < 1e-10\n"
        "assert np.abs(r.drop(lam) - d).max() < 1e-10\n"
        "assert np.abs(np.abs(r.drop_field(lam))**2 - d).max() < 1e-10\n"
        "print('ok')\n"
    )
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1"}
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("radius_m", -1e-6, "radius_m = -1e-06 is out of range: must be > 0"),
        ("power_coupling_in", 1.0, "power_coupling_in = 1.0 is out of range"),
        ("power_coupling_in", 0.0, "must be > 0 and < 1"),
        ("power_coupling_drop", 1.2, "power_coupling_drop = 1.2"),
        ("ng", 0.5, "ng = 0.5 is out of range: must be >= 1"),
        ("loss_db_per_m", np.nan, "loss_db_per_m contains NaN"),
        ("wavelength0_m", 1310.0, "wavelength0_m = 1310.0 is out of range"),
    ],
)
def test_bad_fields_raise_clear_errors(field, value, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        Ring(**{field: value})


def test_mismatched_shapes_name_the_field():
    with pytest.raises(ValueError, match="power_coupling_in has shape \\(3,\\)"):
        Ring(radius_m=np.ones(2) * 3e-6, power_coupling_in=np.full(3, 0.05))


def test_nan_in_array_names_index():
    with pytest.raises(ValueError, match=r"neff contains NaN \(first at index \(1,\)\)"):
        Ring(neff=np.array([2.6, np.nan]))


def test_wavelength_in_nanometres_is_rejected():
    with pytest.raises(
        ValueError, match=r"wavelength_m = 1300.0 \(first at index \(0,\)\) is out of range"
    ):
        Ring().through(np.array([1300.0]))


def test_unknown_keyword_is_rejected():
    with pytest.raises(TypeError):
        Ring(radius=3e-6)


def test_unresolvable_coupling_is_rejected():
    with pytest.raises(ValueError, match="power_coupling_in is too small"):
        Ring(power_coupling_in=1e-310, power_coupling_drop=0.0, loss_db_per_m=0.0)
