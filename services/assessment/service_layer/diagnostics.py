"""Use cases of diagnostics: open, invite, answer, validate, submit, withdraw."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession

from services.assessment.adapters.diagnostics import DiagnosticRepository
from services.assessment.adapters.models import ModelVersionRepository
from services.assessment.domain.diagnostic import Answer, DiagnosticRuleError, applicable_indicators
from services.assessment.domain.records import (
    DiagnosticRecord,
    Evidence,
    MissingIndicators,
    Respondent,
    StoredAnswer,
    Validation,
)
from services.assessment.service_layer import catalogue
from services.assessment.service_layer.organisations import Storage, get, profile_of
from shared.auth import RESPONDENT_SCOPE, Principal, TokenIssuer
from shared.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from shared.events.contracts.assessment import DiagnosticSubmitted, DiagnosticWithdrawn, Divergence
from shared.model.schema import Indicator, MaturityModel
from shared.mongo import in_transaction, utc_now

MAX_BACKDATING = timedelta(days=3653)


@dataclass(frozen=True)
class Catalogue:
    """Where the model versions come from."""

    models: ModelVersionRepository
    cache: catalogue.ModelCache


@dataclass(frozen=True)
class AnswerInput:
    """What a respondent says about one indicator."""

    level: int | None
    criteria_met: list[str] | None
    not_applicable: bool
    comment: str
    evidence: list[Evidence]


async def open_diagnostic(
    principal: Principal,
    organisation_id: str,
    *,
    model_id: str,
    version: str,
    scope: str,
    storage: Storage,
    models: Catalogue,
) -> DiagnosticRecord:
    """Open a draft on a model version, freezing the indicators that apply to the organisation."""
    principal.require("diagnostics:write")
    org = await get(principal.account_id, organisation_id, organisations=storage.organisations)
    try:
        _, model = await catalogue.get_model(model_id, version, repo=models.models, cache=models.cache)
    except NotFound as exc:
        raise InvalidInput(
            exc.detail, errors=[{"path": "model_version", "message": "unknown model version"}]
        ) from exc
    profile = None
    if scope != "full":
        found = model.profile(scope)
        if found is None:
            raise InvalidInput(
                f"No profile {scope!r} in {model.ref}.",
                errors=[{"path": "scope", "message": "unknown profile"}],
            )
        profile = found.indicators
    indicators = applicable_indicators(
        model, size_band=org.size_band, organisation_type=org.organisation_type, profile=profile
    )
    if not indicators:
        raise InvalidInput("No indicator of this scope applies to the organisation.")
    record = DiagnosticRecord(
        diagnostic_id="dg_" + uuid.uuid4().hex[:16],
        account_id=principal.account_id,
        organisation_id=org.organisation_id,
        model_id=model.model_id,
        model_version=model.version,
        scope=scope,
        profile=profile_of(org).model_dump(),
        indicators=tuple(indicators),
        status="draft",
        opened_at=utc_now(),
    )
    await storage.diagnostics.add(record)
    return record


async def load(
    principal: Principal, diagnostic_id: str, *, diagnostics: DiagnosticRepository
) -> DiagnosticRecord:
    """Return a diagnostic the caller may see: its account's, or the one a respondent was invited to."""
    if principal.is_respondent and principal.diagnostic_id != diagnostic_id:
        raise NotFound(f"No diagnostic {diagnostic_id!r}.")
    if not principal.is_respondent:
        principal.require("diagnostics:read")
    record = await diagnostics.get(principal.account_id, diagnostic_id)
    if record is None:
        raise NotFound(f"No diagnostic {diagnostic_id!r}.")
    if principal.respondent_id is not None and record.respondent(principal.respondent_id) is None:
        raise Unauthorized("This respondent's access has been revoked.")
    return record


def _owner(principal: Principal) -> None:
    if principal.is_respondent:
        raise Forbidden("Only the diagnostic's owner may do this.")
    principal.require("diagnostics:write")


