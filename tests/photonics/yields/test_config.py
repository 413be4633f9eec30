"""Yield configuration: defaults traced to their models, presets, layout."""

import dataclasses

import pytest

from cposim.control import DitherLockInDetector, PIDController, residual_lock_error
from cposim.photonics.yields.config import LockSettings, RunSettings, YieldConfig, preset


def test_default_lock_sigma_is_the_control_models_prediction():
    gain_m_per_w = 2e-7  # 0.2 nm/mW
    controller = PIDController.lambda_tuned(
        plant_gain_m_per_w=gain_m_per_w, time_constant_s=4e-6, closed_loop_time_constant_s=50e-6
    )
    model = residual_lock_error(
        controller=controller,
        detector=DitherLockInDetector(),
        plant_gain_m_per_w=gain_m_per_w,
        time_constant_s=4e-6,
        sample_period_s=1e-6,
        fwhm_m=3.2e-10,
        detuning_drift_m_per_s=63e-12 * 60,
    )
    assert LockSettings().sigma_m == pytest.approx(model.sigma_m, rel=0.01)
    assert abs(model.mean_m) < 0.1 * model.sigma_m  # the mean offset is negligible


def test_default_preset_is_the_library_default_run_on_one_lot():
    config = preset("default")
    assert config.run.n_wafers == 25
    assert config.with_changes({"run": RunSettings()}) == YieldConfig()


def test_layout_has_tx_and_rx_banks_per_link():
    config = preset("wdm-8x200g").with_changes({"die.links_per_engine": 2})
    die = config.layout().die
    assert die.n_rings == 2 * 2 * config.n_channels
    dr = preset("default")
    assert dr.banks_per_link == 1 and dr.layout().die.n_rings == 8


def test_modulator_ring_must_be_all_pass():
    from cposim.photonics.devices.modulator import RingModulator
    from cposim.photonics.devices.ring import Ring

    with pytest.raises(ValueError, match="must be 0: a ring modulator here is an all-pass ring"):
        YieldConfig().with_changes({"link.modulator": RingModulator(ring=Ring())})


def test_the_heater_limit_has_one_definition():
    """The yield study's heater limit is the control library's default heater, and the driver
    it derives delivers exactly that limit."""
    from cposim.control.heater import DEFAULT_MAX_POWER_W, HeaterDriver
    from cposim.photonics.yields.config import TuningSettings

    tuning = TuningSettings()
    assert tuning.max_heater_power_w == DEFAULT_MAX_POWER_W == HeaterDriver().max_power_w
    narrow = TuningSettings(max_heater_power_w=0.03)
    assert narrow.heater.max_power_w == pytest.approx(0.03, rel=1e-12)


def test_process_presets_differ_from_the_default_only_where_they_say():
    """first-generation and mature change the variation, the defect densities and some spreads
    of the default study, nothing else; on one small wafer their die yields order as their
    names say (first-generation near zero)."""
    from cposim.photonics.fab.wafer import Wafer
    from cposim.photonics.yields.run import simulate

    default = preset("default")
    small = {"wafer": Wafer(diameter_m=0.1, edge_exclusion_m=3e-3), "run.n_wafers": 2}
    yields = {}
    for name in ("first-generation", "default", "mature"):
        config = preset(name)
        changed = {
            f.name
            for f in dataclasses.fields(YieldConfig)
            if getattr(config, f.name) != getattr(default, f.name)
        }
        assert changed <= {"variation", "defects", "spreads"}, (name, changed)
        assert (name == "default") == (not changed)
        yields[name] = simulate(config.with_changes(small)).summary()["die_yield"]
    assert yields["first-generation"] < 0.2 < yields["default"] < yields["mature"]
