"""cposim.photonics.link: WDM grids and banks, BER, and the budget of one link or of many lanes.

- :mod:`~cposim.photonics.link.wdm`: :class:`ChannelGrid` (CW-WDM MSA grids),
  :class:`ModulatorBank` and :class:`DemuxBank` spectra;
- :mod:`~cposim.photonics.link.ber`: BER and q in closed form, sensitivities, cited thresholds;
- :mod:`~cposim.photonics.link.parameters`: :class:`LinkParameters` (laser, banks, channel,
  receiver; the modulator a RingModulator, the demultiplexer a Ring);
- :mod:`~cposim.photonics.link.budget`: :func:`evaluate_link`, the itemised budget of one link
  (:class:`LinkBudget`, a waterfall ``.plot()``), and the model it evaluates;
- :mod:`~cposim.photonics.link.lanes`: :func:`evaluate_lanes`, the same model for 10^6 lanes at
  once in Numba (:class:`LaneBudget`);
- :mod:`~cposim.photonics.link.energy`: electrical power and energy per bit of a lane.

Data flow: operating points from :mod:`cposim.photonics.devices` + per-lane ring errors →
received levels, noise, penalties, BER and margin → :mod:`cposim.photonics.yields` and
:mod:`cposim.photonics.switch`.
"""

from cposim.control.core.lazy import lazy_exports

_CATALOGUE = {
    "wdm": (
        "GRID_PRESETS",
        "BankSpectrum",
        "ChannelGrid",
        "DemuxBank",
        "ModulatorBank",
    ),
    "ber": (
        "DR4_SENSITIVITY_OMA_DBM",
        "KP4_BER_THRESHOLD",
        "ber_from_q",
        "extinction_ratio_penalty_db",
        "noise_limited_sensitivity_oma_w",
        "oma_w",
        "q_from_ber",
    ),
    "parameters": (
        "SINGLE_POLE_NOISE_BANDWIDTH_RATIO",
        "SWING_STEP",
        "DemuxAiry",
        "LinkParameters",
    ),
    "budget": (
        "LinkBudget",
        "evaluate_link",
    ),
    "lanes": (
        "PENALTY_NAMES",
        "LaneBudget",
        "evaluate_lanes",
        "LANE_ENGINES",
        "LANE_RANGES",
        "link_constants",
        "single_pole_isi_closure",
    ),
    "energy": (
        "ElectricalPowerParameters",
        "LanePower",
    ),
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _CATALOGUE)
