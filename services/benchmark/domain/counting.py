"""The contributing organisations of one model as a table, their figures scored under its current version."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from services.benchmark.domain.cohorts import CONTRIBUTED
from services.benchmark.domain.entries import ScoredEntry
from services.benchmark.domain.figures import FigureLayout
from services.benchmark.domain.members import Member
from services.benchmark.domain.population import Population
from shared.model.engine import CompiledModel, compile_model
from shared.model.schema import MaturityModel, version_key


def counted(members: Sequence[Member], model: MaturityModel) -> list[Member]:
    """Keep the organisations contributing a diagnostic of this model, of this version or an earlier one."""
    current = version_key(model.version)
    return [
        m
        for m in members
        if m.contributing
        and not m.erased
        and m.latest is not None
        and m.latest.model_id == model.model_id
        and version_key(m.latest.model_version) <= current
    ]


def population_of(members: Sequence[Member], model: MaturityModel) -> tuple[Population, FigureLayout]:
    """Score every contributing organisation's levels under the model's version, as a table.

    A diagnostic pinned to an earlier version is re-scored with the shared engine: indicators it
    never answered leave the sums. A quick-profile diagnostic counts for its indicators only.
    """
    rows = counted(members, model)
    compiled, layout = compile_model(model), FigureLayout.of(model)
    entries = [_entry(m) for m in rows]
    levels = _levels(entries, compiled)
    scores = _scores(compiled, layout, levels, [m.sector for m in rows])
    scores[np.array([e.quick for e in entries], dtype=bool), :] = np.nan
    sectors, sector_codes = _coded([m.sector for m in rows])
    sizes, size_codes = _coded([m.size_band for m in rows])
    regions, region_codes = _coded([m.region for m in rows])
    population = Population(
        organisation_ids=[m.organisation_id for m in rows],
        sectors=sectors,
        size_bands=sizes,
        regions=regions,
        sector_codes=sector_codes,
        size_band_codes=size_codes,
        region_codes=region_codes,
        assurance=np.array([_ASSURANCE[e.assurance] for e in entries], dtype=np.intp),
        scores=scores,
        levels=levels,
        carried_over=np.array([e.model_version != model.version for e in entries], dtype=np.bool_),
    )
    return population, layout


_ASSURANCE: dict[str, int] = {assurance: code for code, assurance in enumerate(CONTRIBUTED)}


def _entry(member: Member) -> ScoredEntry:
    assert member.latest is not None, "counted() keeps only organisations with a diagnostic"
    return member.latest


def _coded(values: list[str]) -> tuple[npt.NDArray[np.intp], tuple[str, ...]]:
    codes = tuple(sorted(set(values)))
    index = {code: i for i, code in enumerate(codes)}
    return np.array([index[v] for v in values], dtype=np.intp), codes


def _levels(entries: Sequence[ScoredEntry], compiled: CompiledModel) -> npt.NDArray[np.int8]:
    index = {code: i for i, code in enumerate(compiled.codes)}
    levels = np.full((len(entries), len(compiled.codes)), -1, dtype=np.int8)
    for row, entry in enumerate(entries):
        for code, level in entry.levels.items():
            column = index.get(code)
            if column is not None:  # an indicator the current version dropped leaves the sums
                levels[row, column] = level
    return levels


def _scores(
    compiled: CompiledModel, layout: FigureLayout, levels: npt.NDArray[np.int8], sectors: list[str]
) -> npt.NDArray[np.float64]:
    if not len(levels):
        return np.empty((0, len(layout.score_figures)), dtype=np.float64)
    indices = np.array([compiled.sector_index(s) for s in sectors], dtype=np.intp)
    return layout.score_matrix(compiled.score_batch(levels, indices))
