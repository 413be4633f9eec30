"""Random killer defects: densities per layer, critical areas, yield models, clustered samples.

A killer defect that lands in a device's critical area for its layer kills the device. With
``λ = A·D0`` expected defects per device:

- **Poisson** (defects independent everywhere): ``Y = exp(-λ)``;
- **Murphy** (a triangular spread of density between dies; Murphy, Proc. IEEE 52(12), 1537,
  1964): ``Y = ((1 - exp(-λ))/λ)²``;
- **negative binomial** (density gamma-distributed with shape α, i.e. clustered; Stapper,
  IBM J. Res. Dev. 27(6), 549, 1983): ``Y = (1 + λ/α)^(-α)``, Poisson as α → ∞.

:func:`sample_defects` draws the negative-binomial case as it arises on a wafer: the density is
the mean times a gamma multiplier (mean 1, shape α) that is shared by every die inside one cell
of side ``cluster_size_m``, so defects cluster on the map; each device's count of each layer is
then Poisson (drawn as the die's total, split over its devices and layers). A die alone sees
the negative-binomial yield whatever the cell size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cposim.control.core.validation import check_choice, check_range

DEFECT_LAYERS = ("waveguide", "heater", "junction", "photodiode")
"""Layers whose killer defects are modelled, in the order of the sample's last axis."""

YIELD_MODELS = ("poisson", "murphy", "negative-binomial")
"""Closed-form defect-limited yield models of :func:`defect_yield`."""


def defect_yield(
    critical_area_m2, density_per_m2, *, model: str = "negative-binomial", clustering=2.0
):
    """Probability that a device of critical area ``A`` has no killer defect (fraction).

    Parameters
    ----------
    critical_area_m2 : float or array_like
        Critical area, m² (≥ 0).
    density_per_m2 : float or array_like
        Killer-defect density D0, 1/m² (≥ 0).
    model : {"poisson", "murphy", "negative-binomial"}
        Yield model (module docstring).
    clustering : float
        Negative-binomial shape α (> 0, dimensionless); ignored by the other models.
    """
    check_choice("model", model, YIELD_MODELS)
    area = check_range("critical_area_m2", critical_area_m2, low=0.0)
    density = check_range("density_per_m2", density_per_m2, low=0.0)
    expected = area * density
    if model == "poisson":
        return np.exp(-expected)
    if model == "murphy":
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(expected > 0.0, -np.expm1(-expected) / expected, 1.0)
        return ratio**2
    alpha = check_range("clustering", clustering, low=0.0, low_inclusive=False)
    return (1.0 + expected / alpha) ** (-alpha)


@dataclass(frozen=True, kw_only=True)
class DefectDensities:
    """Killer-defect densities per layer and how they cluster.

    Parameters
    ----------
    waveguide_per_m2, heater_per_m2, junction_per_m2, photodiode_per_m2 : float
        Killer-defect density D0 of each layer, 1/m² (≥ 0). Default 1000 each (0.1 /cm²:
        *assumption*, the order of a mature CMOS layer; no silicon-photonics foundry publishes
        per-layer D0).
    clustering : float
        Negative-binomial shape α (> 0, dimensionless). Default 2 (the middle of the
        0.3–5 Stapper reports for CMOS, IBM J. Res. Dev. 27(6), 549, 1983; *assumption* for
        photonics).
    cluster_size_m : float
        Side of the wafer cells that share one density multiplier, m (> 0). Default 20e-3
        (*assumption*: clusters of a few dies).
    """

    waveguide_per_m2: float = 1000.0
    heater_per_m2: float = 1000.0
    junction_per_m2: float = 1000.0
    photodiode_per_m2: float = 1000.0
    clustering: float = 2.0
    cluster_size_m: float = 20e-3

    def __post_init__(self):
        for layer in DEFECT_LAYERS:
            check_range(f"{layer}_per_m2", getattr(self, f"{layer}_per_m2"), low=0.0, high=1e12)
        check_range("clustering", self.clustering, low=0.0, high=1e6, low_inclusive=False)
        check_range("cluster_size_m", self.cluster_size_m, low=0.0, high=1.0, low_inclusive=False)

    @property
    def per_layer_per_m2(self) -> np.ndarray:
        """Densities in :data:`DEFECT_LAYERS` order, 1/m²."""
        return np.array([getattr(self, f"{layer}_per_m2") for layer in DEFECT_LAYERS])


