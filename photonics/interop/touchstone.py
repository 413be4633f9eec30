"""Rings as S-parameter networks, and Touchstone files in and out (through scikit-rf).

Port naming follows gdsfactory's ``ring_single`` / ``ring_double`` (and so SAX netlists):

- all-pass ring, :data:`ALL_PASS_PORTS` ``("o1", "o2")``: ``o1`` input, ``o2`` through;
- a WDM bank of add-drop rings on one bus (:func:`bank_s_matrix`), ports :func:`bank_ports`
  (``in``, ``through``, ``drop{k}``, ``add{k}``);
- a ring modulator at a drive voltage (:func:`modulator_s_matrix`) is its all-pass ring at the
  temperature that puts the resonance where bias and junction hold it;
- add-drop ring, :data:`ADD_DROP_PORTS` ``("o1", "o2", "o3", "o4")``: ``o1`` input, ``o2``
  through, ``o3`` add, ``o4`` drop. Light into ``o1`` leaves at ``o2`` (through field) and
  ``o4`` (drop field); light into the add port ``o3`` leaves at ``o2`` (the drop field) and
  ``o4`` (the through field of the ring seen from its drop coupler, κ1 and κ2 swapped).

The couplers are reflectionless and the network reciprocal (``S = Sᵀ``) and passive (no
singular value above 1; lossless rings are unitary). The frequency axis is ``c/λ`` in hertz,
ascending, as Touchstone requires; ``z0`` is a formality of the format (50 Ω) with no meaning
for optical ports. scikit-rf is imported only by the functions that read or write files or
build ``skrf.Network`` objects (``pip install 'cposim[rf]'``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from cposim.control.core.validation import check_range
from cposim.photonics.devices.ring import WAVELENGTH_RANGE_M
from cposim.photonics.units import wavelength_to_frequency_hz

ALL_PASS_PORTS = ("o1", "o2")
"""Ports of an all-pass ring: input, through."""

ADD_DROP_PORTS = ("o1", "o2", "o3", "o4")
"""Ports of an add-drop ring: input, through, add, drop."""


def ring_s_matrix(ring, wavelength_m, *, delta_t_k=0.0) -> np.ndarray:
    """S-matrix of one ring at each wavelength, shape ``wavelength_shape + (n, n)``.

    Parameters
    ----------
    ring : cposim.photonics.devices.ring.Ring
        A single ring (scalar fields); all-pass when ``power_coupling_drop == 0``.
    wavelength_m : float or array_like
        Wavelengths, metres.
    delta_t_k : float
        Ring temperature rise, kelvin.
    """
    if ring.shape != ():
        raise ValueError(f"ring has shape {ring.shape}; export one ring at a time (shape ())")
    wavelength = np.asarray(wavelength_m, dtype=np.float64)
    through = ring.through_field(wavelength, delta_t_k=delta_t_k)
    if ring.is_all_pass:
        s = np.zeros((*wavelength.shape, 2, 2), dtype=np.complex128)
        s[..., 1, 0] = s[..., 0, 1] = through
        return s
    drop = ring.drop_field(wavelength, delta_t_k=delta_t_k)
    mirrored = dataclasses.replace(
        ring, power_coupling_in=ring.power_coupling_drop, power_coupling_drop=ring.power_coupling_in
    )
    add_through = mirrored.through_field(wavelength, delta_t_k=delta_t_k)
    s = np.zeros((*wavelength.shape, 4, 4), dtype=np.complex128)
    s[..., 1, 0] = s[..., 0, 1] = through  # o1 ↔ o2
    s[..., 3, 0] = s[..., 0, 3] = drop  # o1 ↔ o4
    s[..., 1, 2] = s[..., 2, 1] = drop  # o3 ↔ o2
    s[..., 3, 2] = s[..., 2, 3] = add_through  # o3 ↔ o4
    return s


def bank_ports(n_rings: int) -> tuple[str, ...]:
    """Port names of a bank of ``n_rings`` add-drop rings on one bus: ``in``, ``through``,
    then ``drop{k}`` and ``add{k}`` of each ring (the names of
    :func:`~cposim.photonics.interop.sax_models.bank_netlist`).

    Parameters
    ----------
    n_rings : int
        Rings in the bank, a count.
    """
    return ("in", "through", *(f"{kind}{k}" for k in range(n_rings) for kind in ("drop", "add")))


def bank_s_matrix(rings, wavelength_m, *, delta_t_k=0.0) -> np.ndarray:
    """S-matrix of add-drop rings in a row on one bus (a WDM demultiplexer bank), ports
    :func:`bank_ports`, shape ``wavelength_shape + (n, n)``.

    Light on the bus passes ring ``j`` with its through field ``t_j``; ring ``k`` sends the
    bus light to its drop port with ``d_k`` and the light of its add port onto the bus (towards
    ``through``) with ``d_k`` and to its own drop port with ``t'_k`` (κ1 and κ2 swapped):

    - ``in → through = Π t_j``, ``in → drop_k = d_k · Π_{j<k} t_j``;
    - ``add_k → through = d_k · Π_{j>k} t_j``, ``add_k → drop_k = t'_k``,
      ``add_k → drop_m = d_k · Π_{k<j<m} t_j · d_m`` for ``m > k``;

    reciprocal (``S = Sᵀ``), no reflections.

    Parameters
    ----------
    rings : sequence of Ring
        The rings in bus order (single add-drop rings).
    wavelength_m : float or array_like
        Wavelengths, metres.
    delta_t_k : float or sequence of float
        Temperature rise of each ring (or of all), kelvin.
    """
    rings = list(rings)
    if not rings or any(r.shape != () or r.is_all_pass for r in rings):
        raise ValueError("rings must be one or more single add-drop rings")
    n = len(rings)
    temperatures = np.broadcast_to(np.asarray(delta_t_k, dtype=np.float64), (n,))
    singles = [
        ring_s_matrix(r, wavelength_m, delta_t_k=float(t))
        for r, t in zip(rings, temperatures, strict=True)
    ]
    through = [m[..., 1, 0] for m in singles]
    drop = [m[..., 3, 0] for m in singles]
    add_drop = [m[..., 3, 2] for m in singles]
    shape = np.shape(through[0])
    ports = bank_ports(n)
    index = {name: k for k, name in enumerate(ports)}
    s = np.zeros((*shape, len(ports), len(ports)), dtype=np.complex128)

    def put(a, b, value):
        s[..., index[b], index[a]] = s[..., index[a], index[b]] = value

    before = np.ones(shape, dtype=np.complex128)
    for k in range(n):
        put("in", f"drop{k}", before * drop[k])
        put(f"add{k}", f"drop{k}", add_drop[k])
        onward = drop[k]  # add_k light on the bus, after ring k
        for m in range(k + 1, n):
            put(f"add{k}", f"drop{m}", onward * drop[m])
            onward = onward * through[m]
        put(f"add{k}", "through", onward)
        before = before * through[k]
    put("in", "through", before)
    return s


def modulator_s_matrix(modulator, wavelength_m, *, voltage_v, bias_detuning_m=None):
    """S-matrix of a ring modulator at one drive voltage (its ring's, at the temperature that
    puts the resonance where bias and junction hold it), shape ``wavelength_shape + (2, 2)``.

    Parameters
    ----------
    modulator : cposim.photonics.devices.modulator.RingModulator
        The modulator (an all-pass ring).
    wavelength_m : float or array_like
        Wavelengths, metres.
    voltage_v : float
        Reverse bias, volts.
    bias_detuning_m : float, optional
        Resonance at the lowest drive level minus the laser, metres; the modulator's own bias
        (:attr:`~cposim.photonics.devices.modulator.RingModulator.bias_m`) when omitted.
    """
    bias = modulator.bias_m if bias_detuning_m is None else bias_detuning_m
    delta_t = modulator.ring_temperature_k(bias_detuning_m=bias, voltage_v=voltage_v)
    return ring_s_matrix(modulator.ring, wavelength_m, delta_t_k=float(delta_t))


def _frequency_axis(wavelength_m) -> tuple[np.ndarray, np.ndarray]:
    """Frequencies (Hz, ascending) and the order that sorts the wavelengths to them."""
    wavelength = np.asarray(wavelength_m, dtype=np.float64).reshape(-1)
    check_range("wavelength_m", wavelength, low=WAVELENGTH_RANGE_M[0], high=WAVELENGTH_RANGE_M[1])
    frequency = wavelength_to_frequency_hz(wavelength)
    order = np.argsort(frequency)
    if np.any(np.diff(frequency[order]) <= 0.0):
        raise ValueError("wavelength_m must hold distinct wavelengths")
    return frequency[order], order


def to_network(s, wavelength_m, ports, *, name: str):
    """S-matrices over wavelength as a ``skrf.Network`` on an ascending frequency axis.

    Parameters
    ----------
    s : ndarray
        S-matrices ``(len(wavelength_m), n, n)``, in the order of ``wavelength_m``.
    wavelength_m : array_like
        Distinct wavelengths, metres (1-D).
    ports : sequence of str
        Port names.
    name : str
        The network's name (Touchstone file stem).
    """
    import skrf

    frequency, order = _frequency_axis(wavelength_m)
    network = skrf.Network(
        frequency=skrf.Frequency.from_f(frequency, unit="hz"), s=np.asarray(s)[order], name=name
    )
    network.port_names = list(ports)
    return network


def ring_network(ring, wavelength_m, *, delta_t_k=0.0, name: str = "ring"):
    """One ring as a ``skrf.Network`` over the given wavelengths (frequency ascending).

    Parameters
    ----------
    ring : cposim.photonics.devices.ring.Ring
        A single ring.
    wavelength_m : array_like
        Distinct wavelengths, metres (1-D).
    delta_t_k : float
        Ring temperature rise, kelvin.
    name : str
        The network's name (Touchstone file stem).
    """
    s = ring_s_matrix(ring, np.asarray(wavelength_m, dtype=np.float64), delta_t_k=delta_t_k)
    return to_network(
        s, wavelength_m, ALL_PASS_PORTS if ring.is_all_pass else ADD_DROP_PORTS, name=name
    )


@dataclass(frozen=True, kw_only=True)
class TabulatedNetwork:
    """An S-parameter table over wavelength, used as a lookup model (e.g. a measured ring).

    Parameters
    ----------
    wavelength_m : ndarray
        Wavelengths, metres, ascending (1-D).
    s : ndarray
        S-matrices, shape ``(len(wavelength_m), n, n)``, complex.
    port_names : tuple of str
        Port names, ``n`` of them (``o1 …`` when the file names none).
    name : str
        Name (the file's stem).
    """

    wavelength_m: np.ndarray
    s: np.ndarray
    port_names: tuple
    name: str = ""

    def __post_init__(self):
        wavelength = np.asarray(self.wavelength_m, dtype=np.float64)
        s = np.asarray(self.s, dtype=np.complex128)
        if wavelength.ndim != 1 or wavelength.size < 2 or np.any(np.diff(wavelength) <= 0.0):
            raise ValueError("wavelength_m must be 1-D, ascending, with at least 2 points")
        n = len(self.port_names)
        if s.shape != (wavelength.size, n, n):
            raise ValueError(
                f"s has shape {s.shape}; expected {(wavelength.size, n, n)} for "
                f"{wavelength.size} wavelengths and ports {self.port_names}"
            )
        object.__setattr__(self, "wavelength_m", wavelength)
        object.__setattr__(self, "s", s)
        object.__setattr__(self, "port_names", tuple(self.port_names))

    def s_at(self, wavelength_m, *, to_port: str, from_port: str) -> np.ndarray:
        """Complex ``S[to, from]`` at the given wavelengths, interpolated linearly in its real
        and imaginary parts (the table must resolve the resonances it holds).

        Parameters
        ----------
        wavelength_m : float or array_like
            Wavelengths inside the table's range, metres.
        to_port, from_port : str
            Port names.
        """
        wavelength = check_range(
            "wavelength_m", wavelength_m, low=self.wavelength_m[0], high=self.wavelength_m[-1]
        )
        column = self.s[:, self._index(to_port), self._index(from_port)]
        real = np.interp(wavelength, self.wavelength_m, column.real)
        imag = np.interp(wavelength, self.wavelength_m, column.imag)
        return real + 1j * imag

    def transmission(self, wavelength_m, *, to_port: str, from_port: str) -> np.ndarray:
        """Power transmission ``|S[to, from]|²`` (linear) at the given wavelengths.

        Parameters
        ----------
        wavelength_m : float or array_like
            Wavelengths inside the table's range, metres.
        to_port, from_port : str
            Port names.
        """
        return np.abs(self.s_at(wavelength_m, to_port=to_port, from_port=from_port)) ** 2

    def _index(self, port: str) -> int:
        if port not in self.port_names:
            raise ValueError(f"port = {port!r} is not one of {', '.join(self.port_names)}")
        return self.port_names.index(port)


def read_touchstone(path) -> TabulatedNetwork:
    """Read a Touchstone ``.sNp`` (measured or simulated) as a :class:`TabulatedNetwork`.

    Parameters
    ----------
    path : str or pathlib.Path
        The file; its frequency axis becomes wavelengths ``c/f`` (ascending).
    """
    import skrf

    network = skrf.Network(str(path))
    wavelength = wavelength_to_frequency_hz(network.f)  # c/f: the same map both ways
    order = np.argsort(wavelength)
    names = network.port_names or [f"o{k + 1}" for k in range(network.nports)]
    return TabulatedNetwork(
        wavelength_m=wavelength[order],
        s=network.s[order],
        port_names=tuple(names),
        name=network.name or "",
    )


__all__ = [
    "ADD_DROP_PORTS",
    "ALL_PASS_PORTS",
    "TabulatedNetwork",
    "bank_ports",
    "bank_s_matrix",
    "modulator_s_matrix",
    "read_touchstone",
    "ring_network",
    "ring_s_matrix",
    "to_network",
]
