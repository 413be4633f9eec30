"""Link budget and BER of microring WDM (or single-wavelength DR) lanes.

Model of one lane (channel ``i`` of a link), all powers optical unless stated. Every ring is an
exact Airy function of its phase, ``1 - D/(1 + F·sin²(π·δ/FSR))`` with ``F`` from the ring's
linewidth (:mod:`cposim.photonics.devices.lorentzian`):

1. **Transmitter.** The external laser line (``laser_power_dbm`` per wavelength) is split
   ``laser_split_ways`` ways, coupled onto the chip, passes the other modulators (their Airy
   tails at the mean level plus ``pass_by_loss_db`` per ring) and is modulated by its own ring:
   level ``k`` has the exact phase of the
   :class:`~cposim.photonics.devices.modulator.RingModulator` at that drive voltage
   (:attr:`LinkParameters.operating_point`), shifted by the lane's lock
   error; a datasheet operating point replaces it only when given explicitly. A lane whose
   driver swings a ratio ``1 + δ`` of nominal moves each level's phase by ``c1_k·δ + c2_k·δ²``
   (:attr:`LinkParameters.level_phase_swing_cycles`), its mid level (what the neighbours'
   tails see) by their mean.
2. **Channel.** TX coupler, fiber and connectors, RX coupler.
3. **Receiver bank.** Ring ``i`` drops channel ``i`` after rings ``0 … i-1``; each ring's drop
   and through ports (from the demultiplexer :class:`~cposim.photonics.devices.ring.Ring`) at
   its actual detuning give ``X[i, j]``, the part of channel ``j`` reaching receiver ``i``. DR
   links (one channel) have no bank.
4. **Photodiode and noise.** Level currents ``I_k = R·P_k``; per-level noise
   ``σ_k² = (i_n·√B_n)² + 2q·(I_k + I_xt)·B_n + RIN·I_k²·B_n`` (TIA input-referred density over
   the noise bandwidth ``B_n``, the receiver's 3 dB bandwidth times ``noise_bandwidth_ratio``;
   shot noise with the crosstalk's average current; laser RIN).
5. **Eyes.** Each of the ``M - 1`` eyes is closed, worst case, by (a) ISI of one equivalent
   pole ``f = (f_photon⁻² + f_RC⁻² + f_RX⁻²)^(-1/2)`` from the modulator's photon lifetime, its
   junction RC and the receiver bandwidth
   (:func:`~cposim.photonics.devices.modulator.isi_penalty_db`), and (b) incoherent crosstalk taken
   as stated: every interferer's full received swing
   ``Σ_j X[i, j]·OMA_j`` subtracts from every eye. A narrower receiver lowers the noise and adds
   ISI; a wider one the reverse.
5b. **Implementation penalty.** An optional, named receiver penalty raises the thermal noise by
   its factor (0 dB by default: nothing is assumed on top of the model).
6. **BER and margins.** With the optimum threshold per eye, ``q_k = eye_k/(σ_k + σ_{k+1})`` and,
   Gray coded, ``BER = 2/(M·log2 M)·Σ_k Q(q_k)`` with ``Q(x) = ½·erfc(x/√2)``; for equal eyes
   this is :func:`ber_from_q`. The **optical power margin** (``margin_db``) is solved exactly:
   the dB by which the laser power, and with it every received power, crosstalk and ISI, can
   fall before the BER reaches ``target_ber`` (thermal noise stays, shot noise scales with the
   power and RIN with its square). The **q margin** ``10·log10(q_eq/q_target)`` (``q_eq`` gives
   the same BER with equal eyes) is what the itemised penalties add up to; both are ≥ 0 exactly
   when ``BER <= target_ber`` and equal when thermal noise dominates.

Penalties are itemised in optical dB, each the ratio of the smallest eye before and after the
effect (``PENALTY_NAMES``): extinction ratio (average power → OMA), eye linearity (TDECQ-like,
unequal PAM4 spacing), residual detuning (own modulator and demux ring off their lock points),
ISI, crosstalk, implementation, and noise (shot/RIN noise and the mix of unequal eyes, measured
against the thermal-noise-only sensitivity). They add up exactly:
``received average + 3.01 dB (ideal OMA = 2 × average) − Σ penalties − sensitivity = q margin``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cposim.photonics.link._kernels import PENALTY_NAMES
from cposim.photonics.link.energy import LanePower
from cposim.photonics.link.lanes import LaneBudget, evaluate_lanes
from cposim.photonics.link.parameters import LinkParameters


def evaluate_link(
    params: LinkParameters | None = None,
    *,
    modulator_detuning_m=0.0,
    demux_detuning_m=0.0,
    laser_power_dbm=None,
    heater_power_w=None,
) -> LinkBudget:
    """Itemised budget of one link (every channel), with energy per bit.

    Parameters
    ----------
    params : LinkParameters, optional
        The link; default :class:`LinkParameters` (an 8 λ × 200G PAM4 O-band link).
    modulator_detuning_m, demux_detuning_m : float or array_like, shape (n_channels,)
        Residual resonance errors of the modulator and demultiplexer rings, metres.
    laser_power_dbm : float or array_like, optional
        Laser power per wavelength, dBm (default ``params.laser_power_dbm``).
    heater_power_w : float or array_like, optional
        Heater power per lane (all its rings), watts; default from ``params.electrical``.

    Returns
    -------
    LinkBudget
    """
    params = LinkParameters() if params is None else params
    n = params.grid.n_channels
    lanes = evaluate_lanes(
        params,
        modulator_detuning_m=modulator_detuning_m,
        demux_detuning_m=demux_detuning_m,
        laser_power_dbm=laser_power_dbm,
    )
    if lanes.ber.shape != (n,):
        raise ValueError(
            f"evaluate_link takes one value per channel (shape ({n},)); got lanes "
            f"of shape {lanes.ber.shape}; use evaluate_lanes for batches"
        )
    laser_dbm = np.broadcast_to(
        params.laser_power_dbm if laser_power_dbm is None else laser_power_dbm, (n,)
    ).astype(float)
    modulator_il = -10.0 * np.log10(params.operating_point.transmissions().mean())
    drop_loss = params.demux_airy.drop_loss_db if params.demux is not None else 0.0
    rows = [
        ("laser output per wavelength", "start", laser_dbm),
        ("laser split and excess", "loss", params.split_loss_db),
        ("laser coupler (ELS to PIC)", "loss", params.laser_coupler_loss_db),
        ("mux pass-by", "loss", lanes.mux_pass_by_db),
        ("modulator insertion loss", "loss", modulator_il),
        ("TX coupler (PIC to fiber)", "loss", params.tx_coupler_loss_db),
        ("fiber and connectors", "loss", params.fiber_connector_loss_db),
        ("RX coupler (fiber to PIC)", "loss", params.rx_coupler_loss_db),
        ("demux pass-by", "loss", lanes.demux_pass_by_db),
        ("demux drop", "loss", drop_loss),
        ("received average power", "subtotal", lanes.received_average_dbm),
        (
            "ideal OMA (2 × average power)",
            "subtotal",
            lanes.received_average_dbm + 10.0 * np.log10(2.0),
        ),
    ]
    rows += [
        (f"{name.replace('_', ' ')} penalty", "penalty", lanes.penalties_db[:, k])
        for k, name in enumerate(PENALTY_NAMES)
    ]
    effective = lanes.received_average_dbm + 10.0 * np.log10(2.0) - lanes.penalties_db.sum(axis=1)
    rows += [
        ("effective OMA", "subtotal", effective),
        ("receiver sensitivity (thermal-noise OMA)", "reference", params.sensitivity_oma_dbm),
        ("q margin (= the budget above)", "result", lanes.q_margin_db),
        ("optical power margin", "result", lanes.margin_db),
        ("received OMA", "info", lanes.received_oma_dbm),
        ("specification sensitivity (DR4 OMA)", "spec", params.spec_sensitivity_oma_dbm),
        (
            "margin to specification",
            "spec",
            lanes.received_oma_dbm - params.spec_sensitivity_oma_dbm,
        ),
    ]
    laser_lane_w = 1e-3 * 10.0 ** (laser_dbm / 10.0) / params.laser_split_ways
    return LinkBudget(
        items=tuple(r[0] for r in rows),
        kinds=tuple(r[1] for r in rows),
        values_db=np.array([np.broadcast_to(r[2], (n,)) for r in rows], dtype=np.float64),
        channel_wavelength_m=params.grid.wavelengths_m,
        ber=lanes.ber,
        target_ber=params.target_ber,
        lanes=lanes,
        power=params.electrical.lane_power(
            laser_optical_power_w=laser_lane_w,
            bit_rate_bps=params.bit_rate_bps,
            heater_power_w=heater_power_w,
        ),
    )


@dataclass(frozen=True, kw_only=True)
class LinkBudget:
    """Itemised link budget of every channel of one link.

    Parameters
    ----------
    items : tuple of str
        Budget lines, in waterfall order.
    kinds : tuple of str
        Kind of each line: ``start`` (dBm), ``loss``/``penalty`` (dB, positive = worse),
        ``subtotal``/``reference``/``info`` (dBm), ``result`` (margin, dB), ``spec`` (dBm or dB).
    values_db : ndarray, shape (n_items, n_channels)
        Value of each line per channel, dB or dBm as its kind says.
    channel_wavelength_m : ndarray, shape (n_channels,)
        Channel wavelengths, metres.
    ber : ndarray, shape (n_channels,)
        Bit error ratio per channel.
    target_ber : float
        BER threshold.
    lanes : LaneBudget
        The underlying per-lane result.
    power : LanePower
        Electrical power and energy per bit of each lane.
    """

    items: tuple[str, ...]
    kinds: tuple[str, ...]
    values_db: np.ndarray
    channel_wavelength_m: np.ndarray
    ber: np.ndarray
    target_ber: float
    lanes: LaneBudget
    power: LanePower

    @property
    def margin_db(self) -> np.ndarray:
        """Margin per channel, dB."""
        return self.lanes.margin_db

    @property
    def worst_channel(self) -> int:
        """Index of the channel with the smallest margin."""
        return int(np.argmin(self.margin_db))

    def value(self, item: str) -> np.ndarray:
        """Values of one budget line per channel (dB or dBm).

        Parameters
        ----------
        item : str
            Line name (see :attr:`items`).
        """
        if item not in self.items:
            raise ValueError(
                f"item = {item!r} is not a budget line; choose one of {', '.join(self.items)}"
            )
        return self.values_db[self.items.index(item)]

    def to_dataframe(self):
        """Itemised table: ``item``, ``kind``, ``unit`` and one column ``ch<i>`` per channel,
        followed by BER and energy-per-bit rows."""
        import pandas as pd

        unit = {
            "start": "dBm",
            "loss": "dB",
            "penalty": "dB",
            "subtotal": "dBm",
            "reference": "dBm",
            "result": "dB",
            "info": "dBm",
        }
        table = pd.DataFrame(
            {
                "item": list(self.items),
                "kind": list(self.kinds),
                "unit": [
                    unit.get(k, "dB" if "margin" in i else "dBm")
                    for i, k in zip(self.items, self.kinds, strict=True)
                ],
            }
        )
        n = self.channel_wavelength_m.size
        channels = pd.DataFrame(self.values_db, columns=[f"ch{i}" for i in range(n)])
        extra = pd.DataFrame(
            [
                ["BER", "result", "1", *self.ber],
                [
                    "energy per bit",
                    "info",
                    "pJ/bit",
                    *np.broadcast_to(self.power.energy_per_bit_j * 1e12, (n,)),
                ],
            ],
            columns=["item", "kind", "unit", *channels.columns],
        )
        return pd.concat([pd.concat([table, channels], axis=1), extra], ignore_index=True)

    def plot(self, ax=None, *, channel: int | None = None):
        """Waterfall of one channel (default the worst) from laser power to margin.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw into.
        channel : int, optional
            Channel index; default :attr:`worst_channel`.
        """
        from cposim.photonics.link import plot

        return plot.waterfall(self, ax, channel=channel)


__all__ = [
    "LinkBudget",
    "evaluate_link",
]