async def invite(
    principal: Principal,
    diagnostic_id: str,
    *,
    name: str,
    role: str,
    storage: Storage,
    issuer: TokenIssuer,
    ttl: timedelta,
) -> tuple[Respondent, str]:
    """Invite a respondent; the token returned lets them answer this diagnostic only."""
    _owner(principal)
    record = await load(principal, diagnostic_id, diagnostics=storage.diagnostics)
    respondent = Respondent("rsp_" + uuid.uuid4().hex[:12], name, role, utc_now())
    _ruled(lambda: record.invite(respondent))
    if not await storage.diagnostics.add_respondent(record, respondent):
        raise Conflict("The diagnostic is no longer a draft.")
    token = issuer.issue(
        Principal(
            principal.account_id,
            frozenset({RESPONDENT_SCOPE}),
            principal.plan,
            uuid.uuid4().hex,
            diagnostic_id=diagnostic_id,
            respondent_id=respondent.respondent_id,
        ),
        ttl=ttl,
    )
    return respondent, token


async def revoke_respondent(
    principal: Principal, diagnostic_id: str, respondent_id: str, *, storage: Storage
) -> None:
    """Withdraw a respondent's access (their answers stay)."""
    _owner(principal)
    record = await load(principal, diagnostic_id, diagnostics=storage.diagnostics)
    if not await storage.diagnostics.revoke_respondent(record, respondent_id, at=utc_now()):
        raise NotFound(f"No active respondent {respondent_id!r}.")


def _ruled(change: Any) -> DiagnosticRecord:
    try:
        result: DiagnosticRecord = change()
    except DiagnosticRuleError as exc:
        raise Conflict(str(exc)) from exc
    return result


async def _model(record: DiagnosticRecord, models: Catalogue) -> MaturityModel:
    _, model = await catalogue.get_model(
        record.model_id, record.model_version, repo=models.models, cache=models.cache
    )
    return model


def _level_of(indicator: Indicator, given: AnswerInput) -> int | None:
    chosen = sum(
        x is not None and x is not False
        for x in (given.level, given.criteria_met, given.not_applicable or None)
    )
    if chosen != 1:
        raise InvalidInput("Give exactly one of: level, criteria_met, not_applicable.")
    if given.not_applicable:
        if not indicator.allows_na:
            raise InvalidInput(
                f"{indicator.code} cannot be declared not applicable.",
                errors=[{"path": "not_applicable", "message": "not allowed for this indicator"}],
            )
        return None
    if given.criteria_met is not None:
        unknown = sorted(set(given.criteria_met) - indicator.criterion_ids)
        if unknown:
            raise InvalidInput(
                f"Unknown criteria for {indicator.code}: {', '.join(unknown)}.",
                errors=[{"path": "criteria_met", "message": f"unknown: {unknown}"}],
            )
        return indicator.level_from_criteria(set(given.criteria_met))
    return given.level


async def put_answer(
    principal: Principal,
    diagnostic_id: str,
    respondent_id: str,
    code: str,
    given: AnswerInput,
    *,
    storage: Storage,
    models: Catalogue,
) -> StoredAnswer:
    """Record a respondent's answer on an indicator (idempotent), deriving the level from criteria met."""
    if principal.is_respondent and principal.respondent_id != respondent_id:
        raise Forbidden("A respondent may only give their own answers.")
    if not principal.is_respondent:
        principal.require("diagnostics:write")
    record = await load(principal, diagnostic_id, diagnostics=storage.diagnostics)
    if record.respondent(respondent_id) is None:
        raise NotFound(f"No active respondent {respondent_id!r}.")
    if code not in {i.code for i in record.indicators}:
        raise NotFound(f"{code} is not in this diagnostic's scope.")
    if record.status != "draft":
        raise Conflict(f"The diagnostic is {record.status}: answers can no longer change.")
    indicator = (await _model(record, models)).indicator(code)
    assert indicator is not None
    level = _level_of(indicator, given)
    bad = [
        e.criterion_id
        for e in given.evidence
        if e.criterion_id and e.criterion_id not in indicator.criterion_ids
    ]
    if bad:
        raise InvalidInput(
            "Evidence names unknown criteria.", errors=[{"path": "evidence", "message": f"unknown: {bad}"}]
        )
    answer = Answer(
        respondent_id, code, level, given.not_applicable, tuple(given.criteria_met or ()), given.comment
    )
    stored = StoredAnswer(diagnostic_id, record.account_id, answer, tuple(given.evidence), utc_now())
    await storage.diagnostics.put_answer(stored)
    return stored


