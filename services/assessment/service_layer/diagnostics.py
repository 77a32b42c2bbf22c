"""Use cases of diagnostics: open, invite, answer, validate, submit, withdraw, read."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from services.assessment.domain.answers import Given, StoredAnswer
from services.assessment.domain.diagnostics import Diagnostic, DiagnosticStatus, Respondent
from services.assessment.service_layer import catalogue
from services.assessment.service_layer.catalogue import ModelCache
from services.assessment.service_layer.organisations import get as get_organisation
from services.assessment.service_layer.unit_of_work import AssessmentUnitOfWork
from shared.auth import RESPONDENT_SCOPE, Principal, TokenIssuer
from shared.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from shared.model.schema import Indicator
from shared.mongo import utc_now
from shared.unit_of_work import transactional


async def open_diagnostic(
    principal: Principal,
    organisation_id: str,
    *,
    model_id: str,
    version: str,
    scope: str,
    uow: AssessmentUnitOfWork,
    models: ModelCache,
) -> Diagnostic:
    """Open a draft on a model version, freezing the indicators that apply to the organisation."""
    principal.require("diagnostics:write")
    org = await get_organisation(principal.account_id, organisation_id, uow=uow)
    try:
        _, model = await catalogue.get_model(model_id, version, uow=uow, cache=models)
    except NotFound as exc:
        raise InvalidInput(
            exc.detail, errors=[{"path": "model_version", "message": "unknown model version"}]
        ) from exc
    diagnostic = Diagnostic.open("dg_" + uuid.uuid4().hex[:16], org, model, scope=scope, at=utc_now())
    await uow.diagnostics.add(diagnostic)
    return diagnostic


def may_see(principal: Principal, diagnostic_id: str) -> None:
    """Refuse a respondent another diagnostic than theirs, and a token without diagnostics:read."""
    if principal.is_respondent and principal.diagnostic_id != diagnostic_id:
        raise NotFound(f"No diagnostic {diagnostic_id!r}.")
    if not principal.is_respondent:
        principal.require("diagnostics:read")


async def load(principal: Principal, diagnostic_id: str, *, uow: AssessmentUnitOfWork) -> Diagnostic:
    """Return a diagnostic the caller may see: its account's, or the one a respondent was invited to."""
    may_see(principal, diagnostic_id)
    diagnostic = await uow.diagnostics.get(principal.account_id, diagnostic_id)
    if diagnostic is None:
        raise NotFound(f"No diagnostic {diagnostic_id!r}.")
    if principal.respondent_id is not None and diagnostic.respondent(principal.respondent_id) is None:
        raise Unauthorized("This respondent's access has been revoked.")
    return diagnostic


async def with_answers(
    principal: Principal, diagnostic_id: str, *, uow: AssessmentUnitOfWork
) -> tuple[Diagnostic, list[StoredAnswer]]:
    """Return a diagnostic the caller may see, with every answer given so far."""
    diagnostic = await load(principal, diagnostic_id, uow=uow)
    return diagnostic, await uow.answers.of(diagnostic_id)


async def answers_seen_by(
    principal: Principal, diagnostic_id: str, *, uow: AssessmentUnitOfWork
) -> list[StoredAnswer]:
    """List the answers the caller may read (a respondent sees their own)."""
    _, answers = await with_answers(principal, diagnostic_id, uow=uow)
    if principal.respondent_id is not None:
        answers = [a for a in answers if a.answer.respondent_id == principal.respondent_id]
    return answers


async def export_of(
    principal: Principal, diagnostic_id: str, *, uow: AssessmentUnitOfWork
) -> tuple[Diagnostic, list[StoredAnswer]]:
    """Return what an export holds: everything for the owner, only their own work for a respondent.

    A respondent's export names no other respondent and carries none of their answers, comments or
    evidence; its consolidation is taken from their own answers (and the validated levels).
    """
    diagnostic, answers = await with_answers(principal, diagnostic_id, uow=uow)
    if principal.respondent_id is None:
        return diagnostic, answers
    own = [a for a in answers if a.answer.respondent_id == principal.respondent_id]
    return diagnostic.seen_by(principal.respondent_id), own


def _owner(principal: Principal) -> None:
    if principal.is_respondent:
        raise Forbidden("Only the diagnostic's owner may do this.")
    principal.require("diagnostics:write")


async def _save(
    diagnostic: Diagnostic, uow: AssessmentUnitOfWork, *, expected: DiagnosticStatus = "draft"
) -> None:
    if not await uow.diagnostics.save(diagnostic, expected_status=expected):
        raise Conflict("The diagnostic changed meanwhile; read it again.")


