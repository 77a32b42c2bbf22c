"""In-memory fakes of the assessment repositories and unit of work, for unit tests of use cases."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from services.assessment.domain.accounts import Account, ApiKey
from services.assessment.domain.answers import StoredAnswer
from services.assessment.domain.catalogue import Publication, PublishedVersion
from services.assessment.domain.diagnostics import Diagnostic, DiagnosticStatus, Respondent
from services.assessment.domain.organisations import Organisation
from services.assessment.domain.partners import Grant, Partner
from services.assessment.domain.probes import Probe, ProbeAnswer
from services.assessment.service_layer.unit_of_work import AssessmentUnitOfWork
from shared.aggregate import Aggregate
from shared.model.schema import version_key
from shared.unit_of_work import MemoryUnitOfWork

T = TypeVar("T")


def _copy(item: T) -> T:
    """Hand out copies, as a database does: a change is seen only once it is saved."""
    copied = copy.deepcopy(item)
    if isinstance(copied, Aggregate):
        # A database keeps the state, not the events still to be committed: they must not come back.
        copied.pull_events()
    return copied


class MemoryAccountRepository:
    """Accounts and keys in dictionaries."""

    def __init__(self) -> None:
        self.accounts: dict[str, Account] = {}
        self.api_keys: dict[str, ApiKey] = {}

    async def add(self, account: Account) -> None:
        """Store a new account."""
        self.accounts[account.account_id] = _copy(account)

    async def get(self, account_id: str) -> Account | None:
        """Return an account."""
        found = self.accounts.get(account_id)
        return _copy(found) if found else None

    async def save(self, account: Account) -> None:
        """Store an account's new plan."""
        self.accounts[account.account_id] = _copy(account)

    async def add_key(self, key: ApiKey) -> None:
        """Store a new API key."""
        self.api_keys[key.client_id] = _copy(key)

    async def key(self, client_id: str) -> ApiKey | None:
        """Return an API key by client id."""
        key = self.api_keys.get(client_id)
        return _copy(key) if key else None

    async def keys(self, account_id: str) -> list[ApiKey]:
        """List an account's keys, oldest first."""
        found = [k for k in self.api_keys.values() if k.account_id == account_id]
        return [_copy(k) for k in sorted(found, key=lambda k: k.created_at)]

    async def save_key(self, key: ApiKey) -> bool:
        """Store a key's revocation; False if it was revoked meanwhile."""
        stored = self.api_keys.get(key.client_id)
        if stored is None or not stored.active:
            return False
        self.api_keys[key.client_id] = _copy(key)
        return True


class MemoryPartnerRepository:
    """Partners and grants in dictionaries."""

    def __init__(self) -> None:
        self.partners: dict[str, Partner] = {}
        self.grants_by_id: dict[str, Grant] = {}

    async def add(self, partner: Partner) -> None:
        """Store a new partner."""
        self.partners[partner.partner_id] = _copy(partner)

    async def get(self, partner_id: str) -> Partner | None:
        """Return a partner."""
        found = self.partners.get(partner_id)
        return _copy(found) if found else None

    async def save(self, partner: Partner) -> None:
        """Store a partner's new name, kinds or status."""
        self.partners[partner.partner_id] = _copy(partner)

    async def listed(self, *, active_only: bool = False) -> list[Partner]:
        """List the partners by name."""
        found = [p for p in self.partners.values() if p.active or not active_only]
        return [_copy(p) for p in sorted(found, key=lambda p: (p.name, p.partner_id))]

    async def add_grant(self, grant: Grant) -> None:
        """Store a new grant."""
        self.grants_by_id[grant.grant_id] = _copy(grant)

    async def grant(self, organisation_id: str, grant_id: str) -> Grant | None:
        """Return one of an organisation's grants."""
        found = self.grants_by_id.get(grant_id)
        return _copy(found) if found and found.organisation_id == organisation_id else None

    async def grants(self, organisation_id: str) -> list[Grant]:
        """List an organisation's grants, the ended ones too, newest first."""
        found = [g for g in self.grants_by_id.values() if g.organisation_id == organisation_id]
        return [_copy(g) for g in sorted(found, key=lambda g: g.given_at, reverse=True)]

    async def save_grant(self, grant: Grant) -> bool:
        """Store a grant's end; False if it had ended meanwhile."""
        stored = self.grants_by_id.get(grant.grant_id)
        if stored is None or stored.end_reason is not None:
            return False
        self.grants_by_id[grant.grant_id] = _copy(grant)
        return True


