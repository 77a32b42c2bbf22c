"""What scoring takes and gives: the diagnostic input, scores, advice, roadmap actions, the scorecard."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import Any, Literal

from shared.model.schema import Criterion

NA = "n/a"
"""The lookup key of a declared-N/A indicator (levels are ints, so it cannot clash)."""
Key = int | str | None
"""What a card holds per indicator: its level, NA, or None when the diagnostic leaves it out."""

Advice = Literal["strength", "attention", "improve"]
ADVICE_LABELS: dict[Advice, str] = {
    "strength": "ce que vous faites déjà bien",
    "attention": "mérite votre attention",
    "improve": "doit être amélioré",
}

METHOD = (
    "Chaque indicateur applicable et renseigné contribue coefficient × niveau (niveaux cumulatifs de 0 à 5).",
    "Score d'un groupement, d'un levier et score global = Σ(coefficient × niveau) / Σ(coefficient) ; "
    "les indicateurs déclarés non applicables ou hors périmètre sortent des deux sommes.",
    "Cible = niveau attendu du secteur (3 par défaut) ; écart = cible − niveau ; écart ≤ 0 : acquis, "
    "écart = 1 : mérite votre attention, écart ≥ 2 : doit être amélioré.",
    "Feuille de route : actions triées par coefficient × ((1 + écart)² − 1), chacune nommant les critères du "
    "niveau suivant qui ne sont pas encore remplis.",
    "Atteinte de la cible = 1 − Σ max(0, cible − niveau) / Σ cible.",
    "Les scores sont arrondis à 2 décimales à l'affichage seulement, jamais avant agrégation.",
)


def method_for(scope: str) -> tuple[str, ...]:
    """Return how a scorecard of this scope was computed."""
    if scope == "full":
        return METHOD
    return (*METHOD, f"Diagnostic rapide : ce tableau de bord ne couvre que le profil « {scope} ».")


def advice_for(gap: int) -> Advice:
    """Classify a gap: ≤ 0 strength, 1 attention, ≥ 2 improve."""
    return "strength" if gap <= 0 else ("attention" if gap == 1 else "improve")


def priority(coefficient: int, gap: int) -> int:
    """Weigh a gap: coefficient × ((1 + gap)² − 1), so wide gaps on heavy indicators come first."""
    return coefficient * ((1 + gap) ** 2 - 1)


@dataclass(frozen=True)
class DiagnosticInput:
    """What scoring needs from a submitted diagnostic."""

    sector: str | None
    scope: str
    levels: Mapping[str, int]
    not_applicable: frozenset[str] = frozenset()
    criteria_met: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """Per indicator, the ids of the criteria known to be met (the roadmap names only the others)."""


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
    """A roadmap step: raise one indicator by one level by meeting the next level's unmet criteria."""

    code: str
    name: str
    lever: str
    level: int
    target: int
    gap: int
    priority: int
    next_level: int
    criteria: tuple[Criterion, ...]


@dataclass(frozen=True)
class Column:
    """One indicator as the engine sees it; it builds each of its results and actions once."""

    code: str
    name: str
    lever: str
    groupement: str
    coefficient: int
    next_criteria: tuple[tuple[Criterion, ...], ...]
    """Indexed by the current level: the criteria of the level above (none above the top)."""
    # Results and actions are immutable values of (target, level), so scorecards share them: a card
    # would otherwise build ~170 frozen dataclasses. Bounded by targets × levels.
    _results: dict[tuple[int, Key], IndicatorResult] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _actions: dict[tuple[int, int], Action] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def result(self, target: int, key: int | str) -> IndicatorResult:
        """Return this indicator's result at a level (or NA) against a target."""
        found = self._results.get((target, key))
        if found is None:
            found = self._results[target, key] = self._result(target, None if isinstance(key, str) else key)
        return found

    def _result(self, target: int, level: int | None) -> IndicatorResult:
        gap = None if level is None else target - level
        return IndicatorResult(
            code=self.code,
            lever=self.lever,
            groupement=self.groupement,
            name=self.name,
            coefficient=self.coefficient,
            level=level,
            not_applicable=level is None,
            target=target,
            gap=gap,
            advice=None if gap is None else advice_for(gap),
            contribution=self.coefficient * (level or 0),
        )

    def action(self, target: int, level: int, met: frozenset[str] | None) -> Action:
        """Return the action raising this indicator from a level, naming the criteria not in `met`."""
        if met:
            return self._action(target, level, tuple(c for c in self.next_criteria[level] if c.id not in met))
        found = self._actions.get((target, level))
        if found is None:
            found = self._actions[target, level] = self._action(target, level, self.next_criteria[level])
        return found

    def _action(self, target: int, level: int, criteria: tuple[Criterion, ...]) -> Action:
        gap = target - level
        return Action(
            self.code,
            self.name,
            self.lever,
            level,
            target,
            gap,
            priority(self.coefficient, gap),
            level + 1,
            criteria,
        )


@dataclass(frozen=True, eq=False)
class Scorecard:
    """The result of scoring one diagnostic against the model version it pinned."""

    model_id: str
    model_version: str
    scope: str
    overall: Score
    levers: tuple[Score, ...]
    groupements: tuple[Score, ...]
    percent_to_target: float
    method: tuple[str, ...]
    _details: CardDetail = field(repr=False)

    @cached_property
    def indicators(self) -> tuple[IndicatorResult, ...]:
        """Return every indicator in scope, in model order (built on first access)."""
        return self._details.indicators()

    @cached_property
    def roadmap(self) -> tuple[Action, ...]:
        """Return the actions, highest priority first (built on first access)."""
        return self._details.roadmap()

    def advice(self, kind: Advice) -> list[IndicatorResult]:
        """Return the indicators of one advice category, in model order."""
        return [i for i in self.indicators if i.advice == kind]

    def _content(self) -> tuple[Any, ...]:
        eager = tuple(getattr(self, f.name) for f in fields(self) if f.name != "_details")
        return (*eager, self.indicators, self.roadmap)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Scorecard):
            return NotImplemented
        return self is other or self._content() == other._content()

    def __hash__(self) -> int:
        # The eager fields suffice: equal content implies equal eager fields.
        return hash((self.model_id, self.model_version, self.scope, self.overall, self.levers))


class CardDetail:
    """The per-indicator detail of one scored diagnostic, built when its scorecard is read."""

    __slots__ = ("columns", "criteria_met", "keys", "ranked", "targets")

    def __init__(
        self,
        columns: tuple[Column, ...],
        targets: tuple[int, ...],
        keys: list[Key],
        ranked: list[int],
        criteria_met: Mapping[str, frozenset[str]],
    ) -> None:
        self.columns, self.targets, self.keys, self.ranked = columns, targets, keys, ranked
        # A copy: the roadmap may be read after the caller has changed its mapping.
        self.criteria_met = dict(criteria_met) if criteria_met else {}

    def indicators(self) -> tuple[IndicatorResult, ...]:
        """Return every indicator in scope, in model order."""
        return tuple(
            column.result(target, key)
            for column, key, target in zip(self.columns, self.keys, self.targets, strict=True)
            if key is not None
        )

    def roadmap(self) -> tuple[Action, ...]:
        """Return the actions, highest priority first (ties in model order)."""
        k, actions = len(self.keys), []
        for rank in self.ranked:
            column, level = self.columns[rank % k], self.keys[rank % k]
            assert isinstance(level, int)  # only scored indicators have a rank
            actions.append(column.action(self.targets[rank % k], level, self.criteria_met.get(column.code)))
        return tuple(actions)
