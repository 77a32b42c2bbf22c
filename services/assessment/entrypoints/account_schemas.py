"""HTTP bodies of accounts, API keys, tokens and organisations (never reused as events)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.assessment.domain.accounts import Account, ApiKey, Plan
from services.assessment.domain.organisations import Organisation
from shared.model.vocabulary import OrganisationType

Name = Annotated[str, Field(min_length=1, max_length=200)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AccountCreate(_Body):
    """A new tenant."""

    name: Name
    plan: Plan = "free"


class AccountPatch(_Body):
    """The plan to move an account to."""

    plan: Plan


class AccountView(BaseModel):
    """A tenant."""

    account_id: str
    name: str
    plan: str
    created_at: datetime

    @classmethod
    def of(cls, account: Account) -> AccountView:
        """Present an account."""
        return cls(
            account_id=account.account_id, name=account.name, plan=account.plan, created_at=account.created_at
        )


class ApiKeyCreate(_Body):
    """New client credentials; when no scope is named, every scope the creator holds."""

    name: Name
    scopes: list[str] | None = Field(None, max_length=20)


class ApiKeyView(BaseModel):
    """An API key, without its secret."""

    client_id: str
    name: str
    scopes: list[str]
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, key: ApiKey) -> ApiKeyView:
        """Present a key."""
        return cls(
            client_id=key.client_id,
            name=key.name,
            scopes=list(key.scopes),
            created_at=key.created_at,
            revoked_at=key.revoked_at,
        )


class IssuedKeyView(ApiKeyView):
    """A new API key with its secret: store it now, it is never shown again."""

    client_secret: str


class ApiKeyList(BaseModel):
    """An account's API keys."""

    keys: list[ApiKeyView]


class TokenView(BaseModel):
    """An OAuth2 access token."""

    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int
    scope: str


class OrganisationCreate(_Body):
    """A new organisation."""

    name: Name
    sector: str = Field(
        max_length=64, description="A sector code of the model (see the catalogue).", examples=["commerce"]
    )
    headcount: int = Field(ge=0, le=10_000_000, description="Staff; gives the INSEE size band.")
    region: str = Field(
        max_length=64, description="A French region code, or hors-france.", examples=["bretagne"]
    )
    organisation_type: OrganisationType
    siren: str | None = Field(None, pattern=r"^[0-9]{9}$", examples=["732829320"])


class OrganisationPatch(_Body):
    """Fields to change."""

    name: Name | None = None
    sector: str | None = Field(None, max_length=64)
    headcount: int | None = Field(None, ge=0, le=10_000_000)
    region: str | None = Field(None, max_length=64)
    organisation_type: OrganisationType | None = None
    siren: str | None = Field(None, pattern=r"^[0-9]{9}$")


class OrganisationView(BaseModel):
    """An organisation."""

    organisation_id: str
    name: str
    sector: str
    headcount: int
    size_band: str
    region: str
    organisation_type: str
    siren: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, org: Organisation) -> OrganisationView:
        """Present an organisation."""
        fields = {k: v for k, v in org.__dict__.items() if k != "account_id"}
        return cls(size_band=org.size_band, **fields)


class OrganisationPage(BaseModel):
    """A page of organisations; pass `next_cursor` to get the next one."""

    items: list[OrganisationView]
    next_cursor: str | None