class MemoryOrganisationRepository:
    """Organisations in a dictionary."""

    def __init__(self) -> None:
        self.items: dict[str, Organisation] = {}

    async def add(self, org: Organisation) -> None:
        """Store a new organisation."""
        self.items[org.organisation_id] = _copy(org)

    async def get(self, account_id: str, organisation_id: str) -> Organisation | None:
        """Return one of the account's organisations."""
        org = self.items.get(organisation_id)
        return _copy(org) if org and org.account_id == account_id else None

    async def save(self, org: Organisation) -> None:
        """Store an organisation's new state."""
        self.items[org.organisation_id] = _copy(org)

    async def page(self, account_id: str, *, after: str | None, limit: int) -> list[Organisation]:
        """Return up to `limit` organisations of the account after a cursor, in id order."""
        ids = sorted(
            i for i, o in self.items.items() if o.account_id == account_id and (after is None or i > after)
        )
        return [_copy(self.items[i]) for i in ids[:limit]]

    async def delete(self, account_id: str, organisation_id: str) -> bool:
        """Delete an organisation; False if the account has no such organisation."""
        org = self.items.get(organisation_id)
        if org is None or org.account_id != account_id:
            return False
        del self.items[organisation_id]
        return True


class MemoryDiagnosticRepository:
    """Diagnostics in a dictionary."""

    def __init__(self) -> None:
        self.items: dict[str, Diagnostic] = {}

    async def add(self, diagnostic: Diagnostic) -> None:
        """Store a new diagnostic."""
        self.items[diagnostic.diagnostic_id] = _copy(diagnostic)

    async def get(self, account_id: str, diagnostic_id: str) -> Diagnostic | None:
        """Return one of the account's diagnostics."""
        found = self.items.get(diagnostic_id)
        return _copy(found) if found and found.account_id == account_id else None

    async def respondents(self, account_id: str, diagnostic_id: str) -> tuple[Respondent, ...] | None:
        """Return the respondents of one of the account's diagnostics (None: no such diagnostic)."""
        found = self.items.get(diagnostic_id)
        return found.respondents if found and found.account_id == account_id else None

    async def for_organisation(self, account_id: str, organisation_id: str) -> list[Diagnostic]:
        """List an organisation's diagnostics, oldest first."""
        found = [
            d
            for d in self.items.values()
            if d.account_id == account_id and d.organisation_id == organisation_id
        ]
        return [_copy(d) for d in sorted(found, key=lambda d: d.opened_at)]

    async def save(self, diagnostic: Diagnostic, *, expected_status: DiagnosticStatus) -> bool:
        """Store a diagnostic's new state if its status is still the expected one."""
        stored = self.items.get(diagnostic.diagnostic_id)
        if stored is None or stored.status != expected_status:
            return False
        self.items[diagnostic.diagnostic_id] = _copy(diagnostic)
        return True

    async def erase_organisation(self, account_id: str, organisation_id: str) -> list[str]:
        """Delete every diagnostic of an organisation; return their ids."""
        ids = [
            i
            for i, d in self.items.items()
            if d.account_id == account_id and d.organisation_id == organisation_id
        ]
        for diagnostic_id in ids:
            del self.items[diagnostic_id]
        return ids

    async def mark_scored(self, diagnostic_id: str, *, at: datetime) -> bool:
        """Move a submitted diagnostic to scored; False if it is not (or no longer) submitted."""
        found = self.items.get(diagnostic_id)
        if found is None or found.status != "submitted":
            return False
        found.status, found.status_at, found.scoring_error = "scored", {**found.status_at, "scored": at}, None
        return True

    async def unscored_since(self, before: datetime, *, limit: int = 1000) -> list[str]:
        """Return diagnostics submitted before a moment and still waiting for scoring (not failed)."""
        waiting = [
            d.diagnostic_id
            for d in self.items.values()
            if d.status == "submitted" and d.scoring_error is None and d.status_at["submitted"] < before
        ]
        return waiting[:limit]

    async def note_scoring_failure(self, diagnostic_id: str, reason: str) -> bool:
        """Record why scoring failed; False if already noted or not submitted."""
        found = self.items.get(diagnostic_id)
        if found is None or found.status != "submitted" or found.scoring_error == reason:
            return False
        found.scoring_error = reason
        return True


class MemoryAnswerRepository:
    """Answers in a dictionary keyed by diagnostic, respondent and indicator."""

    def __init__(self, diagnostics: MemoryDiagnosticRepository) -> None:
        self.items: dict[tuple[str, str, str], StoredAnswer] = {}
        self.writes = 0
        self._diagnostics = diagnostics

    async def record(
        self,
        diagnostic_id: str,
        *,
        account_id: str,
        respondent_id: str,
        answers: Sequence[StoredAnswer],
        at: datetime,
    ) -> bool:
        """Store a respondent's answers if the diagnostic is a draft of that account and they are active."""
        self.writes += 1
        found = self._diagnostics.items.get(diagnostic_id)
        if (
            found is None
            or found.account_id != account_id
            or found.status != "draft"
            or found.respondent(respondent_id) is None
        ):
            return False
        for answer in answers:
            self.items[(diagnostic_id, respondent_id, answer.answer.indicator)] = answer
        found.answered_at = at
        return True

    async def of(self, diagnostic_id: str) -> list[StoredAnswer]:
        """Return every answer of a diagnostic, by indicator then respondent."""
        found = [a for key, a in self.items.items() if key[0] == diagnostic_id]
        return sorted(found, key=lambda a: (a.answer.indicator, a.answer.respondent_id))

    async def erase(self, diagnostic_ids: Sequence[str]) -> None:
        """Delete the answers of these diagnostics."""
        for key in [k for k in self.items if k[0] in set(diagnostic_ids)]:
            del self.items[key]