@transactional
async def invite(
    principal: Principal,
    diagnostic_id: str,
    *,
    name: str,
    role: str,
    uow: AssessmentUnitOfWork,
    issuer: TokenIssuer,
    ttl: timedelta,
) -> tuple[Respondent, str]:
    """Invite a respondent; the token returned lets them answer this diagnostic only."""
    _owner(principal)
    respondent = Respondent("rsp_" + uuid.uuid4().hex[:12], name, role, utc_now())
    async with uow:
        diagnostic = await load(principal, diagnostic_id, uow=uow)
        diagnostic.invite(respondent)
        await _save(diagnostic, uow)
        await uow.commit()
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


@transactional
async def revoke_respondent(
    principal: Principal, diagnostic_id: str, respondent_id: str, *, uow: AssessmentUnitOfWork
) -> None:
    """Withdraw a respondent's access (their answers stay) and tell the other services."""
    _owner(principal)
    async with uow:
        diagnostic = await load(principal, diagnostic_id, uow=uow)
        status = diagnostic.status
        diagnostic.revoke_respondent(respondent_id, at=utc_now())
        await _save(diagnostic, uow, expected=status)
        uow.collect(diagnostic)
        await uow.commit()


async def respondent_is_revoked(principal: Principal, *, uow: AssessmentUnitOfWork) -> bool:
    """Tell whether the respondent behind a respondent token was revoked from its diagnostic."""
    if principal.respondent_id is None or principal.diagnostic_id is None:
        return False
    respondents = await uow.diagnostics.respondents(principal.account_id, principal.diagnostic_id)
    # A diagnostic gone (erased) answers 404 where it is read; only a revocation is a 401.
    return respondents is not None and not any(
        r.respondent_id == principal.respondent_id and r.revoked_at is None for r in respondents
    )


async def _indicator(
    diagnostic: Diagnostic, code: str, uow: AssessmentUnitOfWork, models: ModelCache
) -> Indicator:
    diagnostic.scoped(code)
    _, model = await catalogue.get_model(diagnostic.model_id, diagnostic.model_version, uow=uow, cache=models)
    indicator = model.indicator(code)
    if indicator is None:
        raise NotFound(f"{code} is not in {model.ref}.")
    return indicator


@transactional
async def validate_level(
    principal: Principal,
    diagnostic_id: str,
    code: str,
    given: Given,
    *,
    uow: AssessmentUnitOfWork,
    models: ModelCache,
) -> Diagnostic:
    """Set the validated level of an indicator (owner or expert); it wins over respondents."""
    _owner(principal)
    async with uow:
        diagnostic = await load(principal, diagnostic_id, uow=uow)
        diagnostic.validate(await _indicator(diagnostic, code, uow, models), given, at=utc_now())
        await _save(diagnostic, uow)
        await uow.commit()
    return diagnostic


@transactional
async def submit(
    principal: Principal,
    diagnostic_id: str,
    *,
    uow: AssessmentUnitOfWork,
    assessed_at: datetime | None = None,
) -> Diagnostic:
    """Submit: every applicable indicator consolidated or N/A, status and event in one transaction."""
    _owner(principal)
    async with uow:
        diagnostic = await load(principal, diagnostic_id, uow=uow)
        # Read inside the transaction: the event carries exactly the answers the status change saw.
        answers = [s.answer for s in await uow.answers.of(diagnostic_id)]
        organisation = await uow.organisations.get(principal.account_id, diagnostic.organisation_id)
        name = organisation.name if organisation is not None else None
        diagnostic.submit(answers, at=utc_now(), assessed_at=assessed_at, organisation_name=name)
        await _save(diagnostic, uow)
        uow.collect(diagnostic)
        await uow.commit()
    return diagnostic


@transactional
async def withdraw(principal: Principal, diagnostic_id: str, *, uow: AssessmentUnitOfWork) -> Diagnostic:
    """Withdraw a diagnostic and announce it."""
    _owner(principal)
    async with uow:
        diagnostic = await load(principal, diagnostic_id, uow=uow)
        status = diagnostic.status
        diagnostic.withdraw(at=utc_now())
        await _save(diagnostic, uow, expected=status)
        uow.collect(diagnostic)
        await uow.commit()
    return diagnostic


async def list_for_organisation(
    principal: Principal, organisation_id: str, *, uow: AssessmentUnitOfWork
) -> list[Diagnostic]:
    """List an organisation's diagnostics, oldest first."""
    principal.require("diagnostics:read")
    await get_organisation(principal.account_id, organisation_id, uow=uow)
    return await uow.diagnostics.for_organisation(principal.account_id, organisation_id)
