"""cposim.photonics: the optical chain of co-packaged optics, from fabricated rings to switches.

Subpackages, in the order data flows through them:

=======================  ==============================================================
:mod:`~.devices`         :class:`Ring`, :class:`EvanescentCoupler`, :class:`RingModulator`
                         and its :class:`ModulatorOperatingPoint`, the periodic Lorentzian
:mod:`~.fab`             :class:`Wafer`, :class:`DieLayout`, :class:`WaferLayout`,
                         :class:`VariationModel`, :func:`sample` → :class:`VariationSample`
:mod:`~.link`            :class:`ChannelGrid`, WDM banks, BER closed forms,
                         :class:`LinkParameters`, :func:`evaluate_link` (one link, itemised)
                         and :func:`evaluate_lanes` (10^6 lanes in Numba), energy per bit
:mod:`~.yields`          :class:`YieldConfig` and presets, :func:`simulate`,
                         :func:`run_study` / :func:`resume_study` / :func:`load_study`,
                         :class:`YieldResult`, :func:`sweep`
:mod:`~.switch`          :class:`Switch` (Quantum-X / Spectrum-X Photonics), power,
                         assembly yield, reliability, ASIC load steps, claim validation
:mod:`~.measure`         measurements in: :func:`read_spectra`, :func:`fit_spectra` (ring
                         model, Numba LM) → :class:`SpectrumFit`; wafer tables →
                         :func:`calibrate_variation` → a :class:`VariationModel`
:mod:`~.runtime`         run directories, strict TOML, progress bars (infrastructure)
:mod:`~.cli`             the ``cposim`` command line
:mod:`~.units`           physical constants and unit helpers (``nm``, ``um``, ``dbm_to_w``)
=======================  ==============================================================

The public names of :mod:`~.units`, :mod:`~.devices`, :mod:`~.fab`, :mod:`~.link`,
:mod:`~.yields` and :mod:`~.switch` are re-exported here (lazily: a module is imported when one
of its names is first used), except ``preset``, which each of fab, yields and switch has:
write ``cposim.photonics.yields.preset("default")`` and so on. Thermal control (heaters,
controllers, tuning plans, closed loops) is :mod:`cposim.control`, which this package builds
on and which never imports it.
"""

from cposim.control.core.lazy import lazy_exports
from cposim.photonics import devices, fab, link, switch, units, yields

_AMBIGUOUS = ("preset",)
"""Names several subpackages export; reach them through their subpackage."""

_CATALOGUE = {
    "units": tuple(units.__all__),
    **{
        package.__name__.rsplit(".", 1)[1]: tuple(
            name for name in package.__all__ if name not in _AMBIGUOUS
        )
        for package in (devices, fab, link, yields, switch)
    },
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _CATALOGUE)
