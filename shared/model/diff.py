"""What changed between two versions of a model, as a structured list the watch service can use."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from shared.model.schema import Indicator, IndicatorPlace, MaturityModel

ChangeKind = Literal[
    "lever_added",
    "lever_removed",
    "lever_changed",
    "groupement_added",
    "groupement_removed",
    "groupement_renamed",
    "sector_added",
    "sector_removed",
    "sector_renamed",
    "profile_added",
    "profile_removed",
    "profile_changed",
    "indicator_added",
    "indicator_removed",
    "indicator_renamed",
    "description_changed",
    "coefficient_changed",
    "default_target_changed",
    "sector_target_changed",
    "applicability_changed",
    "na_allowance_changed",
    "level_summary_changed",
    "criterion_added",
    "criterion_removed",
    "criterion_changed",
]


class Change(BaseModel):
    """One change; `indicator`, `lever` and `groupement` say what it touches."""

    model_config = ConfigDict(frozen=True)

    kind: ChangeKind
    lever: str | None = None
    groupement: str | None = None
    indicator: str | None = None
    field: str | None = None
    level: int | None = None
    before: Any = None
    after: Any = None


class ModelDiff(BaseModel):
    """The changes from one version of a model to another."""

    model_config = ConfigDict(frozen=True)

    from_ref: str
    to_ref: str
    changes: tuple[Change, ...]

    @property
    def indicators_touched(self) -> set[str]:
        """Return the codes of the indicators any change touches."""
        return {c.indicator for c in self.changes if c.indicator}


def _keyed_changes(
    before: dict[str, Any],
    after: dict[str, Any],
    *,
    added: ChangeKind,
    removed: ChangeKind,
    renamed: ChangeKind,
) -> Iterator[Change]:
    for code in before.keys() - after.keys():
        yield Change(kind=removed, field=code, before=before[code])
    for code in after.keys() - before.keys():
        yield Change(kind=added, field=code, after=after[code])
    for code in before.keys() & after.keys():
        if before[code] != after[code]:
            yield Change(kind=renamed, field=code, before=before[code], after=after[code])


def _criteria_changes(old: Indicator, new: Indicator, base: dict[str, Any]) -> Iterator[Change]:
    for number in sorted({lvl.level for lvl in old.levels} | {lvl.level for lvl in new.levels}):
        before_level, after_level = old.level(number), new.level(number)
        if before_level and after_level and before_level.summary != after_level.summary:
            yield Change(
                kind="level_summary_changed",
                level=number,
                before=before_level.summary,
                after=after_level.summary,
                **base,
            )
        before_c = {c.id: c for c in (before_level.criteria if before_level else ())}
        after_c = {c.id: c for c in (after_level.criteria if after_level else ())}
        for cid in sorted(before_c.keys() - after_c.keys()):
            yield Change(kind="criterion_removed", level=number, field=cid, before=before_c[cid].text, **base)
        for cid in sorted(after_c.keys() - before_c.keys()):
            yield Change(kind="criterion_added", level=number, field=cid, after=after_c[cid].text, **base)
        for cid in sorted(before_c.keys() & after_c.keys()):
            if before_c[cid] != after_c[cid]:
                yield Change(
                    kind="criterion_changed",
                    level=number,
                    field=cid,
                    before=before_c[cid].model_dump(),
                    after=after_c[cid].model_dump(),
                    **base,
                )


def _indicator_changes(old: IndicatorPlace, new: IndicatorPlace) -> Iterator[Change]:
    a, b = old.indicator, new.indicator
    base: dict[str, Any] = {"lever": new.lever, "groupement": new.groupement, "indicator": b.code}
    simple: list[tuple[ChangeKind, str]] = [
        ("indicator_renamed", "name"),
        ("description_changed", "description"),
        ("coefficient_changed", "coefficient"),
        ("default_target_changed", "default_target"),
        ("na_allowance_changed", "allows_na"),
    ]
    for kind, field in simple:
        if getattr(a, field) != getattr(b, field):
            yield Change(kind=kind, field=field, before=getattr(a, field), after=getattr(b, field), **base)
    for field in ("size_bands", "organisation_types"):
        before, after = getattr(a.applicability, field), getattr(b.applicability, field)
        if set(before) != set(after):
            yield Change(
                kind="applicability_changed", field=field, before=list(before), after=list(after), **base
            )
    for sector in sorted(a.sector_targets.keys() | b.sector_targets.keys()):
        if a.sector_targets.get(sector) != b.sector_targets.get(sector):
            yield Change(
                kind="sector_target_changed",
                field=sector,
                before=a.sector_targets.get(sector),
                after=b.sector_targets.get(sector),
                **base,
            )
    yield from _criteria_changes(a, b, base)


def _structure_changes(old: MaturityModel, new: MaturityModel) -> Iterator[Change]:
    old_levers = {lever.code: lever for lever in old.levers}
    new_levers = {lever.code: lever for lever in new.levers}
    for code in old_levers.keys() - new_levers.keys():
        yield Change(kind="lever_removed", lever=code, before=old_levers[code].name)
    for code in new_levers.keys() - old_levers.keys():
        yield Change(kind="lever_added", lever=code, after=new_levers[code].name)
    for code in old_levers.keys() & new_levers.keys():
        for field in ("name", "key_question"):
            before, after = getattr(old_levers[code], field), getattr(new_levers[code], field)
            if before != after:
                yield Change(kind="lever_changed", lever=code, field=field, before=before, after=after)
    old_groups = {g.code: (lv.code, g.name) for lv in old.levers for g in lv.groupements}
    new_groups = {g.code: (lv.code, g.name) for lv in new.levers for g in lv.groupements}
    for code in old_groups.keys() - new_groups.keys():
        yield Change(
            kind="groupement_removed", lever=old_groups[code][0], groupement=code, before=old_groups[code][1]
        )
    for code in new_groups.keys() - old_groups.keys():
        yield Change(
            kind="groupement_added", lever=new_groups[code][0], groupement=code, after=new_groups[code][1]
        )
    for code in old_groups.keys() & new_groups.keys():
        if old_groups[code][1] != new_groups[code][1]:
            yield Change(
                kind="groupement_renamed",
                lever=new_groups[code][0],
                groupement=code,
                before=old_groups[code][1],
                after=new_groups[code][1],
            )


def _vocabulary_changes(old: MaturityModel, new: MaturityModel) -> Iterator[Change]:
    yield from _keyed_changes(
        {s.code: s.name for s in old.sectors},
        {s.code: s.name for s in new.sectors},
        added="sector_added",
        removed="sector_removed",
        renamed="sector_renamed",
    )
    yield from _keyed_changes(
        {p.code: p.model_dump() for p in old.profiles},
        {p.code: p.model_dump() for p in new.profiles},
        added="profile_added",
        removed="profile_removed",
        renamed="profile_changed",
    )


def diff_models(old: MaturityModel, new: MaturityModel) -> ModelDiff:
    """List every change from `old` to `new`: structure, vocabularies, then indicator by indicator."""
    changes = [*_structure_changes(old, new), *_vocabulary_changes(old, new)]
    old_places = {p.indicator.code: p for p in old.places()}
    for place in new.places():
        code = place.indicator.code
        if code not in old_places:
            changes.append(
                Change(
                    kind="indicator_added",
                    lever=place.lever,
                    groupement=place.groupement,
                    indicator=code,
                    after=place.indicator.name,
                )
            )
        else:
            changes += _indicator_changes(old_places[code], place)
    new_codes = {p.indicator.code for p in new.places()}
    for code, place in old_places.items():
        if code not in new_codes:
            changes.append(
                Change(
                    kind="indicator_removed",
                    lever=place.lever,
                    groupement=place.groupement,
                    indicator=code,
                    before=place.indicator.name,
                )
            )
    return ModelDiff(from_ref=old.ref, to_ref=new.ref, changes=tuple(changes))
