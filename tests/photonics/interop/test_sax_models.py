"""cposim rings inside SAX circuits: one ring equals its own fields, two in series the
cascaded closed form (SAX is the independent circuit solver)."""

import numpy as np
import pytest

from cposim.photonics.devices.ring import Ring
from cposim.photonics.interop.sax_models import ring_model, sax_model

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
