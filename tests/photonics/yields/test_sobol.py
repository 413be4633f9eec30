"""Sobol' indices: the Ishigami function's analytic values, SALib (test-only oracle) on the
same sample matrices, and the yield engine."""

import numpy as np
import pytest

from cposim.photonics.fab.defects import DefectDensities
from cposim.photonics.fab.wafer import Wafer
from cposim.photonics.yields import YieldConfig
from cposim.photonics.yields.config import RunSettings
from cposim.photonics.yields.sobol import saltelli_points, sobol_indices, sobol_sensitivity


def ishigami(x, a=7.0, b=0.1):
    return np.sin(x[..., 0]) + a * np.sin(x[..., 1]) ** 2 + b * x[..., 2] ** 4 * np.sin(x[..., 0])


def _salib(f_a, f_b, f_ab, bounds):
    """SALib's Sobol' analysis of the same outputs, laid out as its sampler orders them
    (per base row: A, AB_1 … AB_d, B)."""
    from SALib.analyze import sobol as salib_sobol

    d = f_ab.shape[0]
    y = np.column_stack([f_a, *f_ab, f_b]).ravel()
    problem = {"num_vars": d, "names": [f"x{i}" for i in range(d)], "bounds": bounds}
    out = salib_sobol.analyze(problem, y, calc_second_order=False, print_to_console=False,
                              num_resamples=10, seed=1)  # fmt: skip
    return out["S1"], out["ST"]


def test_ishigami_indices_match_the_analytic_values_and_salib():
    """Ishigami (a = 7, b = 0.1): S1 = (0.3139, 0.4424, 0), ST = (0.5576, 0.4424, 0.2437)
    (Saltelli et al. 2010's test case); N = 2^14: within 0.02. SALib's estimators on the same
    matrices agree to 1e-12."""
    bounds = [(-np.pi, np.pi)] * 3
    a, b, ab = saltelli_points(bounds, n=2**14, seed=3)
    f_a, f_b, f_ab = ishigami(a), ishigami(b), ishigami(ab)
    first, total = sobol_indices(f_a, f_b, f_ab)
    np.testing.assert_allclose(first, [0.3139, 0.4424, 0.0], atol=0.02)
    np.testing.assert_allclose(total, [0.5576, 0.4424, 0.2437], atol=0.02)
    s1, st = _salib(f_a, f_b, f_ab, bounds)
    np.testing.assert_allclose(first, s1, atol=1e-12)
    np.testing.assert_allclose(total, st, atol=1e-12)


def test_engine_indices_equal_salib_on_the_same_runs_and_rank_the_inputs():
    """Die yield of a small study over the heater range and the lock error: the heater range,
    which moves the tuning failures, carries most of the variance; SALib on the same yields
    gives the same indices."""
    config = YieldConfig().with_changes(
        {
            "wafer": Wafer(diameter_m=0.1, edge_exclusion_m=3e-3),
            "run": RunSettings(seed=3, n_wafers=1, wafers_per_chunk=1),
            "defects": DefectDensities(waveguide_per_m2=0.0, heater_per_m2=0.0,
                                       junction_per_m2=0.0, photodiode_per_m2=0.0),
        }
    )  # fmt: skip
    factors = {"tuning.max_heater_power_w": (0.025, 0.06), "lock.sigma_m": (0.0, 5e-12)}
    result = sobol_sensitivity(config, factors, n=8, bootstrap=50, progress=False)
    table = result.table.set_index("key")
    assert table.loc["tuning.max_heater_power_w", "total"] > table.loc["lock.sigma_m", "total"]
    assert table.index[0] == "tuning.max_heater_power_w"  # sorted by total
    out = result.outputs
    s1, st = _salib(out["A"], out["B"], out["AB"], list(factors.values()))
    first, total = sobol_indices(out["A"], out["B"], out["AB"])
    np.testing.assert_allclose(first, s1, atol=1e-12)
    np.testing.assert_allclose(total, st, atol=1e-12)
    assert result.plot().get_xlabel().startswith("Sobol")
    assert list(result.to_dataframe()["key"]) == list(table.index)


def test_constant_output_and_bad_inputs():
    first, total = sobol_indices(np.ones(4), np.ones(4), np.ones((2, 4)))
    assert np.all(first == 0) and np.all(total == 0)
    with pytest.raises(ValueError, match="low < high"):
        saltelli_points([(1.0, 0.0)], n=4)
    with pytest.raises(ValueError, match="factors"):
        sobol_sensitivity(YieldConfig(), {}, progress=False)
    with pytest.raises(ValueError, match="level"):
        sobol_sensitivity(YieldConfig(), {"lock.sigma_m": (0, 1e-12)}, level="wafer")
