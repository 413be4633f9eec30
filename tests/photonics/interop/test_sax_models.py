"""cposim rings inside SAX circuits: one ring equals its own fields, two in series and a WDM
bank the cascaded closed forms (SAX is the independent circuit solver); the modulator model
is the modulator's transmission."""

import numpy as np
import pytest

from cposim.photonics.devices.modulator import RingModulator
from cposim.photonics.devices.ring import Ring
from cposim.photonics.interop.sax_models import (
    bank_netlist,
    modulator_sax_model,
    ring_model,
    sax_model,
)

WL_UM = np.linspace(1.295, 1.305, 1001)


def test_model_is_the_ring_without_sax():
    ring = Ring(power_coupling_in=0.05, power_coupling_drop=0.08, loss_db_per_m=3000.0)
    sdict = sax_model(ring)(wl=WL_UM, delta_t_k=2.0)
    wavelength = WL_UM * 1e-6
    np.testing.assert_array_equal(sdict["o1", "o2"], ring.through_field(wavelength, delta_t_k=2.0))
    np.testing.assert_array_equal(sdict["o1", "o4"], ring.drop_field(wavelength, delta_t_k=2.0))
    assert ("o1", "o3") not in sdict  # input and add ports do not couple
    default = ring_model(wl=WL_UM)  # µm ↔ m conversions of the defaults round by an ulp
    np.testing.assert_allclose(
        default["o2", "o1"], Ring().through_field(WL_UM * 1e-6), rtol=0, atol=1e-12
    )
    all_pass = ring_model(wl=WL_UM, coupling_drop=0.0, loss_db_per_cm=60.0, radius_um=5.0)
    assert set(all_pass) == {("o1", "o2"), ("o2", "o1")}
    with pytest.raises(ValueError, match="one ring"):
        sax_model(Ring(radius_m=[3e-6, 4e-6]))


def test_sax_circuit_of_one_ring_equals_its_fields():
    sax = pytest.importorskip("sax")
    ring = Ring(power_coupling_in=0.05, power_coupling_drop=0.08)
    netlist = {
        "instances": {"r": {"component": "ring"}},
        "ports": {"in": "r,o1", "through": "r,o2", "drop": "r,o4", "add": "r,o3"},
    }
    circuit, _ = sax.circuit(netlist, {"ring": sax_model(ring)}, backend="klu")
    result = circuit(wl=WL_UM)
    np.testing.assert_allclose(
        np.asarray(result["in", "through"]), ring.through_field(WL_UM * 1e-6), rtol=0, atol=1e-12
    )
    np.testing.assert_allclose(
        np.asarray(result["in", "drop"]), ring.drop_field(WL_UM * 1e-6), rtol=0, atol=1e-12
    )


def test_two_rings_in_series_equal_the_cascaded_closed_form():
    sax = pytest.importorskip("sax")
    first = Ring(radius_m=3.6e-6, power_coupling_in=0.06, power_coupling_drop=0.0)
    second = Ring(radius_m=3.65e-6, power_coupling_in=0.04, power_coupling_drop=0.0)
    netlist = {
        "instances": {"a": {"component": "first"}, "b": {"component": "second"}},
        "connections": {"a,o2": "b,o1"},
        "ports": {"in": "a,o1", "out": "b,o2"},
    }
    models = {"first": sax_model(first), "second": sax_model(second)}
    circuit, _ = sax.circuit(netlist, models, backend="klu")
    cascaded = first.through_field(WL_UM * 1e-6) * second.through_field(WL_UM * 1e-6)
    np.testing.assert_allclose(
        np.asarray(circuit(wl=WL_UM)["in", "out"]), cascaded, rtol=0, atol=1e-12
    )


def test_wdm_bank_netlist_equals_the_cascade():
    """Drop k = drop field of ring k after the through fields of the rings before it."""
    sax = pytest.importorskip("sax")
    rings = [Ring(radius_m=r) for r in (3.60e-6, 3.62e-6, 3.64e-6)]
    netlist, models = bank_netlist(rings)
    circuit, _ = sax.circuit(netlist, models, backend="klu")
    result = circuit(wl=WL_UM)
    wavelength = WL_UM * 1e-6
    before = np.ones_like(wavelength, dtype=complex)
    for k, ring in enumerate(rings):
        expected = before * ring.drop_field(wavelength)
        np.testing.assert_allclose(np.asarray(result["in", f"drop{k}"]), expected, atol=1e-12)
        before = before * ring.through_field(wavelength)
    np.testing.assert_allclose(np.asarray(result["in", "through"]), before, atol=1e-12)
    with pytest.raises(ValueError, match="add-drop rings"):
        bank_netlist([Ring(power_coupling_drop=0.0)])


def test_modulator_model_is_the_modulator_transmission():
    """The model's |S21|² at the laser is RingModulator.transmission at every drive voltage."""
    modulator = RingModulator()
    model = modulator_sax_model(modulator)
    for voltage in modulator.drive_voltages_v(bias_detuning_m=modulator.bias_m):
        sdict = model(wl=modulator.wavelength_m * 1e6, voltage_v=voltage)
        power = np.abs(sdict["o1", "o2"]) ** 2
        expected = modulator.transmission(bias_detuning_m=modulator.bias_m, voltage_v=voltage)
        assert power == pytest.approx(expected, rel=1e-12)


def test_bank_closed_form_equals_the_sax_circuit_on_every_port_pair():
    """The closed-form bank S-matrix (Touchstone export) against SAX solving the netlist."""
    sax = pytest.importorskip("sax")
    from cposim.photonics.interop.touchstone import bank_ports, bank_s_matrix

    rings = [Ring(radius_m=r, power_coupling_drop=0.07) for r in (3.60e-6, 3.62e-6, 3.64e-6)]
    netlist, models = bank_netlist(rings)
    circuit, _ = sax.circuit(netlist, models, backend="klu")
    result = circuit(wl=WL_UM)
    s = bank_s_matrix(rings, WL_UM * 1e-6)
    ports = bank_ports(len(rings))
    for i, a in enumerate(ports):
        for j, b in enumerate(ports):
            np.testing.assert_allclose(
                np.asarray(result[a, b]), s[:, j, i], atol=1e-12, err_msg=f"{a} -> {b}"
            )
    assert np.linalg.svd(s, compute_uv=False).max() <= 1 + 1e-12
