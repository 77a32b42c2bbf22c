"""What the assessment use cases need from storage: repository protocols, and the unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from services.assessment.domain.accounts import Account, ApiKey
from services.assessment.domain.answers import StoredAnswer
from services.assessment.domain.catalogue import Publication, PublishedVersion
from services.assessment.domain.diagnostics import Diagnostic, DiagnosticStatus, Respondent
from services.assessment.domain.organisations import Organisation
from services.assessment.domain.partners import Grant, Partner
from services.assessment.domain.probes import Probe


class AccountRepository(Protocol):
    """Accounts and their API keys."""

    async def add(self, account: Account) -> None:
        """Store a new account."""

    async def get(self, account_id: str) -> Account | None:
        """Return an account."""

    async def save(self, account: Account) -> None:
        """Store an account's new plan."""

    async def add_key(self, key: ApiKey) -> None:
        """Store a new API key."""

    async def key(self, client_id: str) -> ApiKey | None:
        """Return an API key by client id."""

    async def keys(self, account_id: str) -> list[ApiKey]:
        """List an account's keys, oldest first."""

    async def save_key(self, key: ApiKey) -> bool:
        """Store a key's revocation; False if it was revoked meanwhile."""


class PartnerRepository(Protocol):
    """Partners, and the grants organisations give them."""

    async def add(self, partner: Partner) -> None:
        """Store a new partner."""

    async def get(self, partner_id: str) -> Partner | None:
        """Return a partner."""

    async def save(self, partner: Partner) -> None:
        """Store a partner's new name, kinds or status."""

    async def listed(self, *, active_only: bool = False) -> list[Partner]:
        """List the partners by name."""

    async def add_grant(self, grant: Grant) -> None:
        """Store a new grant."""

    async def grant(self, organisation_id: str, grant_id: str) -> Grant | None:
        """Return one of an organisation's grants."""

    async def grants(self, organisation_id: str) -> list[Grant]:
        """List an organisation's grants, the ended ones too, newest first."""

    async def save_grant(self, grant: Grant) -> bool:
        """Store a grant's end; False if it had ended meanwhile."""


class OrganisationRepository(Protocol):
    """Organisations, always read within their account."""

    async def add(self, org: Organisation) -> None:
        """Store a new organisation."""

    async def get(self, account_id: str, organisation_id: str) -> Organisation | None:
        """Return one of the account's organisations."""

    async def save(self, org: Organisation) -> None:
        """Store an organisation's new state."""

    async def page(self, account_id: str, *, after: str | None, limit: int) -> list[Organisation]:
        """Return up to `limit` organisations of the account after a cursor, in id order."""

    async def delete(self, account_id: str, organisation_id: str) -> bool:
        """Delete an organisation; False if the account has no such organisation."""


class DiagnosticRepository(Protocol):
    """Diagnostics, always read within their account."""

    async def add(self, diagnostic: Diagnostic) -> None:
        """Store a new diagnostic."""

    async def get(self, account_id: str, diagnostic_id: str) -> Diagnostic | None:
        """Return one of the account's diagnostics."""

    async def for_organisation(self, account_id: str, organisation_id: str) -> list[Diagnostic]:
        """List an organisation's diagnostics, oldest first."""

    async def respondents(self, account_id: str, diagnostic_id: str) -> tuple[Respondent, ...] | None:
        """Return the respondents of one of the account's diagnostics (None: no such diagnostic)."""

    async def save(self, diagnostic: Diagnostic, *, expected_status: DiagnosticStatus) -> bool:
        """Store a diagnostic's new state if its status is still the expected one."""

    async def erase_organisation(self, account_id: str, organisation_id: str) -> list[str]:
        """Delete every diagnostic of an organisation; return their ids."""

    async def mark_scored(self, diagnostic_id: str, *, at: datetime) -> bool:
        """Move a submitted diagnostic to scored; False if it is not (or no longer) submitted."""

    async def note_scoring_failure(self, diagnostic_id: str, reason: str) -> bool:
        """Record why scoring failed, for the owner to see; False if already noted or not submitted."""

    async def unscored_since(self, before: datetime, *, limit: int = 1000) -> list[str]:
        """Return diagnostics submitted before a moment and still waiting for scoring (not failed)."""


class SubmissionResender(Protocol):
    """Sends a diagnostic's submitted event again, as it was (the outbox keeps published events)."""

    async def resend(self, diagnostic_ids: list[str], *, published_before: datetime) -> int:
        """Publish again the submitted events of these diagnostics sent before a moment; return how many."""


class AnswerRepository(Protocol):
    """Respondents' answers, one per respondent and indicator."""

    async def record(
        self,
        diagnostic_id: str,
        *,
        account_id: str,
        respondent_id: str,
        answers: Sequence[StoredAnswer],
        at: datetime,
    ) -> bool:
        """Store a respondent's answers (replacing theirs on those indicators) in one conditional write.

        Only while the diagnostic is a draft of that account and the respondent is active; False, with
        nothing stored, otherwise.
        """

    async def of(self, diagnostic_id: str) -> list[StoredAnswer]:
        """Return every answer of a diagnostic, by indicator then respondent."""

    async def erase(self, diagnostic_ids: Sequence[str]) -> None:
        """Delete the answers of these diagnostics."""


class ModelVersionRepository(Protocol):
    """Published model versions; each is stored once, with its document."""

    async def add(self, publication: Publication) -> bool:
        """Store a new version; False if `model_id@version` is already there."""

    async def summary(self, model_id: str, version: str) -> PublishedVersion | None:
        """Return a version's metadata, without its document."""

    async def document(self, model_id: str, version: str) -> dict[str, Any] | None:
        """Return a version's full document."""

    async def versions(self, model_id: str | None = None) -> list[PublishedVersion]:
        """List versions (of one model or all), by model then version."""


class ProbeRepository(Protocol):
    """Synthetic probes and the answers they receive."""

    async def add_many(self, probes: Sequence[Probe]) -> None:
        """Store new probes."""

    async def get(self, probe_id: str) -> Probe | None:
        """Return a probe, or None."""

    async def record_answer(
        self, probe_id: str, *, service: str, answered_at: datetime, received_at: datetime
    ) -> Probe | None:
        """Count a service's answer (twice would show as deliveries > 1); None for an unknown probe."""


class Remembered(Protocol):
    """A request seen before under the same Idempotency-Key: still running, or its response."""

    @property
    def request_hash(self) -> str: ...
    @property
    def status(self) -> int | None: ...
    @property
    def body(self) -> Any: ...


class IdempotencyRepository(Protocol):
    """Responses remembered per Idempotency-Key."""

    async def claim(self, scope: str, key: str, request_hash: str, *, at: datetime) -> Remembered | None:
        """Claim a key for a new request; return what is remembered if it was claimed before."""

    async def complete(self, scope: str, key: str, *, status: int, body: Any) -> None:
        """Remember the response of a claimed key."""

    async def release(self, scope: str, key: str) -> None:
        """Forget a claim whose request failed, so it may be retried."""