class MemoryModelVersionRepository:
    """Published versions in a dictionary."""

    def __init__(self) -> None:
        self.items: dict[str, Publication] = {}

    async def add(self, publication: Publication) -> bool:
        """Store a new version; False if it is already there."""
        if publication.model.ref in self.items:
            return False
        self.items[publication.model.ref] = publication
        return True

    async def summary(self, model_id: str, version: str) -> PublishedVersion | None:
        """Return a version's metadata."""
        found = self.items.get(f"{model_id}@{version}")
        return found.version if found else None

    async def document(self, model_id: str, version: str) -> dict[str, Any] | None:
        """Return a version's full document."""
        found = self.items.get(f"{model_id}@{version}")
        return found.model.model_dump(mode="json") if found else None

    async def versions(self, model_id: str | None = None) -> list[PublishedVersion]:
        """List versions (of one model or all), by model then version."""
        found = [p.version for p in self.items.values() if model_id is None or p.model.model_id == model_id]
        return sorted(found, key=lambda v: (v.model_id, version_key(v.version)))


class MemoryProbeRepository:
    """Probes in a dictionary."""

    def __init__(self) -> None:
        self.items: dict[str, Probe] = {}

    async def add_many(self, probes: Sequence[Probe]) -> None:
        """Store new probes."""
        for probe in probes:
            self.items[probe.probe_id] = Probe(probe.probe_id, probe.requested_at, probe.expected)

    async def get(self, probe_id: str) -> Probe | None:
        """Return a probe, or None."""
        return _copy(self.items.get(probe_id))

    async def record_answer(
        self, probe_id: str, *, service: str, answered_at: datetime, received_at: datetime
    ) -> Probe | None:
        """Count a service's answer; None for an unknown probe."""
        probe = self.items.get(probe_id)
        if probe is None:
            return None
        before = probe.answers.get(service)
        deliveries = before.deliveries + 1 if before else 1
        probe.answers[service] = ProbeAnswer(service, received_at, answered_at, deliveries)
        return _copy(probe)


@dataclass(frozen=True)
class MemoryRemembered:
    """A remembered request."""

    request_hash: str
    status: int | None
    body: Any


class MemoryIdempotencyRepository:
    """Idempotency keys in a dictionary."""

    def __init__(self) -> None:
        self.items: dict[str, MemoryRemembered] = {}

    async def claim(
        self, scope: str, key: str, request_hash: str, *, at: datetime
    ) -> MemoryRemembered | None:
        """Claim a key; return what is remembered if it was claimed before."""
        found = self.items.get(f"{scope}:{key}")
        if found is None:
            self.items[f"{scope}:{key}"] = MemoryRemembered(request_hash, None, None)
        return found

    async def complete(self, scope: str, key: str, *, status: int, body: Any) -> None:
        """Remember the response of a claimed key."""
        found = self.items[f"{scope}:{key}"]
        self.items[f"{scope}:{key}"] = MemoryRemembered(found.request_hash, status, body)

    async def release(self, scope: str, key: str) -> None:
        """Forget a claim whose request failed."""
        if (found := self.items.get(f"{scope}:{key}")) is not None and found.status is None:
            del self.items[f"{scope}:{key}"]


class MemorySubmissionResender:
    """Records which diagnostics' submitted events were sent again."""

    def __init__(self) -> None:
        self.sent: list[tuple[list[str], datetime]] = []

    async def resend(self, diagnostic_ids: list[str], *, published_before: datetime) -> int:
        """Record the request; every diagnostic counts as sent again."""
        self.sent.append((sorted(diagnostic_ids), published_before))
        return len(diagnostic_ids)


class MemoryAssessmentUnitOfWork(MemoryUnitOfWork, AssessmentUnitOfWork):
    """The assessment repositories in memory; committed events are kept in `events`."""

    def __init__(self) -> None:
        super().__init__()
        self.accounts = MemoryAccountRepository()
        self.organisations = MemoryOrganisationRepository()
        self.partners = MemoryPartnerRepository()
        self.diagnostics = MemoryDiagnosticRepository()
        self.answers = MemoryAnswerRepository(self.diagnostics)
        self.models = MemoryModelVersionRepository()
        self.probes = MemoryProbeRepository()
        self.idempotency = MemoryIdempotencyRepository()
        self.submissions = MemorySubmissionResender()
