"""cposim.photonics: rings, modulators, variation, WDM banks, link budget, yield, switches."""
