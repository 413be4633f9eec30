"""Rings as S-parameter networks: closed forms, reciprocity, passivity, Touchstone round trip
through scikit-rf (the independent reader)."""

import dataclasses

import numpy as np
import pytest

from cposim.photonics.devices.ring import Ring
from cposim.photonics.interop.touchstone import (
    ADD_DROP_PORTS,
    TabulatedNetwork,
    read_touchstone,
    ring_network,
    ring_s_matrix,
)

skrf = pytest.importorskip("skrf")

WAVELENGTHS = np.linspace(1295e-9, 1305e-9, 2001)
ADD_DROP = Ring(power_coupling_in=0.05, power_coupling_drop=0.08)
ALL_PASS = Ring(power_coupling_in=0.06, power_coupling_drop=0.0, loss_db_per_m=6000.0)


def _closed_form(ring, wavelength):
    """Through, drop and add→drop-port fields from r1, r2, a and φ (Bogaerts et al., Laser
    Photonics Rev. 6(1), 47 (2012), eqs. for the add-drop ring)."""
    r1, r2 = ring.self_coupling_in, ring.self_coupling_drop
    a = ring.round_trip_amplitude
    phase = np.exp(2j * np.pi * ring.round_trip_phase_cycles(wavelength))
    den = 1.0 - r1 * r2 * a * phase
    k1, k2 = np.sqrt(1 - r1**2), np.sqrt(1 - r2**2)
    through = (r1 - r2 * a * phase) / den
    drop = -k1 * k2 * np.sqrt(a) * np.sqrt(phase) / den
    add_through = (r2 - r1 * a * phase) / den
    return through, drop, add_through


def test_s_matrix_entries_are_the_ring_fields():
    s = ring_s_matrix(ADD_DROP, WAVELENGTHS)
    through, drop, add_through = _closed_form(ADD_DROP, WAVELENGTHS)
    np.testing.assert_allclose(s[:, 1, 0], ADD_DROP.through_field(WAVELENGTHS), rtol=0, atol=0)
    np.testing.assert_allclose(s[:, 3, 0], ADD_DROP.drop_field(WAVELENGTHS), rtol=0, atol=0)
    np.testing.assert_allclose(s[:, 1, 0], through, atol=1e-12)
    np.testing.assert_allclose(np.abs(s[:, 3, 0]), np.abs(drop), atol=1e-12)
    np.testing.assert_allclose(s[:, 3, 2], add_through, atol=1e-12)
    np.testing.assert_array_equal(s[:, 1, 2], s[:, 3, 0])  # add → through port is the drop
    for k in range(4):
        np.testing.assert_array_equal(s[:, k, k], 0.0)  # reflectionless couplers
    single = ring_s_matrix(ALL_PASS, WAVELENGTHS)
    assert single.shape == (WAVELENGTHS.size, 2, 2)
    np.testing.assert_array_equal(single[:, 1, 0], ALL_PASS.through_field(WAVELENGTHS))


@pytest.mark.parametrize("ring", [ADD_DROP, ALL_PASS], ids=["add-drop", "all-pass"])
def test_reciprocal_and_passive_and_unitary_when_lossless(ring):
    s = ring_s_matrix(ring, WAVELENGTHS)
    np.testing.assert_array_equal(s, np.swapaxes(s, -1, -2))
    assert np.linalg.svd(s, compute_uv=False).max() <= 1.0 + 1e-12
    lossless = ring_s_matrix(dataclasses.replace(ring, loss_db_per_m=0.0), WAVELENGTHS)
    identity = np.broadcast_to(np.eye(s.shape[-1]), lossless.shape)
    np.testing.assert_allclose(
        np.conj(np.swapaxes(lossless, -1, -2)) @ lossless, identity, atol=1e-12
    )


@pytest.mark.parametrize("ring", [ADD_DROP, ALL_PASS], ids=["add-drop", "all-pass"])
def test_touchstone_round_trip_through_scikit_rf(ring, tmp_path):
    network = ring_network(ring, WAVELENGTHS, delta_t_k=3.0, name="ring")
    path = tmp_path / f"ring.s{network.nports}p"
    network.write_touchstone(str(path))
    back = skrf.Network(str(path))
    np.testing.assert_allclose(back.f, network.f, rtol=1e-15)
    np.testing.assert_allclose(back.s, network.s, rtol=0, atol=1e-12)
    assert np.all(np.diff(network.f) > 0)
    table = read_touchstone(path)
    np.testing.assert_allclose(table.wavelength_m, WAVELENGTHS, rtol=1e-14)
    expected = ring.through_field(WAVELENGTHS, delta_t_k=3.0)
    np.testing.assert_allclose(
        table.s_at(table.wavelength_m, to_port="o2", from_port="o1"), expected, atol=1e-12
    )


def test_lookup_model_interpolates_and_names_its_ports():
    s = ring_s_matrix(ADD_DROP, WAVELENGTHS)
    table = TabulatedNetwork(wavelength_m=WAVELENGTHS, s=s, port_names=ADD_DROP_PORTS)
    middle = 0.5 * (WAVELENGTHS[10] + WAVELENGTHS[11])
    value = table.s_at(middle, to_port="o4", from_port="o1")
    assert value == pytest.approx(0.5 * (s[10, 3, 0] + s[11, 3, 0]), abs=1e-15)
    np.testing.assert_allclose(
        table.transmission(WAVELENGTHS, to_port="o2", from_port="o1"),
        ADD_DROP.through(WAVELENGTHS),
        rtol=1e-12,
    )
    with pytest.raises(ValueError, match="port = 'o9' is not one of"):
        table.s_at(middle, to_port="o9", from_port="o1")
    with pytest.raises(ValueError, match="wavelength_m"):
        table.s_at(1.4e-6, to_port="o2", from_port="o1")
    with pytest.raises(ValueError, match="expected"):
        TabulatedNetwork(wavelength_m=WAVELENGTHS, s=s[:, :2, :2], port_names=ADD_DROP_PORTS)
    with pytest.raises(ValueError, match="one ring at a time"):
        ring_s_matrix(Ring(radius_m=[3e-6, 4e-6]), WAVELENGTHS)
