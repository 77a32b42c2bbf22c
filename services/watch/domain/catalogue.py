"""The shipped catalogue of real regulatory, technology and usage changes, loaded as draft notices."""

from __future__ import annotations

import json
from datetime import date
from importlib import resources
from typing import Any

from services.watch.domain.notices import Notice, Scope
from services.watch.domain.rules import parse_rule
from shared.model.editions import MODEL_ID, shipped_edition
from shared.model.schema import MaturityModel

CATALOGUE_PACKAGE = "services.watch.catalogue"
CATALOGUE_FILE = "notices.json"


class InvalidCatalogue(ValueError):
    """The shipped catalogue names something our edition does not have."""


def catalogue_document() -> dict[str, Any]:
    """Return the catalogue's JSON document."""
    text = resources.files(CATALOGUE_PACKAGE).joinpath(CATALOGUE_FILE).read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def _date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def notice_of(entry: dict[str, Any]) -> Notice:
    """Build a draft notice from a catalogue entry (dates ISO, rule as text)."""
    rule = entry.get("rule")
    return Notice(
        id=entry["id"],
        kind=entry["kind"],
        title_fr=entry["title_fr"],
        summary_fr=entry["summary_fr"],
        source_url=entry["source_url"],
        see_also=tuple(entry.get("see_also", ())),
        effective_date=_date(entry.get("effective_date")),
        date_note=entry.get("date_note"),
        deadline=_date(entry.get("deadline")),
        severity=entry["severity"],
        scope=Scope(
            indicators=frozenset(entry.get("indicators", ())),
            groupements=frozenset(entry.get("groupements", ())),
            levers=frozenset(entry.get("levers", ())),
            sectors=frozenset(entry.get("sectors", ())),
            size_bands=frozenset(entry.get("size_bands", ())),
            organisation_types=frozenset(entry.get("organisation_types", ())),
            model_id=entry.get("model_id", MODEL_ID),
        ),
        rule=None if rule is None else parse_rule(rule),
        mapping_note=entry.get("mapping_note", ""),
    )


def catalogue_problems(notices: list[Notice], model: MaturityModel) -> list[str]:
    """List every indicator, groupement or lever a notice names that the model lacks."""
    groupements = {g.code for lever in model.levers for g in lever.groupements}
    levers = {lever.code for lever in model.levers}
    problems = []
    for notice in notices:
        rule_codes = notice.rule.codes if notice.rule is not None else frozenset()
        for kind, named, known in (
            ("indicator", notice.scope.indicators | rule_codes, {p.indicator.code for p in model.places()}),
            ("groupement", notice.scope.groupements, groupements),
            ("lever", notice.scope.levers, levers),
        ):
            problems += [f"{notice.id}: unknown {kind} {code}" for code in sorted(named - known)]
        sectors = {s.code for s in model.sectors}
        problems += [f"{notice.id}: unknown sector {code}" for code in sorted(notice.scope.sectors - sectors)]
    return problems


def load_catalogue() -> list[Notice]:
    """Return the shipped notices as drafts, checked against the edition they were mapped to."""
    document = catalogue_document()
    notices = [notice_of(entry) for entry in document["notices"]]
    problems = catalogue_problems(notices, shipped_edition(document["edition"]))
    if len({n.id for n in notices}) != len(notices):
        problems.append("duplicate notice id")
    if problems:
        raise InvalidCatalogue("; ".join(problems))
    return notices
