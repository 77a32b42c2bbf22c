"""The scoring engine: levels, targets, gaps, advice, weighted scores and the roadmap (BRIEF §3)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from shared.model.schema import MaturityModel

Advice = Literal["strength", "attention", "improve"]
ADVICE_LABELS: dict[Advice, str] = {
    "strength": "ce que vous faites déjà bien",
    "attention": "mérite votre attention",
    "improve": "doit être amélioré",
}


@dataclass(frozen=True)
class DiagnosticInput:
    """What scoring needs from a submitted diagnostic."""

    sector: str | None
    scope: str
    levels: Mapping[str, int]
    not_applicable: frozenset[str] = frozenset()


@dataclass(frozen=True)
class IndicatorResult:
    """One indicator's place in the scorecard."""

    code: str
    lever: str
    groupement: str
    name: str
    coefficient: int
    level: int | None
    not_applicable: bool
    target: int
    gap: int | None
    advice: Advice | None
    contribution: int


@dataclass(frozen=True)
class Score:
    """A coefficient-weighted mean and how it was computed."""

    code: str
    score: float | None
    weighted_sum: int
    coefficient_sum: int
    indicators: int


@dataclass(frozen=True)
class Action:
    """A roadmap step: raise one indicator by one level by meeting the next level's criteria."""

    code: str
    name: str
    lever: str
    level: int
    target: int
    gap: int
    priority: int
    next_level: int
    criteria: tuple[str, ...]


@dataclass(frozen=True)
class Scorecard:
    """The result of scoring one diagnostic against the model version it pinned."""

    model_id: str
    model_version: str
    scope: str
    overall: Score
    levers: tuple[Score, ...]
    groupements: tuple[Score, ...]
    indicators: tuple[IndicatorResult, ...]
    percent_to_target: float
    roadmap: tuple[Action, ...]
    method: tuple[str, ...] = field(default=())

    def advice(self, kind: Advice) -> list[IndicatorResult]:
        """Return the indicators of one advice category, in model order."""
        return [i for i in self.indicators if i.advice == kind]


def advice_for(gap: int) -> Advice:
    """Classify a gap: ≤ 0 strength, 1 attention, ≥ 2 improve."""
    return "strength" if gap <= 0 else ("attention" if gap == 1 else "improve")


def priority(coefficient: int, gap: int) -> int:
    """Weigh a gap: coefficient × ((1 + gap)² − 1), so wide gaps on heavy indicators come first."""
    return coefficient * ((1 + gap) ** 2 - 1)


def _weighted(code: str, results: list[IndicatorResult]) -> Score:
    scored = [r for r in results if r.level is not None and not r.not_applicable]
    numerator = sum(r.coefficient * (r.level or 0) for r in scored)
    denominator = sum(r.coefficient for r in scored)
    return Score(code, numerator / denominator if denominator else None, numerator, denominator, len(scored))


def _indicator_results(model: MaturityModel, diagnostic: DiagnosticInput) -> list[IndicatorResult]:
    in_scope = set(diagnostic.levels) | set(diagnostic.not_applicable)
    results = []
    for place in model.places():
        item = place.indicator
        if item.code not in in_scope:
            continue
        na = item.code in diagnostic.not_applicable
        level = None if na else diagnostic.levels.get(item.code)
        target = item.target_for(diagnostic.sector)
        gap = None if level is None else target - level
        results.append(
            IndicatorResult(
                code=item.code,
                lever=place.lever,
                groupement=place.groupement,
                name=item.name,
                coefficient=item.coefficient,
                level=level,
                not_applicable=na,
                target=target,
                gap=gap,
                advice=None if gap is None else advice_for(gap),
                contribution=item.coefficient * (level or 0),
            )
        )
    return results


def _roadmap(model: MaturityModel, results: list[IndicatorResult]) -> list[Action]:
    actions = []
    for rank, result in enumerate(results):
        if result.gap is None or result.gap <= 0 or result.level is None:
            continue
        indicator = model.indicator(result.code)
        next_level = indicator.level(result.level + 1) if indicator else None
        criteria = tuple(c.text for c in next_level.criteria) if next_level else ()
        actions.append(
            (
                rank,
                Action(
                    result.code,
                    result.name,
                    result.lever,
                    result.level,
                    result.target,
                    result.gap,
                    priority(result.coefficient, result.gap),
                    result.level + 1,
                    criteria,
                ),
            )
        )
    actions.sort(key=lambda pair: (-pair[1].priority, pair[0]))
    return [action for _, action in actions]


def percent_to_target(results: list[IndicatorResult]) -> float:
    """Return 1 − Σ max(0, target − level) / Σ target over the scored indicators."""
    scored = [r for r in results if r.level is not None and not r.not_applicable]
    total = sum(r.target for r in scored)
    if total == 0:
        return 1.0
    return 1 - sum(max(0, r.target - (r.level or 0)) for r in scored) / total


METHOD = (
    "Chaque indicateur applicable et renseigné contribue coefficient × niveau (niveaux cumulatifs de 0 à 5).",
    "Score d'un groupement, d'un levier et score global = Σ(coefficient × niveau) / Σ(coefficient) ; "
    "les indicateurs déclarés non applicables ou hors périmètre sortent des deux sommes.",
    "Cible = niveau attendu du secteur (3 par défaut) ; écart = cible − niveau ; écart ≤ 0 : acquis, "
    "écart = 1 : mérite votre attention, écart ≥ 2 : doit être amélioré.",
    "Feuille de route : actions triées par coefficient × ((1 + écart)² − 1), chacune nommant les critères du "
    "niveau suivant.",
    "Atteinte de la cible = 1 − Σ max(0, cible − niveau) / Σ cible.",
    "Les scores sont arrondis à 2 décimales à l'affichage seulement, jamais avant agrégation.",
)


def score(model: MaturityModel, diagnostic: DiagnosticInput) -> Scorecard:
    """Score a diagnostic against the model version it pinned."""
    results = _indicator_results(model, diagnostic)
    by_lever: dict[str, list[IndicatorResult]] = {}
    by_groupement: dict[str, list[IndicatorResult]] = {}
    for result in results:
        by_lever.setdefault(result.lever, []).append(result)
        by_groupement.setdefault(result.groupement, []).append(result)
    groupements = [g.code for lv in model.levers for g in lv.groupements if g.code in by_groupement]
    method = (
        METHOD
        if diagnostic.scope == "full"
        else (
            *METHOD,
            f"Diagnostic rapide : ce tableau de bord ne couvre que le profil « {diagnostic.scope} ».",
        )
    )
    return Scorecard(
        model_id=model.model_id,
        model_version=model.version,
        scope=diagnostic.scope,
        overall=_weighted("overall", results),
        levers=tuple(_weighted(lv.code, by_lever.get(lv.code, [])) for lv in model.levers),
        groupements=tuple(_weighted(code, by_groupement[code]) for code in groupements),
        indicators=tuple(results),
        percent_to_target=percent_to_target(results),
        roadmap=tuple(_roadmap(model, results)),
        method=method,
    )
