"""The change notice a new model version produces by itself, from the diff with the previous one."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from services.watch.domain.notices import ModelChange, Notice, Scope
from shared.errors import InvalidInput
from shared.events.contracts.watch import Severity
from shared.model.diff import ModelDiff
from shared.model.schema import MaturityModel

SOURCE_URL = "https://dimm.dev/models/{model_id}/versions/{version}"
LISTED = 8
"""Codes named in a summary before `… et N autres`."""


@dataclass(frozen=True)
class TargetMove:
    """An indicator's target moving to one value for some sectors (None = organisations with no sector)."""

    code: str
    before: int
    after: int
    sectors: tuple[str | None, ...]


def target_moves(old: MaturityModel, new: MaturityModel) -> list[TargetMove]:
    """List every target that changes, per indicator and new value, with the sectors it changes for."""
    rows: tuple[str | None, ...] = (None, *(s.code for s in new.sectors))
    moves: list[TargetMove] = []
    for place in new.places():
        before_indicator = old.indicator(place.indicator.code)
        if before_indicator is None:
            continue
        grouped: dict[tuple[int, int], list[str | None]] = defaultdict(list)
        for sector in rows:
            before, after = before_indicator.target_for(sector), place.indicator.target_for(sector)
            if before != after:
                grouped[before, after].append(sector)
        moves += [TargetMove(place.indicator.code, b, a, tuple(s)) for (b, a), s in grouped.items()]
    return moves


def _plural(count: int, singular: str, plural: str) -> str:
    return f"{count} {singular if count == 1 else plural}"


def _listed(codes: Sequence[str]) -> str:
    shown = ", ".join(codes[:LISTED])
    return shown if len(codes) <= LISTED else f"{shown} … et {len(codes) - LISTED} autres"


def _for_whom(move: TargetMove, model: MaturityModel) -> str:
    names = {s.code: s.name for s in model.sectors}
    named = [names[s] for s in move.sectors if s is not None]
    if len(move.sectors) == len(model.sectors) + 1:
        return "pour tous les secteurs"
    where = "par défaut" if None in move.sectors else ""
    if len(named) == 1:
        where += (" et " if where else "") + f"pour le secteur {named[0]}"
    elif len(named) in (2, 3):
        where += (" et " if where else "") + f"pour les secteurs {', '.join(named[:-1])} et {named[-1]}"
    elif named:
        where += (" et " if where else "") + f"pour {len(named)} secteurs"
    return where


def _move_text(move: TargetMove, model: MaturityModel) -> str:
    verb = "relevée" if move.after > move.before else "abaissée"
    return f"cible de {move.code} {verb} à {move.after} {_for_whom(move, model)}"


def _counts(diff: ModelDiff) -> tuple[list[str], list[str], list[str]]:
    added = sorted(c.indicator for c in diff.changes if c.kind == "indicator_added" and c.indicator)
    removed = sorted(c.indicator for c in diff.changes if c.kind == "indicator_removed" and c.indicator)
    modified = sorted(diff.indicators_touched - set(added) - set(removed))
    return added, removed, modified


def _title(diff: ModelDiff, model: MaturityModel, moves: list[TargetMove]) -> str:
    added, removed, modified = _counts(diff)
    parts = [
        text
        for count, text in (
            (len(modified), _plural(len(modified), "indicateur modifié", "indicateurs modifiés")),
            (len(added), _plural(len(added), "indicateur ajouté", "indicateurs ajoutés")),
            (len(removed), _plural(len(removed), "indicateur retiré", "indicateurs retirés")),
        )
        if count
    ]
    rises = [m for m in moves if m.after > m.before]
    if rises:
        parts.append(_move_text(rises[0], model) + (" …" if len(rises) > 1 else ""))
    body = ", ".join(parts) or "aucun indicateur modifié"
    return f"Édition {model.version} du modèle {model.model_id.upper()} : {body}"


def _summary(diff: ModelDiff, old: MaturityModel, new: MaturityModel, moves: list[TargetMove]) -> str:
    added, removed, modified = _counts(diff)
    sentences = [
        f"Le modèle {new.model_id.upper()} passe de l'édition {old.version} à l'édition {new.version}."
    ]
    for codes, label in ((added, "ajoutés"), (removed, "retirés"), (modified, "modifiés")):
        if codes:
            sentences.append(f"Indicateurs {label} : {_listed(codes)}.")
    if moves:
        sentences.append("Cibles : " + " ; ".join(_move_text(m, new) for m in moves[:LISTED]) + ".")
    kinds: Counter[str] = Counter(c.kind for c in diff.changes)
    criteria = [
        _plural(kinds[kind], f"critère {label}", f"critères {label}s")
        for kind, label in (("criterion_added", "ajouté"), ("criterion_removed", "retiré"))
        if kinds[kind]
    ]
    if kinds["criterion_changed"]:
        criteria.append(_plural(kinds["criterion_changed"], "critère reformulé", "critères reformulés"))
    if criteria:
        sentences.append("Critères des niveaux : " + ", ".join(criteria) + ".")
    sentences.append(
        f"Sont concernés les diagnostics réalisés sur l'édition {old.version} ou antérieure "
        "qui renseignent l'un de ces indicateurs."
    )
    return " ".join(sentences)


def severity_of(diff: ModelDiff, moves: list[TargetMove]) -> Severity:
    """Warn when a target rises or a criterion is added (more is asked); inform otherwise."""
    asks_more = any(m.after > m.before for m in moves) or any(
        c.kind == "criterion_added" for c in diff.changes
    )
    return "warning" if asks_more else "info"


def notice_from_diff(
    diff: ModelDiff, *, from_model: MaturityModel, to_model: MaturityModel, notice_id: str, at: datetime
) -> Notice:
    """Draft the model notice announcing `to_model` to the diagnostics of `from_model` (or earlier)."""
    if (diff.from_ref, diff.to_ref) != (
        from_model.ref,
        to_model.ref,
    ) or from_model.model_id != to_model.model_id:
        raise InvalidInput(
            f"the diff {diff.from_ref} → {diff.to_ref} is not of {from_model.ref} → {to_model.ref}"
        )
    moves = target_moves(from_model, to_model)
    return Notice(
        id=notice_id,
        kind="model",
        title_fr=_title(diff, to_model, moves),
        summary_fr=_summary(diff, from_model, to_model, moves),
        source_url=SOURCE_URL.format(model_id=to_model.model_id, version=to_model.version),
        effective_date=at.date(),
        severity=severity_of(diff, moves),
        scope=Scope(
            indicators=frozenset(diff.indicators_touched),
            model_id=to_model.model_id,
            max_model_version=from_model.version,
        ),
        model_change=ModelChange(from_model.version, to_model.version, diff.changes),
    )
