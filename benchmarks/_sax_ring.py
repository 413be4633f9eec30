"""Workload W1 (all-pass ring spectra) in SAX, for ``bench_ring.py``.

The all-pass ring is a SAX circuit of two of SAX's own models: an ideal directional coupler
(``sax.models.coupler_ideal``) whose cross ports are closed by a waveguide
(``sax.models.straight``) that is the whole round trip, a feedback loop. The bus enters at the
coupler's ``in0`` and leaves at ``out0``; the through power is ``|S[in0, out0]|²``. Every ring
field is a model parameter broadcast against the wavelength grid (rings on axis 0, wavelengths
on axis 1), so one jitted call evaluates all rings at all wavelengths.

Backend: ``"filipsson_gunnar"`` (Filipsson's port-interconnection formula, Proc. 11th European
Microwave Conference, 1981). Of SAX 0.18's four backends only it and ``"klu"`` solve the loop
(``"forward"`` ignores the feedback and returns a wrong spectrum, ``"additive"`` fails). For this
two-instance circuit it reduces to the closed-form loop solution applied elementwise, which XLA
fuses over the broadcast (ring, wavelength) grid, while ``"klu"`` assembles and factorises a
sparse system for every ring-wavelength point: on 1000 rings x 400 wavelengths (2 shared cores)
it measured 0.01-0.03 s against 0.9-1.4 s for ``"klu"``, with identical results.

Mapping of cposim's :class:`~cposim.photonics.devices.ring.Ring` to the SAX model settings:

================================  ============================================================
SAX setting                       cposim value
================================  ============================================================
``wl`` (µm)                       ``wavelength_m · 1e6``
``straight.wl0`` (µm)             ``wavelength0_m · 1e6``
``straight.neff``, ``.ng``        ``neff``, ``ng`` (same first-order dispersion
                                  ``n(λ) = neff − (ng − neff)(λ − λ0)/λ0`` in both)
``straight.length`` (µm)          ``round_trip_length_m · 1e6`` (``2πR + 2·straight``)
``straight.loss_dB_cm`` (dB/cm)   ``loss_db_per_m / 100``; SAX's amplitude
                                  ``10^(−1e-4·loss_dB_cm·length/20)`` is then cposim's
                                  ``a = 10^(−loss_db_per_m·L/20)``
``coupler_ideal.coupling``        ``power_coupling_in`` (κ²: self ``√(1 − κ²)`` = cposim's r,
                                  cross ``iκ``)
================================  ============================================================

SAX's waveguide phase is ``e^{+iφ}`` and its cross coupling ``iκ``; the through field is then
``(r − a·e^{iφ})/(1 − r·a·e^{iφ})``, cposim's (Bogaerts et al., Laser Photonics Rev. 6, 47
(2012)), whose power is the one compared. The ring temperature rise is zero (as in W1).

Importing this module switches JAX to float64 (``jax_enable_x64``): W1 is specified in float64,
and in float32 the round-trip phase (~280 rad) keeps only ~1e-5 rad, which near a resonance of
these rings moves the through power by up to 3e-3 (measured, 1000 W1 rings x 2000 wavelengths),
against ≤ 1e-11 in float64, where the residual is the rounding of that phase (~1e-13 rad) times
the resonance slope of the through power.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import sax

from cposim.photonics.devices.ring import Ring

jax.config.update("jax_enable_x64", True)

BACKEND = "filipsson_gunnar"
"""SAX circuit backend used (the fastest one that solves the ring's feedback loop)."""

_NETLIST = {
    "instances": {"coupler": {"component": "coupler"}, "ring": {"component": "straight"}},
    "connections": {"coupler,out1": "ring,in0", "ring,out0": "coupler,in1"},
    "ports": {"in0": "coupler,in0", "out0": "coupler,out0"},
}
_MODELS = {"coupler": sax.models.coupler_ideal, "straight": sax.models.straight}


@functools.cache
def _circuit(backend: str):
    # Cached for the life of the process: a compiled "klu" program refers by raw pointer to the
    # KLU symbolic analysis owned by the circuit, and JAX runs it asynchronously, so a circuit
    # freed as soon as its caller returns would be read after free (segfault in klu_factor).
    return sax.circuit(_NETLIST, _MODELS, backend=backend)[0]


def sax_all_pass_through(rings: Ring, wavelength_m: np.ndarray, *, backend: str = BACKEND):
    """Zero-argument callable computing the through-port power of all-pass rings with SAX.

    Parameters
    ----------
    rings : Ring
        All-pass rings (``power_coupling_drop == 0`` everywhere), any field shape.
    wavelength_m : array_like
        Wavelengths in metres, any shape.
    backend : str
        SAX circuit backend that supports feedback loops (``"filipsson_gunnar"`` or ``"klu"``).

    Returns
    -------
    callable
        ``f()`` returns the linear through power as a float64 JAX array of shape
        ``rings.shape + wavelength shape``; the first call compiles.
    """
    if not np.all(rings.is_all_pass):
        raise ValueError("power_coupling_drop must be 0 for every ring (all-pass rings only)")
    circuit = _circuit(backend)
    lam_um = np.asarray(wavelength_m, dtype=float) * 1e6

    def fields(value):
        return jnp.asarray(np.broadcast_to(value, rings.shape).reshape(-1, 1))

    settings = {
        "neff": fields(rings.neff),
        "ng": fields(rings.ng),
        "wl0": fields(np.asarray(rings.wavelength0_m) * 1e6),
        "length": fields(rings.round_trip_length_m * 1e6),
        "loss_dB_cm": fields(np.asarray(rings.loss_db_per_m) / 100.0),
    }
    coupling = fields(rings.power_coupling_in)
    wl = jnp.asarray(lam_um.reshape(1, -1))

    @jax.jit
    def through(wl, coupling, settings):
        s = circuit(wl=wl, coupler={"coupling": coupling}, ring=settings)
        power = jnp.abs(s["in0", "out0"]) ** 2
        return power.reshape(rings.shape + lam_um.shape)

    return lambda: through(wl, coupling, settings)
