"""The watch index alone: a realistic population of latest diagnostics, index against scan, impact rate."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from services.watch.domain.catalogue import load_catalogue, notice_of
from services.watch.domain.diagnostics import WatchedDiagnostic
from services.watch.domain.impact import project_impacts
from services.watch.domain.index import ABSENT, UNANSWERED, DiagnosticMatrix, scan
from services.watch.domain.notices import Notice
from shared.model.editions import SME_PROFILE, _v2_document, shipped_edition
from shared.model.engine import compile_model
from shared.model.schema import MaturityModel
from shared.model.validation import parse_model

INDEX_GOAL_SECONDS = 2.0
SPEEDUP_GOAL = 10.0
IMPACT_GOAL = 1_000_000
SIZE_BANDS, SIZE_SHARES = ("TPE", "PME", "ETI", "GE"), (0.55, 0.3, 0.1, 0.05)
TYPES, TYPE_SHARES = ("entreprise", "administration", "association"), (0.8, 0.08, 0.12)
MODELS = ("dimm@2.0.0", "dimm@1.0.0")
QUICK_SHARE = CARRIED_SHARE = 0.10
SCAN_CHUNK = 20_000
"""Diagnostics built at once for the scan: their level dictionaries stay in a few hundred MB."""
INDEX_REPEATS = 5
_T0 = datetime(2026, 11, 1, tzinfo=UTC)
CATALOGUE_NOTICES = ("ntc_eaa_2025", "ntc_einvoicing_2026")
_COMPOSITE = {
    "id": "ntc_bench_composite",
    "kind": "technology",
    "severity": "warning",
    "title_fr": "Banc d'essai : règle composée",
    "summary_fr": "Une règle composée sur trois indicateurs.",
    "source_url": "https://example.org/bench",
    "indicators": ["ORS3", "SE4", "TIO2"],
    "rule": "ORS3 >= 2 and (SE4 = 0 or TIO2 <= 1)",
}
_NO_RULE = {
    **_COMPOSITE,
    "id": "ntc_bench_groupement",
    "title_fr": "Banc d'essai : un groupement, deux secteurs, sans règle",
    "indicators": [],
    "groupements": ["ER"],
    "sectors": ["banque", "assurance"],
    "rule": None,
}


def _shares(rng: np.random.Generator, count: int) -> npt.NDArray[np.float64]:
    """Return uneven shares: real sectors are not equally represented."""
    weights = rng.dirichlet(np.full(count, 2.0))
    return np.asarray(weights / weights.sum())


def _applies(model: MaturityModel) -> npt.NDArray[np.bool_]:
    """Return (size band × type, indicator): whether the indicator applies to such an organisation."""
    rules = [place.indicator.applicability for place in model.places()]
    return np.array(
        [[size in rule.size_bands and kind in rule.organisation_types for rule in rules]
         for size in SIZE_BANDS for kind in TYPES]
    )  # fmt: skip


def watched_population(rows: int, *, seed: int = 7, carried_share: float = CARRIED_SHARE) -> DiagnosticMatrix:
    """Return random latest DIMM diagnostics: v2.0.0 (some carried over from v1.0.0), quick profiles."""
    model, rng = shipped_edition("2.0.0"), np.random.default_rng(seed)
    codes = [place.indicator.code for place in model.places()]
    sectors = rng.choice(len(model.sectors), rows, p=_shares(rng, len(model.sectors)))
    sizes = rng.choice(len(SIZE_BANDS), rows, p=SIZE_SHARES)
    types = rng.choice(len(TYPES), rows, p=TYPE_SHARES)
    levels = rng.integers(0, 7, size=(rows, len(codes)), dtype=np.int8)
    levels[levels == 6] = UNANSWERED  # one in seven: unanswered or not applicable by choice
    levels[~_applies(model)[sizes * len(TYPES) + types]] = ABSENT
    quick = rng.random(rows) < QUICK_SHARE
    outside = np.array([code not in SME_PROFILE for code in codes])
    levels[np.ix_(quick, outside)] = ABSENT
    carried = (rng.random(rows) < carried_share) & ~quick
    earlier = {place.indicator.code for place in shipped_edition("1.0.0").places()}
    levels[np.ix_(carried, np.array([code not in earlier for code in codes]))] = ABSENT
    return DiagnosticMatrix.from_arrays(
        levels,
        codes,
        sectors=(sectors, [sector.code for sector in model.sectors]),
        size_bands=(sizes, SIZE_BANDS),
        organisation_types=(types, TYPES),
        models=(carried.astype(np.intp), MODELS),
        organisation_ids=[f"org_{row:08d}" for row in range(rows)],
    )


def diagnostics_of(matrix: DiagnosticMatrix, start: int, stop: int) -> list[WatchedDiagnostic]:
    """Return rows of the index as the diagnostics the scan reads (absent indicators left out)."""
    codes, found = list(matrix.columns), []
    for row, levels in enumerate(matrix.levels[start:stop].tolist(), start=start):
        model_id, _, version = matrix.model_codes[matrix.models[row]].partition("@")
        found.append(
            WatchedDiagnostic(
                organisation_id=matrix.organisation_ids[row],
                account_id="acc_bench",
                diagnostic_id=f"dg_{row:08d}",
                model_id=model_id,
                model_version=version,
                scope=None,
                sector=matrix.sector_codes[matrix.sectors[row]],
                size_band=matrix.size_band_codes[matrix.size_bands[row]],
                region="bretagne",
                organisation_type=matrix.organisation_type_codes[matrix.organisation_types[row]],
                levels={
                    c: None if v == UNANSWERED else v
                    for c, v in zip(codes, levels, strict=True)
                    if v != ABSENT
                },
                overall=None,
                levers={},
                scored_at=_T0,
            )
        )
    return found


def bench_notices() -> list[Notice]:
    """Return the notices measured: EAA and e-invoicing (shipped), a composite rule, a rule-less one."""
    shipped = {notice.id: notice for notice in load_catalogue()}
    return [shipped[name] for name in CATALOGUE_NOTICES] + [notice_of(_COMPOSITE), notice_of(_NO_RULE)]


@dataclass(frozen=True)
class Selection:
    """One notice's targeted rows through the index and through the scan, CPU seconds each."""

    notice: Notice
    selected: int
    index_seconds: float
    scan_seconds: float
    scanned_rows: int
    rows: int
    same_rows: bool

    @property
    def scan_full_seconds(self) -> float:
        """Return the scan's time over every row (scaled when only a sample was scanned)."""
        return self.scan_seconds * self.rows / self.scanned_rows

    @property
    def speedup(self) -> float:
        """Return how many times faster the index is than the scan."""
        return self.scan_full_seconds / self.index_seconds


