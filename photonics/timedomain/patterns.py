"""Test patterns of IEEE 802.3 PAM4 optical transmitters: PRBS7…31, PRBS13Q, SSPRQ, Gray coding.

Bit and register conventions (those of the generator figures of IEEE Std 802.3, e.g. Figure
49-9 and Figure 94-6): a PRBSn generator is an n-stage Fibonacci shift register S0…S(n−1); each
step the feedback, the XOR of the stages named by the polynomial's terms (``x^k`` taps S(k−1)),
is output and shifted into S0. An integer ``seed`` presets stage Si from its bit i (S0 is the
least significant bit), so the first output bit is the one that *follows* the seed. Output bit j
then obeys ``b[j] = XOR over taps k of b[j − k]``.

PAM4 symbols are the level indices 0…3 (lowest to highest amplitude); two bits map to a symbol
with the first bit as MSB through the Gray code of IEEE 802.3 120.5.7.1: 00→0, 01→1, 11→2, 10→3.
"""

from __future__ import annotations

import numpy as np

from cposim.control.core.validation import check_choice, check_integer
from cposim.photonics.devices.modulator import MODULATION_LEVELS

PRBS_POLYNOMIALS = {
    7: (7, 6),  # x^7 + x^6 + 1, ITU-T O.150
    9: (9, 5),  # x^9 + x^5 + 1, ITU-T O.150; IEEE 802.3 Table 68-6
    13: (13, 12, 2, 1),  # x^13 + x^12 + x^2 + x + 1, IEEE 802.3 94.2.9.1 (Figure 94-6)
    15: (15, 14),  # x^15 + x^14 + 1, ITU-T O.150
    31: (31, 28),  # x^31 + x^28 + 1, ITU-T O.150; IEEE 802.3 49.2.8 (Figure 49-9)
}
"""PRBS order → exponents of the non-constant terms of its generator polynomial (the taps)."""

PATTERNS = ("prbs7", "prbs9", "prbs13", "prbs15", "prbs31", "prbs13q", "ssprq")
"""Names :func:`pattern_symbols` knows."""

PRBS13Q_SEED = 0b1_1010_1010_0000
"""Seed of the PRBS13Q example of IEEE 802.3 120.5.11.2.1 (S0…S12 = 0000010101011)."""

SSPRQ_SECTIONS = ((0x00000002, 10924), (0x34013FF7, 10922), (0x0CCCCCCC, 10922))
"""(seed, bits) of the three PRBS31 sections of SSPRQ, IEEE 802.3 Table 120-2 (:func:`ssprq`)."""

_GRAY = np.array([0, 1, 3, 2], dtype=np.uint8)  # (MSB, LSB) as a binary number → symbol
_GRAY_BITS = np.array([[0, 0], [0, 1], [1, 1], [1, 0]], dtype=np.uint8)  # symbol → (MSB, LSB)


def _as_levels(name: str, values, levels: int) -> np.ndarray:
    """``values`` as a 1-D uint8 array whose entries are whole numbers in 0…levels−1."""
    array = np.asarray(values)
    if array.ndim != 1 or not (
        np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.bool_)
    ):
        raise ValueError(f"{name} must be a 1-D array of integers, got {array.dtype} {array.shape}")
    if array.size and (array.min() < 0 or array.max() > levels - 1):
        bad = int(np.flatnonzero((array < 0) | (array > levels - 1))[0])
        raise ValueError(f"{name}[{bad}] = {array[bad]} is out of range: must be 0…{levels - 1}")
    return array.astype(np.uint8)


