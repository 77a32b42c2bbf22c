"""Builders of small benchmark populations, and the statistics computed the slow, obvious way."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import cast

import numpy as np
from hypothesis import strategies as st

from services.benchmark.domain.cohorts import Assurance, CohortKey
from services.benchmark.domain.figures import FigureLayout, kind_of
from services.benchmark.domain.snapshots import Contribution
from services.benchmark.domain.statistics import score_bins

LAYOUT = FigureLayout(("overall", "lever:S"), ("indicator:SP1", "indicator:SP2"))
NAN = math.nan
_ids = itertools.count()


def contribution(
    scores: Sequence[float] = (3.0, 3.0),
    levels: Sequence[int] = (3, 3),
    *,
    sector: str = "banque",
    size_band: str = "PME",
    region: str = "bretagne",
    assurance: str = "self_assessed",
    carried_over: bool = False,
) -> Contribution:
    """Return one organisation's contribution, with a unique id."""
    return Contribution(
        f"org_{next(_ids)}", sector, size_band, region, assurance, scores, levels, carried_over
    )


@st.composite
def contributions(draw: st.DrawFn, *, max_size: int = 40) -> list[Contribution]:
    """Any small population over 2 sectors, 2 size bands and 2 regions, quick profiles included."""
    score = st.one_of(st.just(NAN), st.floats(0, 5, allow_nan=False))
    row = st.builds(
        contribution,
        st.tuples(score, score),
        st.tuples(st.integers(-1, 5), st.integers(-1, 5)),
        sector=st.sampled_from(["a", "b"]),
        size_band=st.sampled_from(["PME", "TPE"]),
        region=st.sampled_from(["r1", "r2"]),
        assurance=st.sampled_from(["self_assessed", "expert_validated"]),
        carried_over=st.booleans(),
    )
    return draw(st.lists(row, max_size=max_size))


def members(rows: Sequence[Contribution], key: CohortKey) -> list[Contribution]:
    """Return the contributions of a cohort, by reading each row."""
    return [
        row
        for row in rows
        if key.assurance in ("all", row.assurance)
        and key.sector in (None, row.sector)
        and key.size_band in (None, row.size_band)
        and key.region in (None, row.region)
    ]


def values(rows: Sequence[Contribution], figure: str) -> list[float]:
    """Return the counted values of a figure among contributions."""
    if kind_of(figure) == "level":
        column = LAYOUT.indicator_figures.index(figure)
        return [float(row.levels[column]) for row in rows if row.levels[column] >= 0]
    column = LAYOUT.score_figures.index(figure)
    return [row.scores[column] for row in rows if not math.isnan(row.scores[column])]


def at_bin_precision(figure: str, found: list[float]) -> np.ndarray:
    """Return values as the statistics see them: scores rounded half up to 0.01."""
    return np.array(found) if kind_of(figure) == "level" else score_bins(found) / 100


def all_keys(rows: Sequence[Contribution]) -> set[CohortKey]:
    """Return every cohort some contribution belongs to."""
    return {
        CohortKey(cast(Assurance, a), s, z, r)
        for row in rows
        for a in ("all", row.assurance)
        for s in (row.sector, None)
        for z in (row.size_band, None)
        for r in (row.region, None)
    }
