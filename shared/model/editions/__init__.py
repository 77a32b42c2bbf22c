"""The DIMM reference edition shipped with the platform, composed from its source files.

This is our own authored edition: it follows the published structure of DIMM (levers,
groupements, indicators coded by lever prefix, coefficients 1–3, sector targets, cumulative
levels) and keeps every publicly known code and name verbatim, but its criteria are ours, not
the grid of the book. Operators load their licensed grid through the catalogue API.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from shared.model.schema import MaturityModel
from shared.model.validation import parse_model

MODEL_ID = "dimm"
LEVER_FILES = ("S", "OR", "PE", "OF", "TI", "E")
SME_PROFILE = ("SP1", "SE4", "ORM1", "ORS6", "PE4", "OFC1", "OFC6", "TIA3", "TIA5", "EE4")

SECTORS: dict[str, str] = {
    "automobile": "Automobile",
    "medias": "Médias",
    "sante": "Santé",
    "tourisme": "Tourisme et hôtellerie",
    "logement-social": "Logement social",
    "dispositifs-medicaux": "Dispositifs médicaux",
    "agroalimentaire": "Agroalimentaire",
    "commerce": "Commerce et distribution",
    "banque": "Banque",
    "assurance": "Assurance",
    "industrie": "Industrie manufacturière",
    "industrie-extractive": "Industrie extractive et minière",
    "btp": "Bâtiment et travaux publics",
    "transport-logistique": "Transport et logistique",
    "energie": "Énergie",
    "telecoms-numerique": "Télécoms et numérique",
    "services-professionnels": "Services aux entreprises",
    "secteur-public": "Secteur public",
}

EDITION_NOTE = (
    "Édition de référence de la plateforme, rédigée par nos soins : elle suit la structure publiée "
    "du modèle DIMM (Tartar & Fayon, « La transformation digitale pour tous ! », Pearson 2022 — "
    "6 leviers, groupements, indicateurs, coefficients 1 à 3, niveaux cumulatifs, cibles par secteur) "
    "et reprend à l'identique les codes et intitulés publiés, mais ses critères sont les nôtres et "
    "ne reproduisent pas la grille du livre. Chargez votre grille sous licence via l'API du catalogue."
)


def _source(name: str) -> Any:
    path = resources.files(__name__).joinpath("dimm", "source", f"{name}.json")
    return json.loads(path.read_text(encoding="utf-8"))


def _v1_document() -> dict[str, Any]:
    return {
        "model_id": MODEL_ID,
        "version": "1.0.0",
        "title": "DIMM — Digital Internet Maturity Model (édition de référence)",
        "locale": "fr-FR",
        "description": EDITION_NOTE + " Version 1.0.0 : 113 indicateurs.",
        "sectors": [{"code": code, "name": name} for code, name in SECTORS.items()],
        "profiles": [
            {
                "code": "pme-10-priorites",
                "name": "PME — 10 priorités",
                "description": "Diagnostic rapide : les 10 indicateurs à plus fort impact pour les PME.",
                "indicators": list(SME_PROFILE),
            }
        ],
        "levers": [_source(name) for name in LEVER_FILES],
    }


def _v2_document() -> dict[str, Any]:
    document = _v1_document()
    changes = _source("v2-changes")
    replaced = {indicator["code"]: indicator for indicator in changes["replaced"]}
    added = {indicator["code"]: indicator for indicator in changes["added"]}
    for lever in document["levers"]:
        for groupement in lever["groupements"]:
            groupement["indicators"] = [replaced.get(i["code"], i) for i in groupement["indicators"]]
            groupement["indicators"] += [
                added[code]
                for code, target in changes["added_to_groupement"].items()
                if target == groupement["code"]
            ]
    document["version"] = changes["version"]
    document["description"] = EDITION_NOTE + " " + changes["summary"]
    return document


_BUILDERS = {"1.0.0": _v1_document, "2.0.0": _v2_document}


@cache
def shipped_edition(version: str) -> MaturityModel:
    """Return a shipped edition of the DIMM model, validated."""
    if version not in _BUILDERS:
        raise KeyError(f"no shipped DIMM edition {version!r}; shipped: {', '.join(_BUILDERS)}")
    return parse_model(_BUILDERS[version]())


def shipped_editions() -> list[MaturityModel]:
    """Return every shipped edition, oldest first."""
    return [shipped_edition(version) for version in _BUILDERS]