def prbs_bits(
    order: int, n_bits: int | None = None, *, seed: int | None = None, invert: bool = False
) -> np.ndarray:
    """Output bits of a PRBSn Fibonacci shift-register generator (see the module docstring).

    Polynomials :data:`PRBS_POLYNOMIALS` (ITU-T O.150; IEEE 802.3 Figures 49-9, 94-6, Table
    68-6). Vectorised: a sequence obeying p(x) also obeys p(x)^(2^m) = p(x^(2^m)), whose taps
    are 2^m times longer, so each NumPy step computes a block as long as the history allows.

    Parameters
    ----------
    order : {7, 9, 13, 15, 31}
        Register length n (the period is 2^n − 1 bits).
    n_bits : int, optional
        Number of bits (count, >= 1); default one period, 2^n − 1 (required for PRBS31,
        whose period is 2^31 − 1 bits).
    seed : int, optional
        Initial register state, stage Si from bit i, in 1…2^n − 1; default all ones.
    invert : bool
        Whether to complement the output, as the inverter of IEEE 802.3 Figure 49-9 does for
        PRBS31 (which makes it the PRBS31 of ITU-T O.150).
    """
    if isinstance(order, bool) or order not in tuple(PRBS_POLYNOMIALS):
        raise ValueError(f"order = {order!r} is not allowed; choose one of 7, 9, 13, 15, 31")
    order, taps = int(order), PRBS_POLYNOMIALS[order]
    if n_bits is None and order == 31:
        raise ValueError("n_bits is required for order 31: one period is 2^31 - 1 bits")
    n_bits = (1 << order) - 1 if n_bits is None else check_integer("n_bits", n_bits, low=1)
    seed = (1 << order) - 1 if seed is None else seed
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise ValueError(f"seed = {seed!r} must be an integer in 1…{(1 << order) - 1}")
    if not 0 < seed < 1 << order:
        raise ValueError(
            f"seed = {seed} is out of range: must be a nonzero {order}-bit register state, "
            f"1…{(1 << order) - 1}"
        )
    out = np.empty(order + n_bits, dtype=np.uint8)  # out[order + j] = b[j]; b[-1] = S0
    out[:order] = [(int(seed) >> (order - 1 - i)) & 1 for i in range(order)]
    filled = order
    while filled < out.size:
        scale = 1 << ((filled // order).bit_length() - 1)  # largest 2^m with order·2^m <= filled
        block = min(min(taps) * scale, out.size - filled)
        new = out[filled - taps[0] * scale : filled - taps[0] * scale + block].copy()
        for k in taps[1:]:
            new ^= out[filled - k * scale : filled - k * scale + block]
        out[filled : filled + block] = new
        filled += block
    bits = out[order:]
    return bits ^ 1 if invert else bits


def gray_pam4(bits) -> np.ndarray:
    """PAM4 symbols from bit pairs, first bit MSB, with the Gray map of IEEE 802.3 120.5.7.1.

    Parameters
    ----------
    bits : array_like of int
        Bits 0/1 (dimensionless), even count.
    """
    bits = _as_levels("bits", bits, 2)
    if bits.size % 2:
        raise ValueError(f"bits has odd length {bits.size}; PAM4 needs whole bit pairs")
    return _GRAY[2 * bits[0::2] + bits[1::2]]


def pam4_bits(symbols) -> np.ndarray:
    """Bit pairs (MSB first) of PAM4 symbols: the inverse of :func:`gray_pam4`.

    Parameters
    ----------
    symbols : array_like of int
        Symbol indices 0…3.
    """
    return _GRAY_BITS[_as_levels("symbols", symbols, 4)].reshape(-1)


def precode_pam4(symbols) -> np.ndarray:
    """The 1/(1+D) mod 4 precoder of IEEE 802.3 120.5.7.2: P(j) = (G(j) − P(j−1)) mod 4.

    Starts from P(−1) = 0. Unrolled, P(j) = (−1)^j · Σ_{i≤j} (−1)^i G(i) mod 4, one cumulative sum.

    Parameters
    ----------
    symbols : array_like of int
        Gray-coded symbol indices G, 0…3.
    """
    g = _as_levels("symbols", symbols, 4).astype(np.int64)
    sign = 1 - 2 * (np.arange(g.size) % 2)
    return (sign * np.cumsum(sign * g) % 4).astype(np.uint8)


def decode_precoded_pam4(symbols) -> np.ndarray:
    """Undo :func:`precode_pam4`: G(j) = (P(j) + P(j−1)) mod 4, with P(−1) = 0.

    Parameters
    ----------
    symbols : array_like of int
        Precoded symbol indices P, 0…3.
    """
    p = _as_levels("symbols", symbols, 4)
    return (p + np.concatenate([[0], p[:-1]]).astype(np.uint8)) % 4


def prbs13q() -> np.ndarray:
    """One period of PRBS13Q, IEEE 802.3 120.5.11.2.1: 8191 PAM4 symbols.

    Two periods of PRBS13 (94.2.9.1, 16382 bits) Gray coded in pairs (120.5.7.1); the generator
    starts from :data:`PRBS13Q_SEED`, the seed of the clause's example, so the pattern starts
    with that example's symbols (1031320220111130…). The seed only sets the phase.
    """
    return gray_pam4(prbs_bits(13, 2 * 8191, seed=PRBS13Q_SEED))


def ssprq() -> np.ndarray:
    """One period of SSPRQ, IEEE 802.3 120.5.11.2.3: 65535 PAM4 symbols.

    Sequence A is 32768 bits: three sections of the IEEE 802.3 Figure 49-9 PRBS31 generator
    (x^31 + x^28 + 1, inverted output), each started from its seed, :data:`SSPRQ_SECTIONS`.
    The bit stream is A, A, A without its first bit, A without its last bit (131070 bits), Gray
    coded (120.5.7.1); the symbols of the second and fourth copies (16384…32767 and
    49151…65534) are inverted, s → 3 − s.

    Verified: the result has the SHA-256 and symbol counts that two independent public
    implementations report for IEEE's machine-readable extract SSPRQ_sequence.csv (the test
    checks both). Not read here in the standard itself: the seeds, section lengths and
    inversions, taken from those implementations and from Keysight IQtools (after P. Anslow,
    IEEE 802.3bs logic ad hoc, Oct 2016, anslow_02a_1016_logic.pdf).
    """
    a = np.concatenate([prbs_bits(31, n, seed=s, invert=True) for s, n in SSPRQ_SECTIONS])
    symbols = gray_pam4(np.concatenate([a, a, a[1:], a[:-1]]))
    for start, stop in ((16384, 32768), (49151, 65535)):
        symbols[start:stop] = 3 - symbols[start:stop]
    return symbols


def pattern_symbols(name: str, *, modulation="pam4", n_symbols=None, precode=False):
    """Symbols of a named test pattern, one period or ``n_symbols`` (repeated or truncated).

    NRZ symbols are the PRBS bits. A PAM4 PRBSn is Gray coded from consecutive bit pairs over
    two periods, so its period is 2^n − 1 symbols. PRBS31 is taken with the output inverter of
    IEEE 802.3 Figure 49-9 (its PAM4 form is PRBS31Q, 120.5.11.2.2); every PRBS starts from the
    all-ones seed, PRBS13Q and SSPRQ as in :func:`prbs13q` and :func:`ssprq` (PAM4 only).

    Parameters
    ----------
    name : {"prbs7", "prbs9", "prbs13", "prbs15", "prbs31", "prbs13q", "ssprq"}
        The pattern.
    modulation : {"nrz", "pam4"}
        Line code.
    n_symbols : int, optional
        Number of symbols (count, >= 1); default one period (required for PRBS31).
    precode : bool
        Whether to apply the PAM4 precoder :func:`precode_pam4` to the result (PAM4 only).
    """
    check_choice("name", name, PATTERNS)
    check_choice("modulation", modulation, MODULATION_LEVELS)
    if n_symbols is not None:
        n_symbols = check_integer("n_symbols", n_symbols, low=1)
    if modulation == "nrz" and (name in ("prbs13q", "ssprq") or precode):
        what = "precode = True" if precode else f"name = {name!r}"
        raise ValueError(f"{what} needs modulation = 'pam4' (PAM4 only)")
    if name == "prbs13q":
        period = prbs13q()
    elif name == "ssprq":
        period = ssprq()
    else:
        order = int(name.removeprefix("prbs"))
        if order == 31 and n_symbols is None:
            raise ValueError("n_symbols is required for prbs31: one period is 2^31 - 1 symbols")
        per_symbol = 1 if modulation == "nrz" else 2
        length = (1 << order) - 1 if n_symbols is None else min(n_symbols, (1 << order) - 1)
        bits = prbs_bits(order, per_symbol * length, invert=order == 31)  # Figure 49-9
        period = bits if modulation == "nrz" else gray_pam4(bits)
    symbols = period if n_symbols is None else np.resize(period, n_symbols)
    return precode_pam4(symbols) if precode else symbols


def user_symbols(symbols, *, modulation: str) -> np.ndarray:
    """Check a user pattern: a 1-D integer array of level indices 0…M−1, returned as uint8.

    Parameters
    ----------
    symbols : array_like of int
        Symbol indices (0/1 for NRZ, 0…3 for PAM4).
    modulation : {"nrz", "pam4"}
        Line code, which sets M.
    """
    check_choice("modulation", modulation, MODULATION_LEVELS)
    return _as_levels("symbols", symbols, MODULATION_LEVELS[modulation])


__all__ = [
    "PATTERNS",
    "PRBS13Q_SEED",
    "PRBS_POLYNOMIALS",
    "SSPRQ_SECTIONS",
    "decode_precoded_pam4",
    "gray_pam4",
    "pam4_bits",
    "pattern_symbols",
    "prbs13q",
    "prbs_bits",
    "precode_pam4",
    "ssprq",
    "user_symbols",
]
