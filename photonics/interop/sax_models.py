"""cposim rings as SAX models (``pip install 'cposim[sax]'`` to build circuits with them).

SAX describes a component by a model function: keyword-only settings with defaults, the
wavelength ``wl`` in micrometres, and an S-dictionary ``{(port_a, port_b): complex array}``
as its result (SAX's "SDict"). :func:`ring_model` is such a function for cposim's
:class:`~cposim.photonics.devices.ring.Ring` (settings named as in gdsfactory and SAX:
``radius_um``, ``loss_db_per_cm``, ``coupling_in``, ``coupling_drop``), and
:func:`sax_model` binds any one ``Ring`` into a model of ``wl`` and ``delta_t_k`` alone. Port
names are those of :mod:`~cposim.photonics.interop.touchstone` (gdsfactory's): ``o1`` input,
``o2`` through and, for add-drop rings, ``o3`` add, ``o4`` drop. The S-dictionary holds every
nonzero entry in both directions (the ring is reciprocal).

:func:`modulator_sax_model` does the same for a ring modulator driven at ``voltage_v``, and
:func:`bank_netlist` builds the netlist of a WDM demultiplexer bank (add-drop rings on one
bus). The models are evaluated by cposim's own kernels (NumPy arrays out), so a SAX circuit built on
them runs eagerly, not under ``jax.jit``; SAX itself is not imported here.
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np

from cposim.photonics.devices.ring import Ring
from cposim.photonics.interop.touchstone import (
    ADD_DROP_PORTS,
    ALL_PASS_PORTS,
    modulator_s_matrix,
    ring_s_matrix,
)

_DEFAULT = Ring()


def to_sdict(s: np.ndarray, ports) -> dict:
    """The nonzero entries of S-matrices ``(..., n, n)`` as a SAX S-dictionary.

    Parameters
    ----------
    s : ndarray
        S-matrices, ``s[..., j, i]`` from port ``i`` to port ``j`` (complex).
    ports : sequence of str
        The ``n`` port names.
    """
    sdict = {}
    for i, source in enumerate(ports):
        for j, target in enumerate(ports):
            entry = s[..., j, i]
            if np.any(entry != 0):
                sdict[(source, target)] = entry
    return sdict


def sax_model(ring: Ring):
    """A SAX model function of one cposim ring: ``model(*, wl, delta_t_k) -> SDict``.

    Parameters
    ----------
    ring : Ring
        A single ring (scalar fields).
    """
    if ring.shape != ():
        raise ValueError(f"ring has shape {ring.shape}; a SAX model is one ring (shape ())")
    ports = ALL_PASS_PORTS if ring.is_all_pass else ADD_DROP_PORTS

    def model(*, wl=ring.wavelength0_m * 1e6, delta_t_k=0.0):
        """S-dictionary of the bound ring at ``wl`` (µm) and temperature rise ``delta_t_k``
        (K)."""
        wavelength = np.asarray(wl, dtype=np.float64) * 1e-6
        return to_sdict(ring_s_matrix(ring, wavelength, delta_t_k=delta_t_k), ports)

    return model


def modulator_sax_model(modulator, *, bias_detuning_m=None):
    """A SAX model of a ring modulator: ``model(*, wl, voltage_v) -> SDict`` (ports ``o1``,
    ``o2``), its ring at the resonance bias and junction put it
    (:func:`~cposim.photonics.interop.touchstone.modulator_s_matrix`).

    Parameters
    ----------
    modulator : cposim.photonics.devices.modulator.RingModulator
        The modulator.
    bias_detuning_m : float, optional
        Resonance at the lowest drive level minus the laser, metres; the modulator's own bias
        when omitted.
    """

    def model(*, wl=modulator.wavelength_m * 1e6, voltage_v=modulator.reverse_bias_v):
        """S-dictionary of the modulator at ``wl`` (µm) and reverse bias ``voltage_v`` (V)."""
        wavelength = np.asarray(wl, dtype=np.float64) * 1e-6
        s = modulator_s_matrix(
            modulator, wavelength, voltage_v=voltage_v, bias_detuning_m=bias_detuning_m
        )
        return to_sdict(s, ALL_PASS_PORTS)

    return model


def bank_netlist(rings) -> tuple[dict, dict]:
    """A SAX netlist and models of add-drop rings in a row on one bus (a WDM demultiplexer):
    ring ``k``'s through port feeds ring ``k + 1``'s input.

    Ports: ``in``, ``through`` (after the last ring), ``drop{k}`` and ``add{k}`` of each ring
    (:func:`~cposim.photonics.interop.touchstone.bank_ports`; the same network in closed form is
    :func:`~cposim.photonics.interop.touchstone.bank_s_matrix`).
    Returns ``(netlist, models)`` for ``sax.circuit(netlist, models)``.

    Parameters
    ----------
    rings : sequence of Ring
        The rings, in bus order (each a single add-drop ring).
    """
    rings = list(rings)
    if not rings or any(ring.is_all_pass for ring in rings):
        raise ValueError("rings must be one or more add-drop rings (power_coupling_drop > 0)")
    names = [f"ring{k}" for k in range(len(rings))]
    netlist = {
        "instances": {name: {"component": name} for name in names},
        "connections": {f"{a},o2": f"{b},o1" for a, b in itertools.pairwise(names)},
        "ports": {"in": f"{names[0]},o1", "through": f"{names[-1]},o2"},
    }
    for k, name in enumerate(names):
        netlist["ports"][f"drop{k}"] = f"{name},o4"
        netlist["ports"][f"add{k}"] = f"{name},o3"
    return netlist, {name: sax_model(ring) for name, ring in zip(names, rings, strict=True)}


def ring_model(
    *,
    wl=_DEFAULT.wavelength0_m * 1e6,
    radius_um=_DEFAULT.radius_m * 1e6,
    neff=_DEFAULT.neff,
    ng=_DEFAULT.ng,
    wl0=_DEFAULT.wavelength0_m * 1e6,
    loss_db_per_cm=_DEFAULT.loss_db_per_m / 100.0,
    coupling_in=_DEFAULT.power_coupling_in,
    coupling_drop=_DEFAULT.power_coupling_drop,
    delta_t_k=0.0,
) -> dict:
    """S-dictionary of a microring (SAX model; defaults are :class:`Ring`'s).

    Parameters
    ----------
    wl : float or array_like
        Wavelengths, µm (SAX's unit).
    radius_um : float
        Ring radius, µm.
    neff, ng : float
        Effective and group index at ``wl0`` (dimensionless).
    wl0 : float
        Wavelength of ``neff``, µm.
    loss_db_per_cm : float
        Propagation loss, dB/cm.
    coupling_in, coupling_drop : float
        Power coupling κ² of the input and drop couplers (fractions; ``coupling_drop = 0`` is
        an all-pass ring with ports ``o1``, ``o2``).
    delta_t_k : float
        Ring temperature rise, K.
    """
    ring = dataclasses.replace(
        _DEFAULT,
        radius_m=radius_um * 1e-6,
        neff=neff,
        ng=ng,
        wavelength0_m=wl0 * 1e-6,
        loss_db_per_m=loss_db_per_cm * 100.0,
        power_coupling_in=coupling_in,
        power_coupling_drop=coupling_drop,
    )
    return sax_model(ring)(wl=wl, delta_t_k=delta_t_k)


__all__ = [
    "bank_netlist",
    "modulator_sax_model",
    "ring_model",
    "sax_model",
    "to_sdict",
]