async def validate_level(
    principal: Principal,
    diagnostic_id: str,
    code: str,
    *,
    level: int | None,
    not_applicable: bool,
    comment: str,
    storage: Storage,
) -> DiagnosticRecord:
    """Set the validated level of an indicator (owner or expert); it wins over respondents."""
    _owner(principal)
    if (level is None) != not_applicable:
        raise InvalidInput("Give either a level or not_applicable.")
    record = await load(principal, diagnostic_id, diagnostics=storage.diagnostics)
    if code not in {i.code for i in record.indicators}:
        raise NotFound(f"{code} is not in this diagnostic's scope.")
    validation = Validation(level, not_applicable, comment, utc_now())
    try:
        changed = record.validate(code, validation)
    except DiagnosticRuleError as exc:
        raise (Conflict if record.status != "draft" else InvalidInput)(str(exc)) from exc
    if not await storage.diagnostics.set_validation(record, code, validation):
        raise Conflict("The diagnostic is no longer a draft.")
    return changed


async def submit(
    principal: Principal, diagnostic_id: str, *, storage: Storage, assessed_at: datetime | None = None
) -> DiagnosticRecord:
    """Submit: every applicable indicator consolidated or N/A, status and event in one transaction."""
    _owner(principal)
    if assessed_at is not None and not utc_now() - MAX_BACKDATING <= assessed_at <= utc_now():
        raise InvalidInput(
            "assessed_on must be a past date, at most ten years ago.",
            errors=[{"path": "assessed_on", "message": "out of range"}],
        )
    record = await load(principal, diagnostic_id, diagnostics=storage.diagnostics)
    answers = [s.answer for s in await storage.diagnostics.answers(diagnostic_id)]
    try:
        submitted, consolidated = record.submit(answers, at=utc_now(), assessed_at=assessed_at)
    except MissingIndicators as exc:
        raise Conflict(
            f"{len(exc.missing)} indicator(s) still need a level or an N/A.",
            errors=[{"indicator": code, "message": "missing"} for code in exc.missing],
        ) from exc
    except DiagnosticRuleError as exc:
        raise Conflict(str(exc)) from exc
    event = DiagnosticSubmitted(
        diagnostic_id=record.diagnostic_id,
        organisation_id=record.organisation_id,
        account_id=record.account_id,
        profile=record.profile,
        model_id=record.model_id,
        model_version=record.model_version,
        scope=record.scope,
        levels={c: v.level for c, v in consolidated.items() if v.level is not None},
        not_applicable=sorted(c for c, v in consolidated.items() if v.not_applicable),
        divergences=[
            Divergence(indicator=c, levels=sorted(v.levels), spread=v.spread)
            for c, v in consolidated.items()
            if v.divergent
        ],
        submitted_at=submitted.status_at["submitted"],
        assessed_at=submitted.status_at.get("assessed"),
    )

    async def work(session: AsyncClientSession) -> bool:
        if not await storage.diagnostics.move(submitted, expected_status="draft", session=session):
            return False
        await storage.outbox.add(event, subject=record.organisation_id, session=session)
        return True

    if not await in_transaction(storage.client, work):
        raise Conflict("The diagnostic changed meanwhile; read it again.")
    storage.on_commit()
    return submitted


async def withdraw(principal: Principal, diagnostic_id: str, *, storage: Storage) -> DiagnosticRecord:
    """Withdraw a diagnostic and announce it."""
    _owner(principal)
    record = await load(principal, diagnostic_id, diagnostics=storage.diagnostics)
    withdrawn = _ruled(lambda: record.withdraw(at=utc_now()))
    event = DiagnosticWithdrawn(
        diagnostic_id=record.diagnostic_id,
        organisation_id=record.organisation_id,
        account_id=record.account_id,
        withdrawn_at=withdrawn.status_at["withdrawn"],
    )

    async def work(session: AsyncClientSession) -> bool:
        if not await storage.diagnostics.move(withdrawn, expected_status=record.status, session=session):
            return False
        await storage.outbox.add(event, subject=record.organisation_id, session=session)
        return True

    if not await in_transaction(storage.client, work):
        raise Conflict("The diagnostic changed meanwhile; read it again.")
    storage.on_commit()
    return withdrawn
