"""Accounts' plans, as the benchmark learns them: premium sees every cohort, free its own position."""

from __future__ import annotations

from typing import Literal

from shared.auth import Principal
from shared.errors import Forbidden

Plan = Literal["free", "premium"]
PREMIUM_ADDS = (
    "les cohortes de vos pairs (secteur, taille, région et leurs combinaisons), "
    "les quartiles, déciles et répartitions de chaque levier, groupement et indicateur, "
    "votre rang dans chacune, et les études sectorielles nationales"
)


def plan_of(principal: Principal, known: Plan | None) -> Plan:
    """Return the account's plan: as last announced by assessment, else as the token says."""
    if known is not None:
        return known
    return "premium" if principal.plan == "premium" else "free"


def require_premium(plan: Plan) -> None:
    """Refuse a premium figure to a free account, saying what it needs."""
    if plan != "premium":
        raise Forbidden(
            "This benchmark is part of the premium plan; the free plan shows your position among all "
            f"organisations and your sector's median. Premium adds {PREMIUM_ADDS}.",
            errors=[{"path": "plan", "message": "premium plan required"}],
        )
