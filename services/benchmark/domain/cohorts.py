"""Benchmark cohorts: sector × size band × region and every coarser combination, per assurance."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product
from typing import Any, Literal, get_args

import numpy as np
import numpy.typing as npt

Assurance = Literal["all", "self_assessed", "expert_validated"]
ASSURANCES: tuple[Assurance, ...] = get_args(Assurance)
CONTRIBUTED: tuple[Assurance, ...] = ("self_assessed", "expert_validated")
"""The assurance of a diagnostic, in the order of `Population.assurance` codes (0, 1)."""
DIMENSIONS = ("sector", "size_band", "region")
_EVERY = {"sector": "tous secteurs", "size_band": "toutes tailles", "region": "toutes régions"}
_ASSURANCE_LABELS = {
    "all": "",
    "self_assessed": "auto-évaluations",
    "expert_validated": "validées par un expert",
}


@dataclass(frozen=True)
class CohortKey:
    """A cohort: None in a dimension means every value of it (a coarser cohort)."""

    assurance: Assurance
    sector: str | None
    size_band: str | None
    region: str | None

    @property
    def label(self) -> str:
        """Return a French label, e.g. `logement-social · PME · toutes régions`."""
        parts = [getattr(self, name) or _EVERY[name] for name in DIMENSIONS]
        return " · ".join(filter(None, [*parts, _ASSURANCE_LABELS[self.assurance]]))

    @property
    def is_all(self) -> bool:
        """Tell whether this is the cohort of all organisations (every dimension, every assurance)."""
        return self.assurance == "all" and self.depth == 0

    @property
    def depth(self) -> int:
        """Count the dimensions fixed: 0 for all organisations, 3 for the finest cohorts."""
        return sum(getattr(self, name) is not None for name in DIMENSIONS)

    @property
    def sort_key(self) -> tuple[int, int, str, str, str]:
        """Order by assurance, then coarser cohorts first, then codes."""
        codes = (self.sector or "", self.size_band or "", self.region or "")
        return (ASSURANCES.index(self.assurance), self.depth, *codes)


def keys_of(*, sector: str, size_band: str, region: str, assurance: str) -> tuple[CohortKey, ...]:
    """Return the 16 cohorts an organisation belongs to: 8 geographic combinations × all and its assurance."""
    if assurance not in CONTRIBUTED:
        raise ValueError(f"a diagnostic's assurance is one of {CONTRIBUTED}, not {assurance!r}")
    own: Assurance = "self_assessed" if assurance == "self_assessed" else "expert_validated"
    return tuple(
        CohortKey(kind, s, z, r)
        for kind in ("all", own)
        for s, z, r in product((sector, None), (size_band, None), (region, None))
    )


@dataclass(frozen=True)
class CohortGrid:
    """Every cohort as a cell of a dense array (assurance, sector, size band, region).

    Along each axis the codes come first and the last index is the margin, "all": assurance is
    (self_assessed, expert_validated, all). The finest cells, without margins, are where rows fall.
    """

    sector_codes: tuple[str, ...]
    size_band_codes: tuple[str, ...]
    region_codes: tuple[str, ...]

    @property
    def finest_shape(self) -> tuple[int, int, int, int]:
        """Return the shape of the finest cells: 2 assurances × sectors × size bands × regions."""
        return (len(CONTRIBUTED), len(self.sector_codes), len(self.size_band_codes), len(self.region_codes))

    @property
    def shape(self) -> tuple[int, int, int, int]:
        """Return the shape of the grid: each axis gets its margin."""
        a, s, z, r = self.finest_shape
        return (a + 1, s + 1, z + 1, r + 1)

    @property
    def size(self) -> int:
        """Count the cells of the grid."""
        return int(np.prod(self.shape))

    def finest_cells(
        self,
        assurance: npt.NDArray[np.integer],
        sectors: npt.NDArray[np.integer],
        size_bands: npt.NDArray[np.integer],
        regions: npt.NDArray[np.integer],
    ) -> npt.NDArray[np.intp]:
        """Return each row's finest cell, a flat index into `finest_shape`."""
        return np.ravel_multi_index((assurance, sectors, size_bands, regions), self.finest_shape).astype(
            np.intp, copy=False
        )

    def with_margins(self, finest: npt.NDArray[Any]) -> npt.NDArray[Any]:
        """Return an array over the finest cells (then any trailing axes) extended to the whole grid."""
        if finest.shape[:4] != self.finest_shape:
            raise ValueError(f"expected leading axes {self.finest_shape}, not {finest.shape[:4]}")
        grid = np.empty((*self.shape, *finest.shape[4:]), finest.dtype)
        self.finest(grid)[...] = finest
        self.fill_margins(grid)
        return grid

    def finest(self, grid: npt.NDArray[Any]) -> npt.NDArray[Any]:
        """Return the view of a grid array (then any trailing axes) on its finest cells."""
        return grid[tuple(slice(0, size) for size in self.finest_shape)]

    def fill_margins(self, grid: npt.NDArray[Any]) -> None:
        """Fill, in place, every margin of a grid array whose finest cells are filled."""
        sizes = self.finest_shape
        for axis, size in enumerate(sizes):
            # Earlier axes already hold their margins, so each margin sums the finer cells once.
            inner = [slice(None)] * axis + [slice(0, n) for n in sizes[axis:]]
            margin = [*inner[:axis], size, *inner[axis + 1 :]]
            np.sum(grid[tuple(inner)], axis=axis, out=grid[tuple(margin)])

    def key(self, cell: int) -> CohortKey:
        """Return the cohort of a flat cell index of the grid."""
        a, s, z, r = np.unravel_index(cell, self.shape)
        return CohortKey(
            (*CONTRIBUTED, "all")[a],
            _code(self.sector_codes, int(s)),
            _code(self.size_band_codes, int(z)),
            _code(self.region_codes, int(r)),
        )

    def cell(self, key: CohortKey) -> int | None:
        """Return the flat cell index of a cohort, None when one of its codes is not in the grid."""
        try:
            index = (
                (*CONTRIBUTED, "all").index(key.assurance),
                _index(self.sector_codes, key.sector),
                _index(self.size_band_codes, key.size_band),
                _index(self.region_codes, key.region),
            )
        except ValueError:
            return None
        return int(np.ravel_multi_index(index, self.shape))


def _code(codes: tuple[str, ...], index: int) -> str | None:
    return codes[index] if index < len(codes) else None


def _index(codes: tuple[str, ...], code: str | None) -> int:
    return len(codes) if code is None else codes.index(code)
