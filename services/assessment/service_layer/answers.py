"""Use cases of answers: a respondent's answers, one or many, stored by one conditional write.

Nothing is read to take an answer: the questionnaire (account, model version, indicators in
scope) is frozen when a diagnostic opens and kept in memory, the model too; the write itself
checks that the diagnostic is still a draft and the respondent still active. Only a refused
write reads the diagnostic, to say why.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from services.assessment.domain.answers import Given, Questionnaire, StoredAnswer
from services.assessment.service_layer import catalogue
from services.assessment.service_layer.catalogue import ModelCache
from services.assessment.service_layer.diagnostics import load, may_see
from services.assessment.service_layer.unit_of_work import AssessmentUnitOfWork
from shared.auth import Principal
from shared.errors import Conflict, Forbidden, NotFound
from shared.model.schema import MaturityModel
from shared.mongo import utc_now

QUESTIONNAIRES_KEPT = 10_000


@dataclass
class QuestionnaireCache:
    """Diagnostics' questionnaires, the most recently used kept: frozen at opening, never stale."""

    capacity: int = QUESTIONNAIRES_KEPT
    _items: OrderedDict[str, Questionnaire] = field(default_factory=OrderedDict)
    # Diagnostics share a few scopes: one set of codes each, not one per diagnostic.
    _scopes: dict[frozenset[str], frozenset[str]] = field(default_factory=dict)

    def get(self, diagnostic_id: str) -> Questionnaire | None:
        """Return a diagnostic's questionnaire, if kept."""
        found = self._items.get(diagnostic_id)
        if found is not None:
            self._items.move_to_end(diagnostic_id)
        return found

    def put(self, questionnaire: Questionnaire) -> None:
        """Keep a questionnaire, forgetting the least recently used beyond the capacity."""
        codes = self._scopes.setdefault(questionnaire.codes, questionnaire.codes)
        self._items[questionnaire.diagnostic_id] = replace(questionnaire, codes=codes)
        self._items.move_to_end(questionnaire.diagnostic_id)
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)

    def forget(self, diagnostic_id: str) -> None:
        """Forget a diagnostic's questionnaire (the diagnostic is gone)."""
        self._items.pop(diagnostic_id, None)


def _may_answer(principal: Principal, diagnostic_id: str, respondent_id: str) -> None:
    if principal.is_respondent and principal.respondent_id != respondent_id:
        raise Forbidden("A respondent may only give their own answers.")
    may_see(principal, diagnostic_id)
    if not principal.is_respondent:
        principal.require("diagnostics:write")


async def _questionnaire(
    principal: Principal, diagnostic_id: str, *, uow: AssessmentUnitOfWork, cache: QuestionnaireCache
) -> Questionnaire:
    found = cache.get(diagnostic_id)
    if found is None:
        found = (await load(principal, diagnostic_id, uow=uow)).questionnaire
        cache.put(found)
    if found.account_id != principal.account_id:
        raise NotFound(f"No diagnostic {diagnostic_id!r}.")
    return found


async def _model(
    questionnaire: Questionnaire, *, uow: AssessmentUnitOfWork, models: ModelCache
) -> MaturityModel:
    _, model = await catalogue.get_model(
        questionnaire.model_id, questionnaire.model_version, uow=uow, cache=models
    )
    return model


async def _record(
    principal: Principal,
    questionnaire: Questionnaire,
    respondent_id: str,
    answers: Sequence[StoredAnswer],
    *,
    at: datetime,
    uow: AssessmentUnitOfWork,
    cache: QuestionnaireCache,
) -> None:
    diagnostic_id = questionnaire.diagnostic_id
    if await uow.answers.record(
        diagnostic_id,
        account_id=questionnaire.account_id,
        respondent_id=respondent_id,
        answers=answers,
        at=at,
    ):
        return
    # Refused: the diagnostic as it is now says why (gone, no longer a draft, respondent revoked).
    try:
        diagnostic = await load(principal, diagnostic_id, uow=uow)
    except NotFound:
        cache.forget(diagnostic_id)
        raise
    diagnostic.ensure_answerable(respondent_id)
    raise Conflict("The diagnostic changed meanwhile; send the answers again.")


async def put_answer(
    principal: Principal,
    diagnostic_id: str,
    respondent_id: str,
    code: str,
    given: Given,
    *,
    uow: AssessmentUnitOfWork,
    models: ModelCache,
    questionnaires: QuestionnaireCache | None = None,
) -> StoredAnswer:
    """Record a respondent's answer on an indicator (idempotent), only while the diagnostic is a draft."""
    cache = questionnaires or QuestionnaireCache(capacity=0)
    _may_answer(principal, diagnostic_id, respondent_id)
    questionnaire = await _questionnaire(principal, diagnostic_id, uow=uow, cache=cache)
    indicator = (await _model(questionnaire, uow=uow, models=models)).indicator(code)
    if indicator is None or code not in questionnaire.codes:
        raise NotFound(f"{code} is not in this diagnostic's scope.")
    at = utc_now()
    stored = questionnaire.answer(respondent_id, indicator, given, at=at)
    await _record(principal, questionnaire, respondent_id, [stored], at=at, uow=uow, cache=cache)
    return stored


async def put_answers(
    principal: Principal,
    diagnostic_id: str,
    respondent_id: str,
    given: Sequence[tuple[str, Given]],
    *,
    uow: AssessmentUnitOfWork,
    models: ModelCache,
    questionnaires: QuestionnaireCache | None = None,
) -> list[StoredAnswer]:
    """Record many answers of a respondent at once (draft only): all of them, or none if any is refused."""
    cache = questionnaires or QuestionnaireCache(capacity=0)
    _may_answer(principal, diagnostic_id, respondent_id)
    questionnaire = await _questionnaire(principal, diagnostic_id, uow=uow, cache=cache)
    model = await _model(questionnaire, uow=uow, models=models)
    at = utc_now()
    stored = questionnaire.answers(respondent_id, model, given, at=at)
    await _record(principal, questionnaire, respondent_id, stored, at=at, uow=uow, cache=cache)
    return stored
