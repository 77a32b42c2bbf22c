"""Unit tests of the watch domain, and their builders (unique ids per call)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from typing import Any

from services.watch.domain.diagnostics import WatchedDiagnostic
from services.watch.domain.notices import Notice, Scope

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
_ids = itertools.count(1)


def diagnostic(levels: dict[str, int | None] | None = None, **overrides: Any) -> WatchedDiagnostic:
    """Return a scored diagnostic of a PME in commerce on dimm 2.0.0."""
    number = next(_ids)
    body: dict[str, Any] = {
        "organisation_id": f"org_{number:016x}",
        "account_id": f"acc_{number:016x}",
        "diagnostic_id": f"dg_{number:016x}",
        "model_id": "dimm",
        "model_version": "2.0.0",
        "scope": None,
        "sector": "commerce",
        "size_band": "PME",
        "region": "bretagne",
        "organisation_type": "entreprise",
        "levels": {"TIO2": 2, "ORS3": 3, "ER3": None} if levels is None else levels,
        "overall": 2.5,
        "levers": {"TI": 2.0},
        "scored_at": NOW - timedelta(days=1),
    }
    body.update(overrides)
    return WatchedDiagnostic(**body)


def notice(**overrides: Any) -> Notice:
    """Return a draft regulatory notice touching TIO2."""
    body: dict[str, Any] = {
        "id": f"ntc_{next(_ids)}",
        "kind": "regulatory",
        "title_fr": "Accessibilité",
        "summary_fr": "Les services doivent être accessibles.",
        "source_url": "https://eur-lex.europa.eu/eli/dir/2019/882/oj",
        "effective_date": date(2025, 6, 28),
        "severity": "warning",
        "scope": Scope(indicators=frozenset({"TIO2"})),
    }
    body.update(overrides)
    return Notice(**body)
