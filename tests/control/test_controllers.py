"""PI/PID controller: python-control oracle (fixture in conftest.py), integral action,
anti-windup, input checks."""

import numpy as np
import pytest

from cposim.control.controllers import PIDController
from cposim.control.detectors import IdealDetector
from cposim.control.heater import HeaterDriver
from cposim.control.loop.locking import ResonatorArrays, simulate_locking
from cposim.control.thermal import Disturbance, ThermalNetwork

H = 1e-6
TAU = 4e-6
R_SELF = 3175.0
DLDT = 63e-12
GAIN = R_SELF * DLDT  # m/W
LAMBDA = 1300e-9


def _single_ring(
    controller, *, n_steps, detuning0_m, tau2=0.0, disturbance=None, heater=None, initial_power=0.0
):
    network = ThermalNetwork.uncoupled(
        1, self_resistance_k_per_w=R_SELF, time_constant_s=TAU, second_time_constant_s=tau2
    )
    resonators = ResonatorArrays(
        cold_resonance_m=[LAMBDA - detuning0_m], fsr_m=20e-9, thermal_shift_m_per_k=DLDT
    )
    return simulate_locking(
        resonators,
        [LAMBDA],
        network=network,
        controller=controller,
        detector=IdealDetector(),
        sample_period_s=H,
        n_steps=n_steps,
        heater=heater or HeaterDriver(full_scale_voltage_v=20.0, dac_bits=0),
        disturbance=disturbance,
        initial_heater_power_w=initial_power,
        trace_decimation=1,
    )


@pytest.mark.parametrize("kind", ["pi", "pid"])
def test_closed_loop_matches_python_control(kind, python_control):
    """Detuning after a reference step equals python-control's S = 1/(1 + C·G), ≤ 1e-9."""
    ct = python_control
    tau2 = 2.5e-6 if kind == "pid" else 0.0
    controller = PIDController.lambda_tuned(
        plant_gain_m_per_w=GAIN,
        time_constant_s=TAU,
        second_time_constant_s=tau2,
        closed_loop_time_constant_s=12e-6,
        kind=kind,
        anti_windup="none",
    )
    controller = PIDController(**{**controller.__dict__, "bumpless_start": False})
    detuning0 = 0.1e-9
    result = _single_ring(controller, n_steps=300, detuning0_m=detuning0, tau2=tau2)
    # Independent oracle: python-control's own ZOH of the continuous plant and the textbook
    # discrete PID C(z) = Kp + Ki·h/(z - 1) + Kd·(z - 1)/((Tf + h)z - Tf). The loop stays in
    # state space: sampling a transfer function goes through scipy's ss2tf, whose numerator
    # poly(A - BC) - poly(A) cancels to ~1e-8 relative for this plant (gain 2e-7 m/W), an
    # oracle error 3e-9 × step (seen with control 0.10.2, scipy 1.17); in state space 1.4e-12.
    s = ct.tf("s")
    plant = ct.sample_system(ct.tf2ss(GAIN / ((TAU * s + 1) * (tau2 * s + 1))), H, method="zoh")
    z = ct.tf([1, 0], [1], H)
    c = controller.proportional_gain_w_per_m + controller.integral_gain_w_per_m_s * H / (z - 1)
    if kind == "pid":
        tf_ = controller.derivative_filter_time_constant_s
        c = c + controller.derivative_gain_w_s_per_m * (z - 1) / ((tf_ + H) * z - tf_)
    sensitivity = ct.feedback(ct.ss([], [], [], 1, H), ct.tf2ss(c) * plant)
    response = ct.forced_response(sensitivity, T=np.arange(300) * H, U=np.full(300, detuning0))
    assert np.all(result.heater_power_w >= 0.0)
    np.testing.assert_allclose(
        result.detuning_m[0, 0], response.outputs, rtol=0, atol=1e-9 * detuning0
    )


