"""The organisations contributing to a snapshot, as columns: one row per organisation."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from services.benchmark.domain.cohorts import CONTRIBUTED, CohortGrid
from services.benchmark.domain.figures import FigureLayout
from shared.model.batch import UNSCORED
from shared.model.schema import MAX_LEVEL


@dataclass(frozen=True)
class Contribution:
    """One organisation's latest scored diagnostic, as a snapshot reads it."""

    organisation_id: str
    sector: str
    size_band: str
    region: str
    assurance: str
    scores: Sequence[float]
    """In `FigureLayout.score_figures` order; NaN where not counted (a quick profile's overall)."""
    levels: Sequence[int]
    """In `FigureLayout.indicator_figures` order; −1 where not counted."""
    carried_over: bool = False


@dataclass
class Population:
    """A columnar table of the contributing organisations: only each one's latest scored diagnostic."""

    organisation_ids: list[str]
    sectors: npt.NDArray[np.integer]
    size_bands: npt.NDArray[np.integer]
    regions: npt.NDArray[np.integer]
    sector_codes: tuple[str, ...]
    size_band_codes: tuple[str, ...]
    region_codes: tuple[str, ...]
    assurance: npt.NDArray[np.integer]
    """0 self-assessed, 1 expert-validated (`cohorts.CONTRIBUTED` order)."""
    scores: npt.NDArray[np.float64]
    levels: npt.NDArray[np.int8]
    carried_over: npt.NDArray[np.bool_]

    def __post_init__(self) -> None:
        n = len(self.organisation_ids)
        if len(set(self.organisation_ids)) != n:
            raise ValueError("a population holds one row per organisation")
        for name, codes in (("sectors", self.sector_codes), ("size_bands", self.size_band_codes)):
            _check_codes(name, getattr(self, name), len(codes), n)
        _check_codes("regions", self.regions, len(self.region_codes), n)
        _check_codes("assurance", self.assurance, len(CONTRIBUTED), n)
        if self.scores.ndim != 2 or len(self.scores) != n or self.scores.dtype != np.float64:
            raise ValueError(f"scores must be a float64 matrix of {n} rows")
        if self.levels.ndim != 2 or len(self.levels) != n or self.levels.dtype != np.int8:
            raise ValueError(f"levels must be an int8 matrix of {n} rows")
        if self.carried_over.shape != (n,):
            raise ValueError(f"carried_over must hold {n} flags")
        if n and not (np.all(np.isnan(self.scores) | ((self.scores >= 0) & (self.scores <= MAX_LEVEL)))):
            raise ValueError(f"a score is 0–{MAX_LEVEL} or NaN (not counted)")
        if self.levels.size and not (self.levels.min() >= UNSCORED and self.levels.max() <= MAX_LEVEL):
            raise ValueError(f"a level is 0–{MAX_LEVEL} or {UNSCORED} (not counted)")

    def __len__(self) -> int:
        return len(self.organisation_ids)

    @property
    def grid(self) -> CohortGrid:
        """Return the cohort grid of this population's codes."""
        return CohortGrid(self.sector_codes, self.size_band_codes, self.region_codes)

    def finest_cells(self) -> npt.NDArray[np.intp]:
        """Return each row's finest cohort cell in the grid."""
        return self.grid.finest_cells(self.assurance, self.sectors, self.size_bands, self.regions)

    def check_layout(self, layout: FigureLayout) -> None:
        """Refuse a layout whose figures do not match the columns."""
        if self.scores.shape[1] != len(layout.score_figures):
            raise ValueError(f"{self.scores.shape[1]} score columns for {len(layout.score_figures)} figures")
        if self.levels.shape[1] != len(layout.indicator_figures):
            raise ValueError(f"{self.levels.shape[1]} level columns for {len(layout.indicator_figures)}")

    @classmethod
    def from_rows(cls, rows: Iterable[Contribution], layout: FigureLayout) -> Population:
        """Return the population of contributions, each dimension's codes sorted."""
        rows = list(rows)
        codes = {
            name: _codes(getattr(row, name) for row in rows) for name in ("sector", "size_band", "region")
        }
        population = cls(
            organisation_ids=[row.organisation_id for row in rows],
            sectors=_indices(codes["sector"], (row.sector for row in rows)),
            size_bands=_indices(codes["size_band"], (row.size_band for row in rows)),
            regions=_indices(codes["region"], (row.region for row in rows)),
            sector_codes=tuple(codes["sector"]),
            size_band_codes=tuple(codes["size_band"]),
            region_codes=tuple(codes["region"]),
            assurance=_indices(dict.fromkeys(CONTRIBUTED), (row.assurance for row in rows)),
            scores=_matrix([row.scores for row in rows], len(layout.score_figures), np.float64),
            levels=_matrix([row.levels for row in rows], len(layout.indicator_figures), np.int8),
            carried_over=np.array([row.carried_over for row in rows], np.bool_),
        )
        population.check_layout(layout)
        return population


def _check_codes(name: str, values: npt.NDArray[np.integer], codes: int, n: int) -> None:
    if values.shape != (n,) or not np.issubdtype(values.dtype, np.integer):
        raise ValueError(f"{name} must hold {n} integer codes")
    if n and not (values.min() >= 0 and values.max() < codes):
        raise ValueError(f"{name} must be codes 0–{codes - 1}")


def _codes(values: Iterable[str]) -> dict[str, None]:
    return dict.fromkeys(sorted(set(values)))


def _indices(codes: dict[str, None], values: Iterable[str]) -> npt.NDArray[np.intp]:
    index = {code: i for i, code in enumerate(codes)}
    try:
        return np.array([index[value] for value in values], np.intp)
    except KeyError as exc:
        raise ValueError(f"unknown code {exc.args[0]!r}, expected one of {list(codes)}") from exc


def _matrix(rows: Sequence[Sequence[float]], width: int, dtype: type[np.generic]) -> npt.NDArray[Any]:
    return np.array(rows, dtype).reshape(len(rows), width)
