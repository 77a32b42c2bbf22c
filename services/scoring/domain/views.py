"""How a scorecard is shown: rounded for display, with labels, lists and its explanation."""

from __future__ import annotations

from typing import Any

from services.scoring.domain.peers import OVERALL, Comparison, PeerFigure, Peers, cohort_label
from services.scoring.domain.scorecards import Progress, ScoredDiagnostic
from shared.model.engine import ADVICE_LABELS, Action, Score, Scorecard
from shared.model.schema import MaturityModel
from shared.model.vocabulary import ORGANISATION_TYPE_LABELS, REGIONS, SIZE_BAND_LABELS

ROADMAP_SIZE = 10


def rounded(value: float | None) -> float | None:
    """Round for display only (2 decimals); aggregation always uses the exact values."""
    return None if value is None else round(value, 2)


def _score(s: Score, names: dict[str, str]) -> dict[str, Any]:
    return {
        "code": s.code,
        "name": names.get(s.code, s.code),
        "score": rounded(s.score),
        "weighted_sum": s.weighted_sum,
        "coefficient_sum": s.coefficient_sum,
        "indicators": s.indicators,
    }


def _action(a: Action) -> dict[str, Any]:
    return {
        "code": a.code,
        "name": a.name,
        "lever": a.lever,
        "level": a.level,
        "target": a.target,
        "gap": a.gap,
        "priority": a.priority,
        "next_level": a.next_level,
        "criteria": [c.text for c in a.criteria],
        "criteria_ids": [c.id for c in a.criteria],
    }


def _figure(figure: PeerFigure) -> dict[str, Any]:
    return {
        "median": rounded(figure.median),
        "quartiles": [rounded(q) for q in figure.quartiles],
        "organisations": figure.organisations,
    }


def present_peers(peers: Peers, model: MaturityModel) -> dict[str, Any]:
    """Return the peer cohort as the API shows it: its label, size, snapshot, and figures present."""
    cohort = peers.cohort
    overall = cohort.figure(OVERALL)
    return {
        "label": cohort_label(cohort, {s.code: s.name for s in model.sectors}),
        "sector": cohort.sector,
        "size_band": cohort.size_band,
        "region": cohort.region,
        "assurance": cohort.assurance,
        "organisations": cohort.organisations,
        "snapshot_id": peers.snapshot_id,
        "taken_at": peers.taken_at,
        "overall": _figure(overall) if overall else None,
        "levers": {code: _figure(f) for code, f in cohort.levers.items()},
    }


def profile_in_words(profile: dict[str, str], model: MaturityModel) -> dict[str, str]:
    """Return the organisation's sector, size band, region and type as a reader says them."""
    sectors = {s.code: s.name for s in model.sectors}
    words = {
        "sector": sectors.get(profile.get("sector", ""), ""),
        "size_band": SIZE_BAND_LABELS.get(profile.get("size_band", ""), ""),
        "region": REGIONS.get(profile.get("region", ""), ""),
        "organisation_type": ORGANISATION_TYPE_LABELS.get(profile.get("organisation_type", ""), ""),
    }
    # An unknown code is shown as it is rather than hidden.
    return {key: word or profile.get(key, "") for key, word in words.items() if word or profile.get(key)}


def present(
    card: Scorecard,
    model: MaturityModel,
    record: ScoredDiagnostic,
    progress: Progress | None,
    comparison: Comparison | None = None,
) -> dict[str, Any]:
    """Return the scorecard as the API shows it."""
    peers = comparison.peers if comparison else None
    lever_names = {lv.code: lv.name for lv in model.levers}
    group_names = {g.code: g.name for lv in model.levers for g in lv.groupements}
    return {
        "diagnostic_id": record.diagnostic_id,
        "organisation_id": record.organisation_id,
        "organisation_name": record.organisation_name,
        "model_id": card.model_id,
        "model_version": card.model_version,
        "scope": card.scope,
        "profile": record.profile,
        "profile_labels": profile_in_words(record.profile, model),
        "submitted_at": record.submitted_at,
        "assessed_at": record.assessed_at,
        "scored_at": record.scored_at,
        "assurance": record.assurance,
        "overall": _score(card.overall, {"overall": "Score global"}),
        "levers": [_score(s, lever_names) for s in card.levers],
        "groupements": [_score(s, group_names) for s in card.groupements],
        "percent_to_target": rounded(card.percent_to_target * 100),
        "indicators": [
            {
                "code": i.code,
                "name": i.name,
                "lever": i.lever,
                "groupement": i.groupement,
                "coefficient": i.coefficient,
                "level": i.level,
                "not_applicable": i.not_applicable,
                "target": i.target,
                "gap": i.gap,
                "advice": i.advice,
                "advice_label": ADVICE_LABELS[i.advice] if i.advice else None,
                "contribution": i.contribution,
            }
            for i in card.indicators
        ],
        "advice": {
            kind: [i.code for i in card.advice(kind)] for kind in ("strength", "attention", "improve")
        },
        "roadmap": [_action(a) for a in card.roadmap],
        "divergences": list(record.divergences),
        "progress": None
        if progress is None
        else {
            "previous_diagnostic_id": progress.previous_diagnostic_id,
            "previous_assessed_at": progress.previous_assessed_at,
            "overall": rounded(progress.overall),
            "levers": {code: rounded(delta) for code, delta in progress.levers.items()},
        },
        "method": list(card.method),
        "peers": present_peers(peers, model) if peers else None,
        "peers_available_with": comparison.needs_plan if comparison else None,
    }
