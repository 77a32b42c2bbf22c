"""Organisations assessed on the platform, owned by the account that manages them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from shared.model.vocabulary import OrganisationType, SizeBand, size_band_for


def siren_is_valid(siren: str) -> bool:
    """Check a SIREN: nine digits whose Luhn checksum is right."""
    if len(siren) != 9 or not siren.isdigit():
        return False
    total = 0
    for index, char in enumerate(reversed(siren)):
        digit = int(char) * (2 if index % 2 else 1)
        total += digit - 9 if digit > 9 else digit
    return total % 10 == 0


@dataclass(frozen=True)
class Organisation:
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

    @property
    def size_band(self) -> SizeBand:
        """Return the INSEE size band of the headcount."""
        return size_band_for(self.headcount)

    def updated(self, *, at: datetime, **changes: object) -> Organisation:
        """Return the organisation with some fields changed."""
        return replace(self, updated_at=at, **changes)  # type: ignore[arg-type]
