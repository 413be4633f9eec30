"""cposim.photonics.interop: cposim devices in other tools' formats, and back.

- :mod:`~cposim.photonics.interop.touchstone`: a ring (all-pass or add-drop) or a ring
  modulator at a drive voltage as an S-parameter network over a wavelength grid, written and
  read as Touchstone ``.sNp`` through scikit-rf (optional extra ``rf``), and a measured or
  simulated ``.sNp`` read back as a :class:`TabulatedNetwork` lookup model.

Data flow: :mod:`cposim.photonics.devices` → networks (S-matrices over frequency) → files
for circuit simulators and VNAs; files → lookup models.
"""

from cposim.control.core.lazy import lazy_exports

_CATALOGUE = {
    "touchstone": (
        "ADD_DROP_PORTS",
        "ALL_PASS_PORTS",
        "TabulatedNetwork",
        "read_touchstone",
        "ring_network",
        "ring_s_matrix",
    ),
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _CATALOGUE)
