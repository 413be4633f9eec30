"""cposim.photonics: microrings, modulators, variation, WDM banks, link budget, yield and switches."""
