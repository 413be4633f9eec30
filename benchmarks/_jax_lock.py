"""The closed-loop lock kernel in JAX (``jax.lax.scan``), for ``bench_control.py``.

A JAX version of :func:`cposim.control.loop._reference.lock_banks_reference`: the same packed
arrays (``s``, ``p``, ``st``, ``buf``, ``tr``; index constants of
:mod:`cposim.control.loop._kernels`), the same loop and the same arithmetic in the same order.
:func:`lock_banks_jax` takes the reference's arguments and updates ``st``, ``buf`` and ``tr`` in
place, so it can stand in for the reference inside
:func:`cposim.control.loop.locking.simulate_locking` (:func:`numpy_engine_runs_jax`); the
jitted work is :func:`lock_chunk`.

Mapping to the reference:

- the Python loop over steps is a ``lax.scan`` whose carry is the state (one array per state
  field) and the lock-in history ``buf``; the step body (:func:`_step`) is the reference's,
  vectorised with ``jnp`` over all banks and rings, flattened into one axis of
  ``n_banks·n_rings`` (bank-major, as ``st[:, field]`` is laid out; (n_banks, n_rings) arrays
  ran ~20 % slower, 3.7e7 against 4.4e7 ring-steps/s on the Lorentzian workload);
- choices fixed for the run (detector kind, anti-windup mode, bumpless start, noise, ADC and DAC
  quantisation, dither period, crosstalk offsets) are Python branches at trace time
  (:class:`Plan`, a static argument: each distinct plan compiles once); conditions that depend
  on the step (control started, the first control step, statistics started, the dither slot)
  are ``jnp.where`` selects and dynamic indices;
- the detector noise arrives as normals made by the reference's own generator
  (:func:`cposim.control.loop._noise.bank_noise` of the groups' stream keys), a chunk of
  :data:`CHUNK_NORMALS` at a time (:func:`lock_banks_jax`); the dither's cos/sin table is
  computed with NumPy exactly as the reference does;
- the banded crosstalk sum adds the offsets in the reference's order (:func:`_thermal_update`)
  as shifted slices of the flat, zero-padded powers weighted by ``coef`` tiled over the banks;
  ``coef`` is zero where a neighbour lies outside the bank, so the terms the reference skips
  (including those reaching into the next bank) add exact zeros, and the sum stays elementwise
  (one fused loop instead of an in-place update per offset).

Results are not bit for bit the reference's: XLA's CPU backend contracts ``a·b + c`` into fused
multiply-adds (it always allows FMA contraction; on this AVX2/FMA machine ~12 % of a plain
``a*b + c`` differ from NumPy in the last bit), and its cos/sin may differ from NumPy's in the
last bit. The detuning, a difference of wavelengths near 1.3 µm, then differs by about one ulp
of the wavelength (2e-22 m).

Traces: scanning every step with per-step outputs and slicing ``[::decimation]`` afterwards
would stack 3 × 8 B per ring per step, 2.4 GB for 10^4 rings × 10^4 steps, 100 times what the
traces keep at the benchmark's decimation of 100. Instead the chunk runs as nested scans: an
outer scan over records, each a block of ``decimation`` steps whose first step (the one the
reference records, ``k % decimation == 0``) emits the record and whose other steps run in an
inner scan without outputs; steps before the chunk's first recorded step and a partial last
block run as scans of their own (:func:`_split`), so any chunk boundary works. Memory stays at
the state plus the chunk's records and normals, and the record costs nothing on the other
steps (a select into a carried trace buffer would read and write it on every step).

All arithmetic is float64 (importing this module sets ``jax_enable_x64``).

Measured (jax and jaxlib 0.10.2 on CPU, 2 shared cores, ``python benchmarks/bench_control.py``:
10^4 rings × 10^4 steps, decimation 100, the JAX run timed after an untimed one of the same
shapes): Lorentzian slope 4.4e7 ring-steps/s against Numba's 3.1e8 (Numba 7.0× faster),
dither + lock-in with noise 2.2e7 against 1.3e8 (5.8×); compiling a plan takes about 1 s. The
cost per ring and step hardly depends on the number of rings (3.8e7 ring-steps/s at 256 rings,
4.7e7 at 10^4, Lorentzian), so neither dispatch nor cache size limits it: XLA compiles the
step into ~27 fused loops over all rings plus ~10 copies of carried state, with 205
elementwise operations per ring and step where the step as written has about 125, because it
recomputes shared intermediates such as the detuning inside every fusion that uses them, and
each loop streams its operands from L2 (one field of 10^4 rings is 80 kB). Numba's kernel
runs every stage on blocks of 64 (ring, bank) pairs in L1 and bank groups in parallel on both
cores. (These figures predate the counter-based noise: the Numba kernel now makes its normals
itself, while the JAX loop here receives NumPy's.)
"""