def _index_time(matrix: DiagnosticMatrix, notice: Notice) -> tuple[npt.NDArray[np.intp], float]:
    """Return the index's rows and the median CPU time of a few selections."""
    times, rows = [], np.empty(0, np.intp)
    for _ in range(INDEX_REPEATS):
        started = time.process_time()
        rows = matrix.select(notice)
        times.append(time.process_time() - started)
    return rows, statistics.median(times)


def measure_selections(matrix: DiagnosticMatrix, notices: list[Notice], *, scan_rows: int) -> list[Selection]:
    """Time each notice through the index (all rows) and the scan (the first `scan_rows`, in chunks)."""
    scan_rows = min(scan_rows, len(matrix))
    indexed = [_index_time(matrix, notice) for notice in notices]
    scanned: list[list[npt.NDArray[np.intp]]] = [[] for _ in notices]
    seconds = [0.0 for _ in notices]
    for start in range(0, scan_rows, SCAN_CHUNK):
        diagnostics = diagnostics_of(matrix, start, min(start + SCAN_CHUNK, scan_rows))  # built untimed
        for place, notice in enumerate(notices):
            started = time.process_time()
            found = scan(notice, diagnostics)
            seconds[place] += time.process_time() - started
            scanned[place].append(found + start)
    return [
        Selection(
            notice=notice,
            selected=len(rows),
            index_seconds=index_seconds,
            scan_seconds=seconds[place],
            scanned_rows=scan_rows,
            rows=len(matrix),
            same_rows=np.array_equal(
                np.concatenate([np.empty(0, np.intp), *scanned[place]]), rows[rows < scan_rows]
            ),
        )
        for place, (notice, (rows, index_seconds)) in enumerate(zip(notices, indexed, strict=True))
    ]


def edition_21() -> MaturityModel:
    """Return DIMM 2.1.0: v2.0.0 with TIO2's default target raised to 4 and one criterion reworded."""
    document: dict[str, Any] = _v2_document()
    document["version"] = "2.1.0"
    for lever in document["levers"]:
        for groupement in lever["groupements"]:
            for indicator in groupement["indicators"]:
                if indicator["code"] == "TIO2":
                    indicator["default_target"] = 4
                    criterion = indicator["levels"][0]["criteria"][0]
                    criterion["text"] += " L'audit suit le RGAA 4.1.2."
    return parse_model(document)


def impact_rate(rows: int, *, seconds: float = 1.0) -> dict[str, float]:
    """Re-score v2.0.0 diagnostics under 2.1.0 until `seconds` of CPU; return the rate and what moved."""
    old, new = compile_model(shipped_edition("2.0.0")), compile_model(edition_21())
    matrix = watched_population(rows, seed=11, carried_share=0.0)
    sector_codes = [*matrix.sector_codes, None]

    def project() -> Any:
        return project_impacts(
            matrix.levels,
            matrix.sectors,
            old=old,
            new=new,
            columns=list(matrix.columns),
            sector_codes=sector_codes,
        )

    impact = project()  # untimed: a fresh process pays once to fault in memory it never touched
    runs, started = 0, time.process_time()
    while not runs or time.process_time() - started < seconds:
        impact = project()
        runs += 1
    rate = runs * rows / (time.process_time() - started)
    delta = impact.overall_after - impact.overall_before
    return {
        "rate": rate,
        "advice_changed": int((impact.advice_changes > 0).sum()),
        "mean_delta": float(np.nanmean(delta)),
    }


def measure_impact(rows: int) -> dict[str, float]:
    """Return `impact_rate` measured in a child process with OpenBLAS and OpenMP pinned to one thread."""
    pinned = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    code = (
        f"import json; from dimm.bench.watch_index import impact_rate; print(json.dumps(impact_rate({rows})))"
    )
    child = subprocess.run(
        [sys.executable, "-c", code], env=pinned, capture_output=True, text=True, check=True
    )
    figures: dict[str, float] = json.loads(child.stdout.strip().splitlines()[-1])
    return figures