def test_integral_action_removes_steady_state_error():
    controller = PIDController.lambda_tuned(
        plant_gain_m_per_w=GAIN, time_constant_s=TAU, closed_loop_time_constant_s=10e-6
    )
    result = _single_ring(controller, n_steps=400, detuning0_m=0.2e-9)
    assert abs(result.detuning_m[0, 0, -1]) < 1e-9 * 0.2e-9
    proportional = PIDController(
        proportional_gain_w_per_m=controller.proportional_gain_w_per_m,
        integral_gain_w_per_m_s=0.0,
        bumpless_start=False,
    )
    offset = _single_ring(proportional, n_steps=400, detuning0_m=0.2e-9).detuning_m[0, 0, -1]
    # Proportional only: steady error δ0/(1 + Kp·K).
    loop_gain = proportional.proportional_gain_w_per_m * GAIN
    assert offset == pytest.approx(0.2e-9 / (1.0 + loop_gain), rel=1e-6)


def test_anti_windup_recovers_faster_than_the_naive_controller():
    """An ASIC burst red-shifts the ring beyond what a heater at 0 W can undo (heater-only
    saturation); after the burst the naive integrator has wound up and overshoots."""
    burst = Disturbance(
        asic_time_s=[0.0, 50e-6, 51e-6, 250e-6, 251e-6],
        asic_power_w=[0.0, 0.0, 100.0, 100.0, 0.0],
        asic_resistance_k_per_w=0.1,
        asic_time_constant_s=2e-6,
        laser_drift_m_per_k=0.0,
    )
    outcome = {}
    for mode in ("none", "clamping", "back_calculation"):
        controller = PIDController.lambda_tuned(
            plant_gain_m_per_w=GAIN,
            time_constant_s=TAU,
            closed_loop_time_constant_s=10e-6,
            anti_windup=mode,
        )
        # Operating point 0.2 nm of heater shift; the burst adds 10 K · 63 pm/K = 0.63 nm.
        result = _single_ring(
            controller,
            n_steps=600,
            detuning0_m=0.2e-9,
            disturbance=burst,
            initial_power=0.2e-9 / GAIN,
        )
        after = result.detuning_m[0, 0, 252:]
        outside = np.nonzero(np.abs(after) > 0.1 * 0.325e-9)[0]
        recovery = (outside[-1] + 1) * H if outside.size else 0.0
        outcome[mode] = (recovery, np.max(np.abs(after)))
        assert np.min(result.heater_power_w) == 0.0  # the heater did saturate
    naive_recovery, naive_peak = outcome["none"]
    for mode in ("clamping", "back_calculation"):
        recovery, peak = outcome[mode]
        assert recovery < 0.5 * naive_recovery, (mode, outcome)
        assert peak < naive_peak, (mode, outcome)


def test_controller_input_checks():
    with pytest.raises(ValueError, match="kind = 'pd' is not allowed"):
        PIDController(kind="pd", proportional_gain_w_per_m=1.0, integral_gain_w_per_m_s=1.0)
    with pytest.raises(ValueError, match="anti_windup = 'magic' is not allowed"):
        PIDController(
            proportional_gain_w_per_m=1.0, integral_gain_w_per_m_s=1.0, anti_windup="magic"
        )
    with pytest.raises(ValueError, match="derivative_gain_w_s_per_m"):
        PIDController(
            proportional_gain_w_per_m=1.0,
            integral_gain_w_per_m_s=1.0,
            derivative_gain_w_s_per_m=1e-6,
        )
    with pytest.raises(ValueError, match=r"proportional_gain_w_per_m = -1\.0 is out of range"):
        PIDController(proportional_gain_w_per_m=-1.0, integral_gain_w_per_m_s=1.0)
    with pytest.raises(TypeError):
        PIDController(proportional_gain_w_per_m=1.0, integral_gain_w_per_m_s=1.0, gain=3)


def test_lambda_tuning_cancels_the_pole():
    c = PIDController.lambda_tuned(
        plant_gain_m_per_w=GAIN, time_constant_s=TAU, closed_loop_time_constant_s=20e-6
    )
    assert c.proportional_gain_w_per_m / c.integral_gain_w_per_m_s == pytest.approx(TAU)
    assert c.integral_gain_w_per_m_s * GAIN == pytest.approx(1.0 / 20e-6)
