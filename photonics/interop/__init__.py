"""cposim.photonics.interop: cposim devices in other tools' formats, and back.

- :mod:`~cposim.photonics.interop.touchstone`: a ring (all-pass or add-drop) or a ring
  modulator at a drive voltage as an S-parameter network over a wavelength grid, written and
  read as Touchstone ``.sNp`` through scikit-rf (optional extra ``rf``), and a measured or
  simulated ``.sNp`` read back as a :class:`TabulatedNetwork` lookup model;
- :mod:`~cposim.photonics.interop.gdsfactory_io`: rings from gdsfactory ``ring_single`` /
  ``ring_double`` settings, die layouts from placement lists or netlists, thermal crosstalk
  from ring positions;
- :mod:`~cposim.photonics.interop.sax_models`: rings as SAX model functions (keyword-only,
  ``wl`` in µm, S-dictionaries), for SAX circuits (optional extra ``sax``).

Data flow: :mod:`cposim.photonics.devices` → networks (S-matrices over frequency) → files
for circuit simulators and VNAs; files → lookup models.
"""

from cposim.control.core.lazy import lazy_exports

_CATALOGUE = {
    "touchstone": (
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
    ),
    "gdsfactory_io": (
        "RING_COMPONENTS",
        "crosstalk_from_positions",
        "layout_from_placements",
        "ring_from_settings",
        "write_placements",
    ),
    "sax_models": (
        "bank_netlist",
        "modulator_sax_model",
        "ring_model",
        "sax_model",
        "to_sdict",
    ),
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _CATALOGUE)
