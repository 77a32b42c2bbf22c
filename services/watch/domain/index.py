"""Which of N latest diagnostics a notice targets: a columnar index, and the one-by-one scan it replaces."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from services.watch.domain.diagnostics import WatchedDiagnostic
from services.watch.domain.notices import Notice
from shared.model.schema import MAX_LEVEL, version_key

UNANSWERED = -1
"""In the diagnostic's scope, but N/A or unanswered."""
ABSENT = -2
"""Not in the diagnostic's scope (or not in its model version)."""

Coded = tuple[npt.NDArray[np.integer[Any]], Sequence[str]]
"""A profile column as codes (one per row) and the values they stand for."""


def _coded(values: Sequence[str]) -> tuple[npt.NDArray[np.intp], tuple[str, ...]]:
    codes = tuple(sorted(set(values)))
    index = {code: i for i, code in enumerate(codes)}
    return np.fromiter((index[v] for v in values), np.intp, len(values)), codes


def _check_levels(levels: npt.NDArray[np.int8], columns: Sequence[str], rows: int) -> None:
    if levels.dtype != np.int8 or levels.shape != (rows, len(columns)):
        raise ValueError(
            f"levels must be int8 of shape ({rows}, {len(columns)}), not {levels.dtype} {levels.shape}"
        )
    if len(set(columns)) != len(columns):
        raise ValueError("columns must name each indicator once")
    if levels.size and (levels.min() < ABSENT or levels.max() > MAX_LEVEL):
        raise ValueError(f"levels must be 0–{MAX_LEVEL}, UNANSWERED ({UNANSWERED}) or ABSENT ({ABSENT})")


def _checked(name: str, coded: Coded, rows: int) -> tuple[npt.NDArray[np.intp], tuple[str, ...]]:
    values, codes = np.asarray(coded[0], np.intp), tuple(coded[1])
    if values.shape != (rows,):
        raise ValueError(f"{name} must have one code per row ({rows}), not shape {values.shape}")
    if rows and (values.min() < 0 or values.max() >= len(codes)):
        raise ValueError(f"{name} has codes outside 0–{len(codes) - 1}")
    return values, codes


def _allowed(codes: Sequence[str], keep: Callable[[str], bool]) -> npt.NDArray[np.bool_]:
    return np.fromiter((keep(code) for code in codes), np.bool_, len(codes))


