"""Organisations assessed on the platform, owned by the account that manages them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from shared.aggregate import Aggregate
from shared.errors import InvalidInput
from shared.events.contracts.assessment import (
    OrganisationErased,
    OrganisationProfile,
    OrganisationRegistered,
    OrganisationUpdated,
)
from shared.model.vocabulary import REGIONS, OrganisationType, SizeBand, size_band_for

CHANGEABLE = ("name", "sector", "headcount", "region", "organisation_type", "siren")


def siren_is_valid(siren: str) -> bool:
    """Check a SIREN: nine digits whose Luhn checksum is right."""
    if len(siren) != 9 or not siren.isdigit():
        return False
    total = 0
    for index, char in enumerate(reversed(siren)):
        digit = int(char) * (2 if index % 2 else 1)
        total += digit - 9 if digit > 9 else digit
    return total % 10 == 0


def check_fields(values: Mapping[str, Any], *, sectors: set[str]) -> None:
    """Refuse unknown sectors and regions and invalid SIRENs, listing every problem."""
    problems = []
    if "sector" in values and values["sector"] not in sectors:
        problems.append({"path": "sector", "message": f"unknown sector; choose from {sorted(sectors)}"})
    if "region" in values and values["region"] not in REGIONS:
        problems.append({"path": "region", "message": f"unknown region; choose from {sorted(REGIONS)}"})
    siren = values.get("siren")
    if siren is not None and not siren_is_valid(siren):
        problems.append({"path": "siren", "message": "a SIREN has 9 digits and a valid check digit"})
    if problems:
        raise InvalidInput("The organisation is not valid.", errors=problems)


@dataclass
class Organisation(Aggregate):
    """An organisation and the profile benchmarks and targets depend on."""

    organisation_id: str
    account_id: str
    name: str
    sector: str
    headcount: int
    region: str
    organisation_type: OrganisationType
    siren: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def register(
        cls,
        organisation_id: str,
        account_id: str,
        values: Mapping[str, Any],
        *,
        sectors: set[str],
        at: datetime,
    ) -> Organisation:
        """Register an organisation of an account and announce it."""
        check_fields(values, sectors=sectors)
        known = {f.name for f in fields(cls)}
        org = cls(
            organisation_id=organisation_id,
            account_id=account_id,
            created_at=at,
            updated_at=at,
            **{"siren": None, **{k: v for k, v in values.items() if k in known}},
        )
        org.record(
            OrganisationRegistered(
                organisation_id=organisation_id,
                account_id=account_id,
                name=org.name,
                profile=org.profile,
                registered_at=at,
            ),
            subject=organisation_id,
        )
        return org

    @property
    def size_band(self) -> SizeBand:
        """Return the INSEE size band of the headcount."""
        return size_band_for(self.headcount)

    @property
    def profile(self) -> OrganisationProfile:
        """Return the profile benchmarks and targets depend on."""
        return OrganisationProfile(
            sector=self.sector,
            size_band=self.size_band,
            region=self.region,
            organisation_type=self.organisation_type,
        )

    def update(self, changes: Mapping[str, Any], *, sectors: set[str], at: datetime) -> None:
        """Change some fields and announce the new profile."""
        check_fields(changes, sectors=sectors)
        for name, value in changes.items():
            if name in CHANGEABLE:
                setattr(self, name, value)
        self.updated_at = at
        self.record(
            OrganisationUpdated(
                organisation_id=self.organisation_id,
                account_id=self.account_id,
                name=self.name,
                profile=self.profile,
                updated_at=at,
            ),
            subject=self.organisation_id,
        )

    def erase(self, *, at: datetime) -> None:
        """Announce the erasure, so every service forgets the organisation."""
        self.record(
            OrganisationErased(
                organisation_id=self.organisation_id, account_id=self.account_id, erased_at=at
            ),
            subject=self.organisation_id,
        )