from __future__ import annotations

import functools
from typing import NamedTuple
from unittest import mock

import jax
import jax.numpy as jnp
import numpy as np

from cposim.control.loop import _kernels as K
from cposim.control.loop import locking
from cposim.control.loop._noise import bank_noise

jax.config.update("jax_enable_x64", True)


class Plan(NamedTuple):
    """What is fixed for a call of :func:`lock_chunk` (static: one compilation per plan).

    Parameters
    ----------
    kind : int
        Detector kind: 0 ideal, 1 Lorentzian slope, 2 dither + lock-in.
    anti_windup : int
        0 none, 1 clamping, 2 back-calculation.
    bumpless : bool
        Bumpless start of the controller.
    has_noise : bool
        Detector noise present in the chunk.
    adc : bool
        ADC quantisation (step > 0).
    dac : bool
        Heater DAC quantisation (levels > 0).
    n_dither : int
        Dither period, steps (length of ``buf``'s slot axis).
    decimation : int
        Trace decimation, steps.
    offsets : tuple of int
        Crosstalk offsets, in the order of ``coef``'s rows.
    n_head, n_blocks, n_tail : int
        Steps before the chunk's first recorded step, whole blocks of ``decimation`` steps that
        start with a recorded step, and steps of a partial last block (see :func:`_split`).
    """

    kind: int
    anti_windup: int
    bumpless: bool
    has_noise: bool
    adc: bool
    dac: bool
    n_dither: int
    decimation: int
    offsets: tuple[int, ...]
    n_head: int
    n_blocks: int
    n_tail: int


