"""Exports of a diagnostic for auditors: JSON, and CSV with one row per indicator and respondent."""

from __future__ import annotations

import csv
import io
from typing import Any

from services.assessment.domain.answers import StoredAnswer
from services.assessment.domain.diagnostics import Diagnostic
from services.assessment.entrypoints.diagnostic_schemas import AnswerView, diagnostic_view

CSV_COLUMNS = (
    "diagnostic_id",
    "organisation_id",
    "model",
    "lever",
    "groupement",
    "indicator",
    "respondent_id",
    "respondent_name",
    "respondent_role",
    "level",
    "not_applicable",
    "criteria_met",
    "comment",
    "evidence",
    "consolidated_level",
    "consolidated_source",
)


def export_json(record: Diagnostic, answers: list[StoredAnswer]) -> dict[str, Any]:
    """Return the diagnostic, its consolidation and every answer with its evidence."""
    return {
        "diagnostic": diagnostic_view(record, answers).model_dump(mode="json"),
        "answers": [AnswerView.of(a).model_dump(mode="json") for a in answers],
    }


def _safe(value: str) -> str:
    """Neutralise spreadsheet formulas in free text (CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def export_csv(record: Diagnostic, answers: list[StoredAnswer]) -> str:
    """Return one row per indicator and respondent (indicators nobody answered get one empty row)."""
    view = diagnostic_view(record, answers)
    states = {i.code: i for i in view.indicators}
    people = {r.respondent_id: r for r in record.respondents}
    by_code: dict[str, list[StoredAnswer]] = {}
    for each in answers:
        by_code.setdefault(each.answer.indicator, []).append(each)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for item in record.indicators:
        state = states[item.code]
        rows: list[StoredAnswer | None] = list(by_code.get(item.code, [])) or [None]
        for stored in rows:
            a = stored.answer if stored else None
            who = people.get(a.respondent_id) if a else None
            writer.writerow(
                [
                    record.diagnostic_id,
                    record.organisation_id,
                    f"{record.model_id}@{record.model_version}",
                    item.lever,
                    item.groupement,
                    item.code,
                    a.respondent_id if a else "",
                    _safe(who.name) if who else "",
                    _safe(who.role) if who else "",
                    "" if a is None or a.level is None else a.level,
                    a.not_applicable if a else "",
                    " ".join(a.criteria_met or ()) if a else "",
                    _safe(a.comment) if a else "",
                    " | ".join(_safe(e.value) for e in stored.evidence) if stored else "",
                    "" if state.level is None else state.level,
                    state.source,
                ]
            )
    return out.getvalue()
