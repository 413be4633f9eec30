"""Electrical power per optical lane and energy per bit.

:class:`ElectricalPowerParameters` gathers the electrical power components of one lane (one
wavelength of one fiber, one direction): laser wall-plug, ring heaters, modulator driver,
TIA/receiver and the host SerDes, whose energy grows with the electrical channel loss it has to
equalise. The switch model imports it to compare co-packaged optics with pluggables.

Each default cites the paper it comes from or says "assumption"; none was chosen against a
system-level power claim, so the switch model's per-port power (:mod:`cposim.photonics.switch`)
is a check of these numbers, with the spread of the uncertain ones shown by its sensitivity
tornado.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cposim.control.core.validation import check_range


@dataclass(frozen=True, kw_only=True)
class ElectricalPowerParameters:
    """Electrical power components of one optical lane.

    Parameters
    ----------
    laser_wall_plug_efficiency : float
        Optical output over electrical input of the external laser source, including its
        cooler (0 < η ≤ 1). Default 0.15 (assumption: no published wall-plug efficiency of an
        ELSFP-class source was found; cooled DFB arrays are commonly put at 10-20 %, and the
        switch report's tornado moves it over 10-30 %).
    heater_power_per_ring_w : float
        Mean heater power per ring, watts (≥ 0). Default 22.4e-3: the mean tuning distance
        FSR/4 ≈ 4.48 nm of offsets spread uniformly over an FSR/2 tuning range, at 0.2 nm/mW
        (an estimate; a yield run supplies the simulated per-lane value).
    rings_per_lane : int
        Heated rings per lane (≥ 0). Default 2 (one modulator, one demultiplexer ring: the
        WDM lane; the DR lane has 1).
    modulator_driver_energy_j_per_bit : float
        Microring modulator driver energy, joules per bit (≥ 0). Default 1.44e-12: the
        dual-path feed-forward CMOS driver co-designed with a segmented microring for 200 Gb/s
        PAM4 of Ma et al., Micromachines 17(3), 370 (2026), doi:10.3390/mi17030370.
    receiver_energy_j_per_bit : float
        TIA and receiver front end, joules per bit (≥ 0). Default 0.42e-12: the 112 Gb/s PAM4
        linear TIA with co-packaged photodiodes of Patel et al., IEEE JSSC (2023),
        doi:10.1109/JSSC.2022.3218558 (47 mW at 112 Gb/s, TIA, CTLEs and VGA; no CDR, as a
        linear-drive co-packaged receiver needs none).
    serdes_energy_j_per_bit_at_0_db : float
        Host SerDes energy extrapolated to a lossless channel, joules per bit (≥ 0). Default
        0.82e-12: the line through 1.1 pJ/bit at 4 dB (the 113 Gb/s PAM4 XSR transceiver of
        Gangasani et al., IEEE SSC-L 8, 33 (2025), doi:10.1109/LSSC.2025.3526877, over 1-12 dB
        die-to-die channels) and 2.29 pJ/bit at 20.8 dB (the 112 Gb/s medium-reach transceiver
        of Ye et al., ISSCC 2022, doi:10.1109/ISSCC42614.2022.9731591); the two are 5 nm and
        28 nm designs, so the line is a rough interpolation.
    serdes_energy_j_per_bit_per_db : float
        Extra SerDes energy per dB of electrical channel loss, joules per bit per dB (≥ 0).
        Default 0.0708e-12: the slope of the same line.
    electrical_channel_loss_db : float
        Electrical channel loss between switch ASIC and optics at the Nyquist frequency, dB
        (≥ 0). Default 4 dB, co-packaged (notebookcheck, "Nvidia unveils photonics switches",
        2025: 22 dB to a front-panel pluggable, 4 dB co-packaged).
    """

    laser_wall_plug_efficiency: float = 0.15
    heater_power_per_ring_w: float = 22.4e-3
    rings_per_lane: int = 2
    modulator_driver_energy_j_per_bit: float = 1.44e-12
    receiver_energy_j_per_bit: float = 0.42e-12
    serdes_energy_j_per_bit_at_0_db: float = 0.82e-12
    serdes_energy_j_per_bit_per_db: float = 0.0708e-12
    electrical_channel_loss_db: float = 4.0

    def __post_init__(self):
        check_range(
            "laser_wall_plug_efficiency",
            self.laser_wall_plug_efficiency,
            low=0.0,
            high=1.0,
            low_inclusive=False,
        )
        check_range("heater_power_per_ring_w", self.heater_power_per_ring_w, low=0.0, high=10.0)
        if not isinstance(self.rings_per_lane, int | np.integer) or self.rings_per_lane < 0:
            raise ValueError(
                f"rings_per_lane = {self.rings_per_lane!r} must be a non-negative integer"
            )
        for name in (
            "modulator_driver_energy_j_per_bit",
            "receiver_energy_j_per_bit",
            "serdes_energy_j_per_bit_at_0_db",
            "serdes_energy_j_per_bit_per_db",
        ):
            check_range(name, getattr(self, name), low=0.0, high=1e-9)
        check_range(
            "electrical_channel_loss_db", self.electrical_channel_loss_db, low=0.0, high=100.0
        )

    @property
    def serdes_energy_j_per_bit(self) -> float:
        """SerDes energy at :attr:`electrical_channel_loss_db`, joules per bit."""
        return (
            self.serdes_energy_j_per_bit_at_0_db
            + self.serdes_energy_j_per_bit_per_db * self.electrical_channel_loss_db
        )

    def lane_power(self, *, laser_optical_power_w, bit_rate_bps, heater_power_w=None):
        """Electrical power of one lane, itemised.

        Parameters
        ----------
        laser_optical_power_w : float or array_like
            Laser optical power attributed to this lane (its share after any split), watts.
        bit_rate_bps : float
            Lane bit rate, bit/s (> 0).
        heater_power_w : float or array_like, optional
            Total heater power of the lane's rings, watts; default
            ``heater_power_per_ring_w × rings_per_lane``.

        Returns
        -------
        LanePower
        """
        laser = check_range("laser_optical_power_w", laser_optical_power_w, low=0.0)
        rate = float(check_range("bit_rate_bps", bit_rate_bps, low=0.0, low_inclusive=False))
        heater = (
            self.heater_power_per_ring_w * self.rings_per_lane
            if heater_power_w is None
            else check_range("heater_power_w", heater_power_w, low=0.0)
        )
        return LanePower(
            laser_w=laser / self.laser_wall_plug_efficiency,
            heater_w=np.asarray(heater, dtype=np.float64),
            modulator_driver_w=np.asarray(self.modulator_driver_energy_j_per_bit * rate),
            receiver_w=np.asarray(self.receiver_energy_j_per_bit * rate),
            serdes_w=np.asarray(self.serdes_energy_j_per_bit * rate),
            bit_rate_bps=rate,
        )


@dataclass(frozen=True, kw_only=True)
class LanePower:
    """Electrical power of one lane by component (arrays broadcast together).

    Parameters
    ----------
    laser_w, heater_w, modulator_driver_w, receiver_w, serdes_w : ndarray
        Electrical power of each component, watts.
    bit_rate_bps : float
        Lane bit rate, bit/s.
    """

    laser_w: np.ndarray
    heater_w: np.ndarray
    modulator_driver_w: np.ndarray
    receiver_w: np.ndarray
    serdes_w: np.ndarray
    bit_rate_bps: float

    COMPONENTS = ("laser", "heater", "modulator_driver", "receiver", "serdes")
    """Component names in display order."""

    def component_w(self, name: str) -> np.ndarray:
        """Electrical power of one component (see :attr:`COMPONENTS`), watts.

        Parameters
        ----------
        name : str
            Component name.
        """
        if name not in self.COMPONENTS:
            raise ValueError(
                f"name = {name!r} is not a component; choose one of {', '.join(self.COMPONENTS)}"
            )
        return getattr(self, f"{name}_w")

    @property
    def total_w(self) -> np.ndarray:
        """Total electrical power, watts."""
        return sum(self.component_w(name) for name in self.COMPONENTS)

    @property
    def energy_per_bit_j(self) -> np.ndarray:
        """Total energy per bit, joules."""
        return self.total_w / self.bit_rate_bps

    def to_dataframe(self):
        """One row per component: ``component``, ``power_w``, ``energy_per_bit_j`` (arrays are
        averaged)."""
        import pandas as pd

        power = [float(np.mean(self.component_w(name))) for name in self.COMPONENTS]
        return pd.DataFrame(
            {
                "component": list(self.COMPONENTS),
                "power_w": power,
                "energy_per_bit_j": np.array(power) / self.bit_rate_bps,
            }
        )

    def plot(self, ax=None):
        """Bar chart of energy per bit by component in pJ/bit; returns the Axes.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw into.
        """
        from cposim.photonics.link import plot

        return plot.lane_power(self, ax)


__all__ = [
    "ElectricalPowerParameters",
    "LanePower",
]
