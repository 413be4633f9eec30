"""Sampling a :class:`~cposim.photonics.fab.variation.VariationModel` over wafers of dies.

:func:`sample` is the Numba path (fields by circulant embedding on a wafer grid, drawn at the
ring positions conditionally on the surrounding nodes; local mismatch and the mapping to
resonance shifts in a kernel, wafers in parallel threads); :func:`reference_sample` is the
plain NumPy/SciPy reference the tests and benchmarks compare against. Random streams are keyed
by ``(seed, wafer index)`` (offsets, grid fields, local mismatch), ``(seed, lot index)`` (lot
offsets) and ``(seed, wafer index)`` of a third kind (the fields' conditional residuals at the
rings) through :class:`numpy.random.SeedSequence`, so a wafer's sample never depends on the
other wafers of the call or on chunking.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.fft

from cposim.control.core.validation import check_integer, check_range
from cposim.photonics.fab import _kernels as _k
from cposim.photonics.fab.result import VariationSample
from cposim.photonics.fab.variation import LEVELS, PARAMETERS, VariationModel
from cposim.photonics.fab.wafer import WaferLayout

_MAX_GRID_NODES = 4096  # per side; a finer grid needs a smaller wafer or a coarser spacing


# ------------------------------------------------------------------------------------ sampling
def sample(
    model: VariationModel,
    layout: WaferLayout,
    *,
    wafer_indices,
    rng=None,
    keep_levels: bool = False,
    workers: int | None = None,
) -> VariationSample:
    """Sample every ring of the given wafers.

    Parameters
    ----------
    model : VariationModel
        Variation model and mapping.
    layout : WaferLayout
        Wafer, die grid and ring layout.
    wafer_indices : int or array_like of int
        Which wafers (≥ 0) to draw; an int ``n`` means ``range(n)``. A wafer's sample depends
        only on the seed, its index, the model and the layout — not on the other indices, their
        order or how a run is chunked.
    rng : int, numpy.random.SeedSequence, numpy.random.Generator or None
        Root of the keyed streams. An int or SeedSequence gives reproducible, chunk-invariant
        streams; a Generator is asked for one root integer (so two calls with the same
        Generator differ); None uses fresh OS entropy. The root is kept in the result
        (``seed_sequence``) to reproduce it.
    keep_levels : bool
        Also return each level separately (``levels``, computed in addition by the plain NumPy
        path: about 10× slower and 5× the memory, meant for plots and checks, not for yield
        runs). The per-ring totals are the same bit for bit either way.
    workers : int or None
        Threads drawing wafers in parallel (≥ 1); None uses the CPU count.

    Returns
    -------
    VariationSample
        Per-ring arrays of shape (n_wafers, n_dies, n_rings_per_die).
    """
    if not isinstance(model, VariationModel):
        raise ValueError(f"model must be a VariationModel; got {type(model).__name__}")
    if not isinstance(layout, WaferLayout):
        raise ValueError(f"layout must be a WaferLayout; got {type(layout).__name__}")
    indices = _wafer_indices(wafer_indices)
    root = _root_seed(rng)
    if workers is None:
        workers = os.cpu_count() or 1
    check_integer("workers", workers, low=1)
    plan = _Plan(model, layout)
    shape = (indices.size, layout.n_dies, layout.n_rings_per_die)
    outputs = [np.empty(shape) for _ in range(4)]
    levels = {name: np.empty((3, *shape)) for name in LEVELS} if keep_levels else None

    def run(position):
        plan.draw_wafer(
            root,
            int(indices[position]),
            [o[position].reshape(-1) for o in outputs],
            None if levels is None else {k: v[:, position] for k, v in levels.items()},
        )

    if workers == 1 or indices.size == 1:
        for position in range(indices.size):
            run(position)
    else:
        with ThreadPoolExecutor(max_workers=min(workers, indices.size)) as pool:
            list(pool.map(run, range(indices.size)))
    return VariationSample(
        model=model,
        layout=layout,
        wafer_index=indices,
        seed_sequence=root,
        delta_width_m=outputs[0],
        delta_thickness_m=outputs[1],
        delta_gap_m=outputs[2],
        resonance_shift_m=outputs[3],
        levels=levels,
    )


def _wafer_indices(wafer_indices) -> np.ndarray:
    if isinstance(wafer_indices, int | np.integer):
        if wafer_indices < 1:
            raise ValueError(f"wafer_indices = {wafer_indices!r} must be >= 1 wafers")
        return np.arange(int(wafer_indices))
    values = check_range("wafer_indices", wafer_indices, low=0.0, high=2.0**62)
    if values.ndim != 1 or values.size == 0 or np.any(values != np.round(values)):
        raise ValueError("wafer_indices must be an int or a non-empty 1-D array of whole numbers")
    return values.astype(np.int64)


def _root_seed(rng) -> np.random.SeedSequence:
    if isinstance(rng, np.random.SeedSequence):
        return rng
    if isinstance(rng, np.random.Generator):
        return np.random.SeedSequence(int(rng.integers(2**63)))
    if rng is None:
        return np.random.SeedSequence()
    if isinstance(rng, int | np.integer) and rng >= 0:
        return np.random.SeedSequence(int(rng))
    raise ValueError(f"rng = {rng!r} must be a Generator, a SeedSequence, an int >= 0 or None")


def _stream(root: np.random.SeedSequence, kind: int, index: int) -> np.random.Generator:
    """Generator keyed by (root, kind, index): kind 0 = wafer, 1 = lot, 2 = wafer residuals."""
    key = np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, kind, index))
    return np.random.Generator(np.random.PCG64(key))


class _Plan:
    """Per-call constants (grids, conditioning tables, positions) and the per-wafer draw."""

    def __init__(self, model: VariationModel, layout: WaferLayout):
        self.model = model
        radius = layout.wafer.radius_m
        self.x = np.ascontiguousarray(layout.ring_x_m.ravel())
        self.y = np.ascontiguousarray(layout.ring_y_m.ravel())
        params = model.parameters
        self.lot_sigma = np.array([p.lot_sigma_m for p in params])
        self.wafer_sigma = np.array([p.wafer_sigma_m for p in params])
        self.n_dies = layout.n_dies
        die_node = np.zeros((3, self.n_dies), dtype=np.int64)
        no_field = _k.DieConditioning(
            ring=np.zeros(0, dtype=np.int64),
            node=np.zeros(0, dtype=np.int64),
            weight=np.zeros(0),
            start=np.zeros((1, 4), dtype=np.int64),
        )
        conditioning = [no_field] * 3
        self.grids: list[_k.FieldGrid | None] = []
        for index, (name, p) in enumerate(zip(PARAMETERS, params, strict=True)):
            if p.field_sigma_m == 0.0:
                self.grids.append(None)
                continue
            spacing = min(
                _k.aligned_spacing(p.field_spacing_m, layout.pitch_x_m),
                _k.aligned_spacing(p.field_spacing_m, layout.pitch_y_m),
            )
            if 2.0 * radius / spacing > _MAX_GRID_NODES:
                raise ValueError(
                    f"{name}.grid_spacing_m = {p.field_spacing_m!r} needs "
                    f"{2.0 * radius / spacing:.0f} grid nodes across the wafer; must be <= "
                    f"{_MAX_GRID_NODES} (raise grid_spacing_m or correlation_length_m)"
                )
            grid = _k.field_grid(
                p.kernel,
                p.correlation_length_m,
                p.field_spacing_m,
                pitch_x_m=layout.pitch_x_m,
                pitch_y_m=layout.pitch_y_m,
                anchor_x_m=layout.die_x_m[0],
                anchor_y_m=layout.die_y_m[0],
                radius_m=radius,
            )
            self.grids.append(grid)
            # Die corners sit on nodes, so every die has the same clusters and weights; the
            # grid's spare cell beyond the wafer edge holds the 4 × 4 nodes of every ring.
            die_ix = np.rint((layout.die_x_m - grid.x0_m) / grid.spacing_x_m).astype(np.int64)
            die_iy = np.rint((layout.die_y_m - grid.y0_m) / grid.spacing_y_m).astype(np.int64)
            die_node[index] = die_iy * grid.nx + die_ix
            conditioning[index] = _k.die_conditioning(
                grid,
                p.kernel,
                p.correlation_length_m,
                layout.die.ring_x_m,
                layout.die.ring_y_m,
            )
        # Parameters whose fields share a spectrum share one complex FFT (two fields per FFT).
        self.fft_groups: list[list[int]] = []
        for index, grid in enumerate(self.grids):
            if grid is None:
                continue
            partner = next(
                (
                    group
                    for group in self.fft_groups
                    if len(group) == 1 and _same_spectrum(self.grids[group[0]], grid)
                ),
                None,
            )
            if partner is None:
                self.fft_groups.append([index])
            else:
                partner.append(index)
        local_row = -np.ones(3)
        with_local = [i for i, p in enumerate(params) if p.local_sigma_m > 0.0]
        local_row[with_local] = np.arange(len(with_local))
        self.n_local = len(with_local)
        self.coefficients = np.array(
            [
                [
                    0.0,
                    p.bowl_m,
                    p.tilt_m * np.cos(p.tilt_angle_rad),
                    p.tilt_m * np.sin(p.tilt_angle_rad),
                    p.field_sigma_m,
                    row,
                    p.local_sigma_m,
                ]
                for p, row in zip(params, local_row, strict=True)
            ]
        )
        self.constant = dict(
            inverse_radius_per_m=1.0 / radius,
            die_node=die_node,
            conditioning=tuple(conditioning),
            mapping=model._mapping(),
        )

    def draw_wafer(self, root, wafer_index: int, outputs, levels, *, reference: bool = False):
        """Draw one wafer into ``outputs`` (4 flat arrays) and optionally ``levels``."""
        lot_offset = self.lot_sigma * _stream(
            root, 1, wafer_index // self.model.wafers_per_lot
        ).standard_normal(3)
        generator = _stream(root, 0, wafer_index)
        wafer_offset = self.wafer_sigma * generator.standard_normal(3)
        fields = [np.zeros(1)] * 3
        fft = np.fft.fft2 if reference else scipy.fft.fft2
        for group in self.fft_groups:
            grid = self.grids[group[0]]
            noise = generator.standard_normal((2, *grid.sqrt_eigenvalues.shape))
            pair = _k.field_pair(grid, noise, fft=fft)
            for slot, index in enumerate(group):
                fields[index] = pair[slot].ravel()
        local_noise = generator.standard_normal((self.n_local, self.x.size))
        residuals = _stream(root, 2, wafer_index)
        residual_noise = tuple(
            residuals.standard_normal((self.n_dies, c.n_modes))
            for c in self.constant["conditioning"]
        )
        coefficients = self.coefficients.copy()
        coefficients[:, 0] = lot_offset + wafer_offset
        terms = _k.AssemblyTerms(
            coefficients=coefficients,
            grids=tuple(fields),
            residual_noise=residual_noise,
            **self.constant,
        )
        if reference:
            totals, _ = _k.assemble_reference(self.x, self.y, local_noise, terms, self.grids)
            for output, name in zip(outputs, ("width", "thickness", "gap", "shift"), strict=True):
                output[...] = totals[name]
            return
        _k.assemble(self.x, self.y, local_noise, terms, *outputs)
        if levels is not None:
            # Levels come from the reference path; the totals above stay those of the kernel,
            # so keep_levels does not change a single bit of the sample.
            _, parts = _k.assemble_reference(self.x, self.y, local_noise, terms, self.grids)
            shape = levels["lot"].shape
            levels["lot"][...] = np.broadcast_to(lot_offset[:, None, None], shape)
            levels["wafer"][...] = np.broadcast_to(wafer_offset[:, None, None], shape)
            for name in ("systematic", "field", "local"):
                levels[name][...] = parts[name].reshape(shape)


def _same_spectrum(a: _k.FieldGrid, b: _k.FieldGrid) -> bool:
    # Embeddings are cached, so equal spectra are the same array object.
    return a[:6] == b[:6] and a.sqrt_eigenvalues is b.sqrt_eigenvalues


def reference_sample(model, layout, *, wafer_indices, rng=None) -> VariationSample:
    """Plain NumPy, single-threaded implementation of :func:`sample` (the tests' reference).

    Same arguments and result as :func:`sample` (without ``keep_levels`` and ``workers``).

    Parameters
    ----------
    model : VariationModel
        Variation model and mapping.
    layout : WaferLayout
        Wafer, die grid and ring layout.
    wafer_indices : int or array_like of int
        Which wafers to draw (see :func:`sample`).
    rng : int, numpy.random.SeedSequence, numpy.random.Generator or None
        Root of the keyed streams (see :func:`sample`).
    """
    indices = _wafer_indices(wafer_indices)
    root = _root_seed(rng)
    plan = _Plan(model, layout)
    shape = (indices.size, layout.n_dies, layout.n_rings_per_die)
    outputs = [np.empty(shape) for _ in range(4)]
    for position, wafer_index in enumerate(indices):
        plan.draw_wafer(
            root, int(wafer_index), [o[position].reshape(-1) for o in outputs], None, reference=True
        )
    return VariationSample(
        model=model,
        layout=layout,
        wafer_index=indices,
        seed_sequence=root,
        delta_width_m=outputs[0],
        delta_thickness_m=outputs[1],
        delta_gap_m=outputs[2],
        resonance_shift_m=outputs[3],
        levels=None,
    )


SAMPLE_ENGINES = {"numba": sample, "numpy": reference_sample}
"""The sampler's implementations by name: the Numba kernel and its plain NumPy reference."""


__all__ = [
    "SAMPLE_ENGINES",
    "reference_sample",
    "sample",
]
