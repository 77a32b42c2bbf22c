"""How the benchmark's domain objects are written to MongoDB and read back."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

import numpy as np
import numpy.typing as npt
from bson import Binary

from services.benchmark.domain.cohorts import CohortKey
from services.benchmark.domain.entries import ScoredEntry
from services.benchmark.domain.figures import kind_of
from services.benchmark.domain.members import Member
from services.benchmark.domain.snapshots import CohortStats, FigureStats
from services.benchmark.domain.statistics import Histograms, SparseHistogram, bins_of, to_sparse
from services.benchmark.domain.studies import Enrolment, Study


def entry_to_document(entry: ScoredEntry) -> dict[str, Any]:
    """Write a scored diagnostic."""
    return {"_id": entry.diagnostic_id, **{k: v for k, v in asdict(entry).items() if k != "diagnostic_id"}}


def entry_from_document(doc: dict[str, Any]) -> ScoredEntry:
    """Read a scored diagnostic."""
    fields = {k: v for k, v in doc.items() if k not in ("_id", "withdrawn")}
    return ScoredEntry(diagnostic_id=doc["_id"], **fields)


def member_to_document(member: Member) -> dict[str, Any]:
    """Write an organisation, with the diagnostic that counts for it embedded."""
    body = {k: v for k, v in asdict(member).items() if k not in ("organisation_id", "latest")}
    body["latest"] = entry_to_document(member.latest) if member.latest else None
    return {"_id": member.organisation_id, **body}


def member_from_document(doc: dict[str, Any]) -> Member:
    """Read an organisation."""
    fields = {k: v for k, v in doc.items() if k not in ("_id", "latest")}
    latest = entry_from_document(doc["latest"]) if doc.get("latest") else None
    return Member(organisation_id=doc["_id"], latest=latest, **fields)


def key_to_document(key: CohortKey) -> dict[str, Any]:
    """Write a cohort key (None: every value of the dimension)."""
    return {
        "assurance": key.assurance,
        "sector": key.sector,
        "size_band": key.size_band,
        "region": key.region,
    }


def key_id(key: CohortKey) -> str:
    """Name a cohort in a document id."""
    return "|".join(value or "*" for value in (key.assurance, key.sector, key.size_band, key.region))


def cohort_to_document(stats: CohortStats) -> dict[str, Any]:
    """Write a cohort's figures (its histograms go apart: only percentile ranks read them)."""
    return {
        "key": key_to_document(stats.key),
        "organisations": stats.organisations,
        "withheld": stats.withheld,
        "carried_over": stats.carried_over,
        "figures": {name: _figure_to_document(f) for name, f in stats.figures.items()},
    }


def histograms_to_document(histograms: Histograms) -> dict[str, Any]:
    """Write a cohort's histograms compactly: one compressed matrix of counts per kind of figure."""
    body: dict[str, Any] = {}
    for kind in ("score", "level"):
        names = [name for name in histograms if kind_of(name) == kind]
        if names:
            matrix = np.stack([histograms.counts(name) for name in names]).astype(np.int32)
            body[kind] = {"figures": names, "counts": Binary(zlib.compress(matrix.tobytes(), 1))}
    return body


class StoredHistograms(Histograms):
    """Histograms read back from their compressed matrices, each figure made when first read."""

    def __init__(self, document: dict[str, Any] | None) -> None:
        self._rows: dict[str, tuple[str, int]] = {}
        self._matrices: dict[str, npt.NDArray[np.int32]] = {}
        for kind, block in (document or {}).items():
            raw = np.frombuffer(zlib.decompress(block["counts"]), dtype=np.int32)
            self._matrices[kind] = raw.reshape(len(block["figures"]), bins_of(kind))  # type: ignore[arg-type]
            self._rows |= {name: (kind, row) for row, name in enumerate(block["figures"])}

    def counts(self, figure: str) -> npt.NDArray[np.int64]:
        """Return a figure's dense counts."""
        kind, row = self._rows[figure]
        counts: npt.NDArray[np.int64] = self._matrices[kind][row].astype(np.int64)
        return counts

    def __getitem__(self, figure: str) -> SparseHistogram:
        return to_sparse(self.counts(figure))

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)


def _figure_to_document(figure: FigureStats) -> dict[str, Any]:
    return {
        "organisations": figure.organisations,
        "mean": figure.mean,
        "quartiles": list(figure.quartiles),
        "deciles": list(figure.deciles) if figure.deciles is not None else None,
        "bands": list(figure.bands),
    }


def cohort_from_document(doc: dict[str, Any], histograms: dict[str, Any] | None = None) -> CohortStats:
    """Read a cohort back (with its histograms when they were read too)."""
    return CohortStats(
        key=CohortKey(**doc["key"]),
        organisations=doc["organisations"],
        withheld=doc["withheld"],
        carried_over=doc.get("carried_over"),
        figures={
            name: FigureStats(
                figure=name,
                organisations=f["organisations"],
                mean=f["mean"],
                quartiles=tuple(f["quartiles"]),
                deciles=tuple(f["deciles"]) if f.get("deciles") is not None else None,
                bands=tuple(f["bands"]),
            )
            for name, f in doc["figures"].items()
        },
        histograms=StoredHistograms(histograms),
    )


def study_to_document(study: Study) -> dict[str, Any]:
    """Write a study with its enrolments (the consent evidence)."""
    body = {k: v for k, v in asdict(study).items() if k not in ("study_id", "enrolments", "_recorded")}
    body["enrolments"] = [asdict(e) for e in study.enrolments.values()]
    return {"_id": study.study_id, **body}


def study_from_document(doc: dict[str, Any]) -> Study:
    """Read a study."""
    fields = {k: v for k, v in doc.items() if k not in ("_id", "enrolments")}
    enrolments = {e["organisation_id"]: Enrolment(**e) for e in doc.get("enrolments", [])}
    return Study(study_id=doc["_id"], enrolments=enrolments, **fields)