@dataclass(frozen=True, kw_only=True)
class CriticalAreas:
    """Critical area of one lane device per layer, m² (0 where the layer does not reach it).

    Build it from a ring with :meth:`ring_device` (a modulator or filter ring with its heater)
    or :meth:`photodiode`.

    Parameters
    ----------
    waveguide_m2, heater_m2, junction_m2, photodiode_m2 : float
        Critical areas, m² (≥ 0).
    """

    waveguide_m2: float = 0.0
    heater_m2: float = 0.0
    junction_m2: float = 0.0
    photodiode_m2: float = 0.0

    def __post_init__(self):
        for layer in DEFECT_LAYERS:
            check_range(f"{layer}_m2", getattr(self, f"{layer}_m2"), low=0.0, high=1.0)

    @classmethod
    def ring_device(
        cls,
        ring,
        *,
        waveguide_width_m: float = 400e-9,
        heater_width_m: float = 1.5e-6,
        doped: bool = True,
    ) -> CriticalAreas:
        """Critical areas of a ring and its heater, from the ring's geometry.

        Waveguide: the round trip times the waveguide width (a break or a particle on the
        core kills the resonance). Heater: the round trip times the heater width (an open
        kills tuning). Junction: the doped round trip, the waveguide's area (a short kills the
        modulator).

        Parameters
        ----------
        ring : Ring
            A single ring (its round-trip length is used).
        waveguide_width_m : float
            Core width, m (> 0). Default 400e-9 (the default ring's 400 × 220 nm strip).
        heater_width_m : float
            Heater line width, m (> 0). Default 1.5e-6 (*assumption*, a TiN heater over the
            ring).
        doped : bool
            Whether the ring has a pn junction (modulators) or not (filters).
        """
        check_range("waveguide_width_m", waveguide_width_m, low=0.0, high=1e-4, low_inclusive=False)
        check_range("heater_width_m", heater_width_m, low=0.0, high=1e-4, low_inclusive=False)
        length = float(ring.round_trip_length_m)
        return cls(
            waveguide_m2=length * waveguide_width_m,
            heater_m2=length * heater_width_m,
            junction_m2=length * waveguide_width_m if doped else 0.0,
        )

    @classmethod
    def photodiode(cls, *, area_m2: float = 10e-6 * 20e-6) -> CriticalAreas:
        """Critical area of a photodiode.

        Parameters
        ----------
        area_m2 : float
            Germanium area, m² (> 0). Default 2e-10 (10 × 20 µm, *assumption* for a
            waveguide Ge photodiode).
        """
        check_range("area_m2", area_m2, low=0.0, high=1e-6, low_inclusive=False)
        return cls(photodiode_m2=area_m2)

    @property
    def per_layer_m2(self) -> np.ndarray:
        """Areas in :data:`DEFECT_LAYERS` order, m²."""
        return np.array([getattr(self, f"{layer}_m2") for layer in DEFECT_LAYERS])


@dataclass(frozen=True)
class DefectSample:
    """Killer defects drawn on every device of every die.

    Parameters
    ----------
    counts : ndarray of int, shape (n_dies, n_devices, n_layers)
        Killer defects per device and layer (layers in :data:`DEFECT_LAYERS` order).
    multiplier : ndarray, shape (n_dies,)
        Each die's density multiplier (gamma, mean 1, dimensionless).
    """

    counts: np.ndarray
    multiplier: np.ndarray

    @property
    def killed(self) -> np.ndarray:
        """Devices with at least one killer defect, (n_dies, n_devices) bool."""
        return self.counts.sum(axis=-1) > 0

    @property
    def killing_layer(self) -> np.ndarray:
        """Index (in :data:`DEFECT_LAYERS`) of the first layer that killed each device, or -1."""
        hit = self.counts > 0
        return np.where(hit.any(axis=-1), hit.argmax(axis=-1), -1)


def sample_defects(
    layout, areas, densities: DefectDensities, *, rng: np.random.Generator
) -> DefectSample:
    """Draw killer defects on every device of every die of a wafer, clustered (module docstring).

    Parameters
    ----------
    layout : WaferLayout
        The wafer's dies (their centres place them in the cluster cells).
    areas : sequence of CriticalAreas
        One entry per device of a die (e.g. each lane's modulator ring, heater and photodiode).
    densities : DefectDensities
        Densities and clustering.
    rng : numpy.random.Generator
        Random source (its state decides the sample: keyed per wafer by the caller).
    """
    area = np.array([a.per_layer_m2 for a in areas])  # (n_devices, n_layers)
    cell = densities.cluster_size_m
    ix = np.floor((layout.die_centre_x_m + layout.wafer.radius_m) / cell).astype(np.int64)
    iy = np.floor((layout.die_centre_y_m + layout.wafer.radius_m) / cell).astype(np.int64)
    side = int(np.ceil(2.0 * layout.wafer.radius_m / cell)) + 1
    alpha = densities.clustering
    cells = rng.gamma(alpha, 1.0 / alpha, size=side * side)
    multiplier = cells[iy * side + ix]
    # Poisson splitting: a die's total count is Poisson(g·Λ), and each of its defects lands on
    # (device, layer) with probability A·D/Λ; the same law as one Poisson per cell of the table,
    # with one draw per die instead of one per device and layer (defects are rare)
    rate = area * densities.per_layer_per_m2  # (n_devices, n_layers), per die at g = 1
    total = float(rate.sum())
    counts = np.zeros((multiplier.size, *rate.shape), dtype=np.int64)
    if total > 0.0:
        per_die = rng.poisson(multiplier * total)
        hit = np.flatnonzero(per_die)
        where = rng.choice(rate.size, size=int(per_die.sum()), p=rate.ravel() / total)
        np.add.at(counts.reshape(multiplier.size, -1), (np.repeat(hit, per_die[hit]), where), 1)
    return DefectSample(counts=counts, multiplier=multiplier)


__all__ = [
    "DEFECT_LAYERS",
    "YIELD_MODELS",
    "CriticalAreas",
    "DefectDensities",
    "DefectSample",
    "defect_yield",
    "sample_defects",
]
