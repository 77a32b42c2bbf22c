"""Builders of small, valid model documents for tests (plain dicts, as a client would send)."""

from __future__ import annotations

import copy
from typing import Any


def criterion(code: str, level: int, letter: str = "a") -> dict[str, Any]:
    return {
        "id": f"{code}.{level}.{letter}",
        "text": f"Exigence {letter} du niveau {level} de {code}",
        "evidence": "Un document",
    }


def indicator(code: str, *, coefficient: int = 2, levels: int = 5, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": code,
        "name": f"Indicateur {code}",
        "description": "",
        "coefficient": coefficient,
        "applicability": {"size_bands": ["TPE", "PME", "ETI", "GE"], "organisation_types": ["entreprise"]},
        "allows_na": False,
        "default_target": 3,
        "sector_targets": {},
        "levels": [
            {
                "level": n,
                "summary": f"Niveau {n}",
                "criteria": [criterion(code, n, "a"), criterion(code, n, "b")],
            }
            for n in range(1, levels + 1)
        ],
    }
    body.update(overrides)
    return body


def model(*, version: str = "1.0.0", model_id: str = "mini") -> dict[str, Any]:
    """A two-lever model with three indicators, one sector and one profile."""
    return {
        "model_id": model_id,
        "version": version,
        "title": "Mini modèle",
        "locale": "fr-FR",
        "sectors": [{"code": "banque", "name": "Banque"}],
        "profiles": [{"code": "rapide", "name": "Rapide", "indicators": ["SP1"]}],
        "levers": [
            {
                "code": "S",
                "name": "Stratégie",
                "key_question": "?",
                "groupements": [
                    {
                        "code": "SP",
                        "name": "Plan",
                        "indicators": [indicator("SP1", coefficient=3), indicator("SP2")],
                    },
                ],
            },
            {
                "code": "TI",
                "name": "Technologie",
                "key_question": "?",
                "groupements": [
                    {"code": "TIA", "name": "Architecture", "indicators": [indicator("TIA1", coefficient=1)]},
                ],
            },
        ],
    }


def edited(document: dict[str, Any]) -> dict[str, Any]:
    """Return a deep copy to edit."""
    return copy.deepcopy(document)