@dataclass(frozen=True, eq=False)
class DiagnosticMatrix:
    """The latest diagnostics as columns: levels (n, codes) int8 and coded profile arrays."""

    levels: npt.NDArray[np.int8]
    """0–5, UNANSWERED (−1) or ABSENT (−2)."""
    columns: dict[str, int]
    sectors: npt.NDArray[np.intp]
    sector_codes: tuple[str, ...]
    size_bands: npt.NDArray[np.intp]
    size_band_codes: tuple[str, ...]
    organisation_types: npt.NDArray[np.intp]
    organisation_type_codes: tuple[str, ...]
    models: npt.NDArray[np.intp]
    model_codes: tuple[str, ...]
    """`model_id@version` of each model code."""
    organisation_ids: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.organisation_ids)

    @classmethod
    def of(cls, diagnostics: Sequence[WatchedDiagnostic]) -> DiagnosticMatrix:
        """Build the index of diagnostics, one column per indicator any of them has."""
        codes = sorted({code for d in diagnostics for code in d.levels})
        columns = {code: i for i, code in enumerate(codes)}
        levels = np.full((len(diagnostics), len(codes)), ABSENT, np.int8)
        for row, diagnostic in enumerate(diagnostics):
            for code, level in diagnostic.levels.items():
                if level is not None and not 0 <= level <= MAX_LEVEL:
                    raise ValueError(f"{diagnostic.diagnostic_id}: level {level} of {code} is outside 0–5")
                levels[row, columns[code]] = UNANSWERED if level is None else level
        sectors, sector_codes = _coded([d.sector for d in diagnostics])
        sizes, size_codes = _coded([d.size_band for d in diagnostics])
        types, type_codes = _coded([d.organisation_type for d in diagnostics])
        models, model_codes = _coded([f"{d.model_id}@{d.model_version}" for d in diagnostics])
        return cls(
            levels=levels,
            columns=columns,
            sectors=sectors,
            sector_codes=sector_codes,
            size_bands=sizes,
            size_band_codes=size_codes,
            organisation_types=types,
            organisation_type_codes=type_codes,
            models=models,
            model_codes=model_codes,
            organisation_ids=tuple(d.organisation_id for d in diagnostics),
        )

    @classmethod
    def from_arrays(
        cls,
        levels: npt.NDArray[np.int8],
        columns: Sequence[str],
        *,
        sectors: Coded,
        size_bands: Coded,
        organisation_types: Coded,
        models: Coded,
        organisation_ids: Sequence[str],
    ) -> DiagnosticMatrix:
        """Build the index from columns already coded, without copying the levels; check every code."""
        rows = len(organisation_ids)
        _check_levels(levels, columns, rows)
        sector_values, sector_codes = _checked("sectors", sectors, rows)
        size_values, size_codes = _checked("size_bands", size_bands, rows)
        type_values, type_codes = _checked("organisation_types", organisation_types, rows)
        model_values, model_codes = _checked("models", models, rows)
        return cls(
            levels=levels,
            columns={code: i for i, code in enumerate(columns)},
            sectors=sector_values,
            sector_codes=sector_codes,
            size_bands=size_values,
            size_band_codes=size_codes,
            organisation_types=type_values,
            organisation_type_codes=type_codes,
            models=model_values,
            model_codes=model_codes,
            organisation_ids=tuple(organisation_ids),
        )

    def _profile_mask(self, notice: Notice) -> npt.NDArray[np.bool_]:
        scope, mask = notice.scope, np.ones(len(self), np.bool_)
        for wanted, values, codes in (
            (scope.sectors, self.sectors, self.sector_codes),
            (scope.size_bands, self.size_bands, self.size_band_codes),
            (scope.organisation_types, self.organisation_types, self.organisation_type_codes),
        ):
            if wanted:
                mask &= _allowed(codes, wanted.__contains__)[values]
        return mask & _allowed(self.model_codes, lambda ref: _model_admitted(notice, ref))[self.models]

    def select(self, notice: Notice) -> npt.NDArray[np.intp]:
        """Return the rows the notice targets, ascending; the same rows as `scan`."""
        keep = self._profile_mask(notice)
        # Rules and presence read only the columns they name: no copy of the whole matrix.
        if notice.rule is not None:
            keep &= notice.rule.matches_matrix(self.levels, self.columns)
        if notice.model_change is not None or notice.rule is None:
            touched = [column for code, column in self.columns.items() if notice.scope.touches(code)]
            # A model notice concerns answered indicators; another one any indicator the diagnostic has.
            floor = 0 if notice.model_change is not None else UNANSWERED
            keep &= (self.levels[:, touched] >= floor).any(axis=1)
        return np.flatnonzero(keep)


def _model_admitted(notice: Notice, ref: str) -> bool:
    model_id, _, version = ref.partition("@")
    scope, key = notice.scope, version_key(version)
    if notice.model_change is not None and key > version_key(notice.model_change.from_version):
        return False
    return (
        (scope.model_id is None or model_id == scope.model_id)
        and (scope.min_model_version is None or key >= version_key(scope.min_model_version))
        and (scope.max_model_version is None or key <= version_key(scope.max_model_version))
    )


def scan(notice: Notice, diagnostics: Sequence[WatchedDiagnostic]) -> npt.NDArray[np.intp]:
    """Return the positions of the diagnostics the notice targets, asking each one in turn."""
    return np.array([row for row, d in enumerate(diagnostics) if notice.targets(d)], np.intp)