def _split(k0: int, k1: int, decimation: int) -> tuple[int, int, int]:
    """(head, blocks, tail) of steps ``k0 … k1 - 1``: recorded steps start each block or tail."""
    first_record_step = -(-k0 // decimation) * decimation
    head = min(first_record_step, k1) - k0
    blocks, tail = divmod(k1 - k0 - head, decimation)
    return head, blocks, tail


def make_plan(k0, k1, s, offsets, has_noise: bool) -> Plan:
    """The :class:`Plan` of a call with the reference's arguments.

    Raises
    ------
    ValueError
        For the power-maximum tracker (kind 3), which this module does not implement.
    """
    kind = int(s[K.S_KIND])
    if kind not in (0, 1, 2):
        raise ValueError(f"detector kind {kind} is not implemented in JAX (kinds 0, 1, 2 are)")
    decimation = int(s[K.S_DECIMATION])
    n_head, n_blocks, n_tail = _split(k0, k1, decimation)
    return Plan(
        kind=kind,
        anti_windup=int(s[K.S_ANTI_WINDUP]),
        bumpless=bool(s[K.S_BUMPLESS] > 0.0),
        has_noise=bool(has_noise),
        adc=bool(s[K.S_QUANT_STEP] > 0.0),
        dac=bool(s[K.S_DAC_LEVELS] > 0.0),
        n_dither=int(s[K.S_DITHER_N]),
        decimation=decimation,
        offsets=tuple(int(o) for o in offsets),
        n_head=n_head,
        n_blocks=n_blocks,
        n_tail=n_tail,
    )


def _quantise_power(plan: Plan, power, pmax, levels):
    """Clip to [0, pmax] and, with a DAC, round to its square-law level (``quantise_power``)."""
    power = jnp.clip(power, 0.0, pmax)
    if not plan.dac:
        return power
    code = jnp.floor(jnp.sqrt(power * (1.0 / pmax)) * levels + 0.5) * (1.0 / levels)
    return pmax * code * code


def _flush(state, k):
    """Every ``FLUSH_PERIOD`` steps, subnormal ``FLUSHED`` states to zero (kernel's ``flush``)."""
    due = k % K.FLUSH_PERIOD == 0
    for f in K.FLUSHED:
        state[f] = jnp.where(due & (jnp.abs(state[f]) < K.DBL_MIN), 0.0, state[f])


def _thermal_update(plan: Plan, s, p, state, coef):
    """Exact-ZOH step of the self and mutual paths (banded crosstalk), in place in ``state``."""
    applied = state[K.U_APPLIED]
    n = applied.shape[0]
    reach = max((abs(off) for off in plan.offsets), default=0)
    padded = jnp.pad(applied, reach)
    mutual_in = jnp.zeros_like(applied)
    for o, off in enumerate(plan.offsets):
        mutual_in = mutual_in + coef[o] * padded[reach + off : reach + off + n]
    own = p[K.P_RSELF] * applied
    a1, a2 = state[K.X_S1], state[K.X_S2]
    state[K.X_S1] = s[K.S_SA11] * a1 + s[K.S_SA12] * a2 + s[K.S_SB1] * own
    state[K.X_S2] = s[K.S_SA21] * a1 + s[K.S_SA22] * a2 + s[K.S_SB2] * own
    m1, m2 = state[K.X_M1], state[K.X_M2]
    state[K.X_M1] = s[K.S_MA11] * m1 + s[K.S_MA12] * m2 + s[K.S_MB1] * mutual_in
    state[K.X_M2] = s[K.S_MA21] * m1 + s[K.S_MA22] * m2 + s[K.S_MB2] * mutual_in


def _slope_error(plan: Plan, s, detuning, drop, z):
    """Error of the ideal (δ) or Lorentzian-slope (δ·D²) detector, with noise and ADC."""
    err = detuning if plan.kind == 0 else detuning * drop * drop
    if plan.has_noise:
        err = err + s[K.S_NOISE_SIGMA] * z
    if plan.adc:
        err = s[K.S_QUANT_STEP] * jnp.floor(err * s[K.S_INV_QUANT] + 0.5)
    return err


def _lock_in_error(plan: Plan, s, p, state, buf, drop, z, slot, cos_t, sin_t):
    """Error and monitor of the dither + lock-in detector; updates ``state``, returns ``buf``."""
    signal = p[K.P_PEAK_CURRENT] * drop
    if plan.has_noise:
        signal = signal + s[K.S_NOISE_SIGMA] * z
    if plan.adc:
        rounded = s[K.S_QUANT_STEP] * jnp.floor(signal * s[K.S_INV_QUANT] + 0.5)
        signal = jnp.clip(rounded, 0.0, s[K.S_ADC_FULL_SCALE])
    alpha = s[K.S_MONITOR_ALPHA]
    state[K.MONITOR] = alpha * state[K.MONITOR] + (1.0 - alpha) * signal * p[K.P_INV_PEAK]
    product = signal * (sin_t * p[K.P_REF_COS] + cos_t * p[K.P_REF_SIN])
    oldest = jax.lax.dynamic_index_in_dim(buf, slot, keepdims=False)
    state[K.LOCKIN_SUM] = state[K.LOCKIN_SUM] + (product - oldest)
    buf = jax.lax.dynamic_update_index_in_dim(buf, product, slot, axis=0)
    return state[K.LOCKIN_SUM] * p[K.P_NORM], state[K.MONITOR], buf


def _pi_update(plan: Plan, s, p, state, err, k):
    """PI(D) controller with anti-windup from ``S_CONTROL_START`` on (selects on the step)."""
    kp, pmax = s[K.S_KP], p[K.P_PMAX]
    first = k == s[K.S_CONTROL_START]
    if plan.bumpless:
        integ = jnp.where(first, state[K.U_CMD] - kp * err, state[K.INTEG])
        eprev = jnp.where(first, err, state[K.EPREV])
    else:
        integ = jnp.where(first, 0.0, state[K.INTEG])
        eprev = jnp.where(first, 0.0, state[K.EPREV])
    dstate = jnp.where(first, 0.0, state[K.DSTATE])
    dstate = s[K.S_DERIV_FILTER] * dstate + s[K.S_DERIV_GAIN] * (err - eprev)
    v = kp * err + integ + dstate
    u = jnp.clip(v, 0.0, pmax)
    increment = s[K.S_KIH] * err
    if plan.anti_windup == 1:
        hold = ((v > pmax) & (err > 0.0)) | ((v < 0.0) & (err < 0.0))
        increment = jnp.where(hold, 0.0, increment)
    elif plan.anti_windup == 2:
        increment = increment + s[K.S_BACK_CALC] * (u - v)
    control = k >= s[K.S_CONTROL_START]
    updates = ((K.INTEG, integ + increment), (K.DSTATE, dstate), (K.EPREV, err), (K.U_CMD, u))
    for field, value in updates:
        state[field] = jnp.where(control, value, state[field])


def _book(s, p, state, detuning, err, mon, k):
    """Lock state, first-lock time, losses, residual statistics and mean power."""
    active = p[K.P_ACTIVE]
    ok = (active > 0.0) & (mon >= s[K.S_LOCK_DROP]) & (jnp.abs(err) <= p[K.P_ERR_THRESHOLD])
    ok &= state[K.U_CMD] < p[K.P_PMAX]
    previous = state[K.RUN]
    current = jnp.where(ok, jnp.maximum(previous, 0.0) + 1.0, jnp.minimum(previous, 0.0) - 1.0)
    state[K.RUN] = current
    hold = s[K.S_LOCK_HOLD]
    was = state[K.LOCKED]
    gain = (was == 0.0) & (current >= hold)
    loss = (was == 1.0) & (-current >= hold)
    state[K.LOCKED] = jnp.where(gain, 1.0, jnp.where(loss, 0.0, was))
    state[K.T_LOCK] = jnp.where(gain & (state[K.T_LOCK] < 0.0), k, state[K.T_LOCK])
    state[K.N_LOSS] = state[K.N_LOSS] + loss
    counted = (state[K.LOCKED] == 1.0) & (k >= s[K.S_STATS_START])
    state[K.STAT_N] = state[K.STAT_N] + counted
    state[K.STAT_SUM] = state[K.STAT_SUM] + jnp.where(counted, detuning, 0.0)
    state[K.STAT_SUM2] = state[K.STAT_SUM2] + jnp.where(counted, detuning * detuning, 0.0)
    state[K.STAT_MAXABS] = jnp.where(
        counted, jnp.maximum(state[K.STAT_MAXABS], jnp.abs(detuning)), state[K.STAT_MAXABS]
    )
    state[K.POWER_SUM] = state[K.POWER_SUM] + state[K.U_APPLIED]


def _step(plan: Plan, s, p, coef, dither, carry, x):
    """One time step of the reference's loop; returns the new carry and the step's record."""
    state, buf = list(carry[0]), carry[1]
    k, ambient, asic, laser_shift, z = x
    temperature = state[K.X_S2] + state[K.X_M2] + ambient + p[K.P_RASIC] * asic
    raw = p[K.P_LASER] + laser_shift - (p[K.P_COLD] + p[K.P_DLDT] * temperature)
    detuning = raw - p[K.P_FSR] * jnp.floor(raw * p[K.P_INV_FSR] + 0.5)
    xh = detuning * p[K.P_INV_HWHM]
    drop = 1.0 / (1.0 + xh * xh)
    if plan.kind <= 1:
        err = _slope_error(plan, s, detuning, drop, z)
        mon = drop
    else:
        slot = k % plan.n_dither
        cos_t, sin_t = dither[0, slot], dither[1, slot]
        err, mon, buf = _lock_in_error(plan, s, p, state, buf, drop, z, slot, cos_t, sin_t)
    _pi_update(plan, s, p, state, err, k)
    if plan.kind == 2:
        command = state[K.U_CMD] + s[K.S_DITHER_AMP] * sin_t
    else:
        command = state[K.U_CMD]
    active = p[K.P_ACTIVE]
    state[K.U_APPLIED] = _quantise_power(plan, command, p[K.P_PMAX], s[K.S_DAC_LEVELS]) * active
    _book(s, p, state, detuning, err, mon, k)
    record = (jnp.where(active > 0.0, detuning, jnp.nan), state[K.U_APPLIED], err)
    _thermal_update(plan, s, p, state, coef)
    _flush(state, k)
    return (tuple(state), buf), record


def _advance(step, carry, xs):
    """Run ``step`` over every step of ``xs`` without records."""
    if xs[0].shape[0] == 0:
        return carry
    return jax.lax.scan(lambda c, x: (step(c, x)[0], None), carry, xs)[0]


def _block(step, carry, xs):
    """Run a block of steps whose first step is recorded; returns the carry and that record."""
    carry, record = step(carry, jax.tree.map(lambda a: a[0], xs))
    return _advance(step, carry, jax.tree.map(lambda a: a[1:], xs)), record


@functools.partial(jax.jit, static_argnums=0)
def lock_chunk(plan: Plan, k0, s, p, coef, ambient, asic, laser_shift, z, dither, st, buf):
    """Steps ``k0 … k0 + steps - 1`` of every bank as nested ``lax.scan``s (jitted).

    Parameters
    ----------
    plan : Plan
        Static choices and the chunk's head/blocks/tail layout (:func:`make_plan`).
    k0 : int
        Global index of the chunk's first step.
    s, p, coef, st, buf : array
        The reference's scalars, parameters, crosstalk coefficients, state and lock-in history.
    ambient, asic, laser_shift : array, shape (steps,)
        The chunk's disturbance samples (K, W, m).
    z : array, shape (steps, n_banks·n_rings)
        The chunk's standard normals (bank-major), or empty without noise.
    dither : array, shape (2, n_dither)
        cos and sin of the dither phase of each slot.

    Returns
    -------
    st, buf : array
        The state and lock-in history after the chunk.
    records : array, shape (n_banks, 3, n_rings, n_records)
        The chunk's trace records (detuning, heater power, error).
    """
    n_banks, _, n_rings = p.shape
    rings = n_banks * n_rings
    steps = ambient.shape[0]
    k = k0 + jnp.arange(steps)
    xs = (k, ambient, asic, laser_shift, z if plan.has_noise else None)
    fields = [p[:, f].reshape(rings) for f in range(K.N_PARAMS)]
    step = functools.partial(_step, plan, s, fields, jnp.tile(coef, (1, n_banks)), dither)
    history = buf.transpose(1, 0, 2).reshape(plan.n_dither, rings)
    carry = (tuple(st[:, f].reshape(rings) for f in range(K.N_STATE)), history)
    head, body = plan.n_head, plan.n_head + plan.n_blocks * plan.decimation
    carry = _advance(step, carry, jax.tree.map(lambda a: a[:head], xs))
    blocks = jax.tree.map(
        lambda a: a[head:body].reshape(plan.n_blocks, plan.decimation, *a.shape[1:]), xs
    )
    records = []
    if plan.n_blocks:
        carry, stacked = jax.lax.scan(functools.partial(_block, step), carry, blocks)
        records.append(jnp.stack(stacked, axis=1))
    if plan.n_tail:
        carry, record = _block(step, carry, jax.tree.map(lambda a: a[body:], xs))
        records.append(jnp.stack(record)[None])
    traces = jnp.concatenate(records) if records else jnp.zeros((0, 3, rings))
    state, history = carry
    return (
        jnp.stack(state).reshape(K.N_STATE, n_banks, n_rings).transpose(1, 0, 2),
        history.reshape(plan.n_dither, n_banks, n_rings).transpose(1, 0, 2),
        traces.reshape(-1, 3, n_banks, n_rings).transpose(2, 1, 3, 0),
    )


def _dither_table(n_dither: int) -> np.ndarray:
    """cos and sin of each dither slot's phase, computed as the reference computes them."""
    angles = [2.0 * np.pi * slot / n_dither for slot in range(n_dither)]
    return np.array([[np.cos(a) for a in angles], [np.sin(a) for a in angles]])


CHUNK_NORMALS = 1_000_000
"""Normals per chunk of steps handed to :func:`lock_chunk` (8 MB)."""


def lock_banks_jax(k0, k1, inputs, keys, state):
    """Drop-in for :func:`~cposim.control.loop._reference.lock_banks_reference` (same arguments).

    Runs steps ``k0 … k1 - 1`` with :func:`lock_chunk`, in chunks of about
    :data:`CHUNK_NORMALS` normals, and writes the state, the lock-in history and the trace
    records back into ``state`` in place.
    """
    s, p, offsets, coef, ambient, asic, laser_shift = inputs
    st, buf, tr = state
    n_banks, _, n_rings = p.shape
    has_noise = keys.size > 0 and s[K.S_NOISE_SIGMA] > 0.0
    chunk = max(1, CHUNK_NORMALS // (n_banks * n_rings))
    for c0 in range(k0, k1, chunk):
        c1 = min(k1, c0 + chunk)
        plan = make_plan(c0, c1, s, offsets, has_noise)
        z = (
            bank_noise(keys, n_banks, n_rings, c0, c1).reshape(c1 - c0, -1)
            if has_noise
            else np.zeros((c1 - c0, 0))
        )
        state_c, history, records = lock_chunk(
            plan,
            c0,
            s,
            p,
            coef,
            ambient[c0:c1],
            asic[c0:c1],
            laser_shift[c0:c1],
            z,
            _dither_table(plan.n_dither),
            st,
            buf,
        )
        st[...] = state_c
        buf[...] = history
        first_record = -(-c0 // plan.decimation)
        tr[..., first_record : first_record + records.shape[3]] = records


def numpy_engine_runs_jax():
    """Context manager: ``simulate_locking(..., engine="numpy")`` runs :func:`lock_banks_jax`."""
    engine = locking.LOOP_ENGINES["numpy"]._replace(lock=lock_banks_jax)
    return mock.patch.dict(locking.LOOP_ENGINES, {"numpy": engine})
