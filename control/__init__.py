"""cposim.control: thermal plants, heaters, controllers, tuning plans and closed-loop locking.

A small, reusable thermal-control library. It describes a resonant device only by arrays (cold
resonance wavelength, linewidth, extinction, thermal shift per kelvin), and it never imports
``cposim.photonics``.
"""
