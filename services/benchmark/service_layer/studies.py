"""Use cases of national sector studies: create, open, enrol, close, publish, read the results."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime

from services.benchmark.domain.counting import population_of
from services.benchmark.domain.members import Member, owned
from services.benchmark.domain.publications import ALL_ORGANISATIONS, StudyResults, publish_study
from services.benchmark.domain.snapshots import CohortStats, build_snapshot
from services.benchmark.domain.studies import Enrolment, Study
from services.benchmark.service_layer.positions import Placed, own_values, place
from services.benchmark.service_layer.unit_of_work import BenchmarkUnitOfWork
from shared.auth import Principal
from shared.errors import Forbidden, InvalidInput, NotFound
from shared.model.schema import MaturityModel
from shared.mongo import utc_now
from shared.unit_of_work import transactional


async def create(
    *,
    title: str,
    sector: str,
    model_id: str,
    model_version: str,
    opens_at: datetime,
    closes_at: datetime,
    min_participants: int,
    uow: BenchmarkUnitOfWork,
) -> Study:
    """Create a draft study of a sector on a model version (operator)."""
    model = await uow.model_versions.get(model_id, model_version)
    if model is None:
        raise InvalidInput(
            f"No model version {model_id}@{model_version} is known here.",
            errors=[{"path": "model_version", "message": "unknown model version"}],
        )
    if sector not in {s.code for s in model.sectors}:
        raise InvalidInput(
            f"Unknown sector {sector!r}.", errors=[{"path": "sector", "message": "unknown sector"}]
        )
    study = Study(
        "std_" + uuid.uuid4().hex[:12],
        title,
        sector,
        model_id,
        model_version,
        opens_at,
        closes_at,
        min_participants,
    )
    study.created_at = utc_now()
    await uow.studies.add(study)
    return study


async def get(study_id: str, *, uow: BenchmarkUnitOfWork) -> Study:
    """Return a study, or raise NotFound."""
    study = await uow.studies.get(study_id)
    if study is None:
        raise NotFound(f"No study {study_id!r}.")
    return study


@transactional
async def open_study(study_id: str, *, uow: BenchmarkUnitOfWork) -> Study:
    """Open a study to enrolment (operator)."""
    async with uow:
        study = await get(study_id, uow=uow)
        study.open(at=utc_now())
        await uow.studies.save(study)
        await uow.commit()
    return study


@transactional
async def close_study(study_id: str, *, uow: BenchmarkUnitOfWork) -> Study:
    """Close a study (operator, or the schedule at its closing date)."""
    async with uow:
        study = await get(study_id, uow=uow)
        study.close(at=utc_now())
        await uow.studies.save(study)
        await uow.commit()
    return study


async def close_due(*, uow: BenchmarkUnitOfWork) -> list[str]:
    """Close every open study whose closing date has passed; return their ids."""
    closed = []
    for study in await uow.studies.due(utc_now()):
        await close_study(study.study_id, uow=uow)
        closed.append(study.study_id)
    return closed


async def _enroller(principal: Principal, organisation_id: str, uow: BenchmarkUnitOfWork) -> Member:
    if principal.is_respondent:
        raise Forbidden("Only the organisation's account may enrol it.")
    principal.require("organisations:write")
    return owned(await uow.members.get(organisation_id), principal.account_id, organisation_id)


@transactional
async def enrol(
    principal: Principal, study_id: str, organisation_id: str, *, uow: BenchmarkUnitOfWork
) -> Enrolment:
    """Enrol one of the account's organisations, recording who consented and when."""
    async with uow:
        member = await _enroller(principal, organisation_id, uow)
        study = await get(study_id, uow=uow)
        consent = Enrolment(
            organisation_id, principal.account_id, principal.client_id or principal.account_id, utc_now()
        )
        study.enrol(consent, sector=member.sector)
        await uow.studies.save(study)
        await uow.commit()
    return study.enrolments[organisation_id]


@transactional
async def withdraw(
    principal: Principal, study_id: str, organisation_id: str, *, uow: BenchmarkUnitOfWork
) -> None:
    """Withdraw one of the account's organisations from a study (until it closes)."""
    async with uow:
        await _enroller(principal, organisation_id, uow)
        study = await get(study_id, uow=uow)
        study.withdraw(organisation_id)
        await uow.studies.save(study)
        await uow.commit()


async def _participants(study: Study, uow: BenchmarkUnitOfWork) -> list[Member]:
    """Return the enrolled organisations, each counted with its latest diagnostic of the period."""
    counted = []
    for organisation_id in study.enrolments:
        member = await uow.members.get(organisation_id)
        if member is None or member.erased:
            continue
        entries = [
            e
            for e in await uow.entries.of_organisation(organisation_id)
            if e.model_id == study.model_id and study.counts(e.scored_at)
        ]
        if entries:
            counted.append(
                replace(member, contributing=True, latest=max(entries, key=lambda e: e.submitted_at))
            )
    return counted


def _everyone_cohort(members: list[Member], model: MaturityModel, k: int) -> CohortStats | None:
    population, layout = population_of(members, model)
    return build_snapshot(population, layout, min_cohort_size=k).cohorts.get(ALL_ORGANISATIONS)


@transactional
async def publish(study_id: str, *, uow: BenchmarkUnitOfWork, min_cohort_size: int) -> StudyResults:
    """Publish a closed study's results: the participants beside all organisations, disclosure-controlled."""
    study = await get(study_id, uow=uow)
    model = await uow.model_versions.get(study.model_id, study.model_version)
    if model is None:
        raise InvalidInput(f"The model {study.model_id}@{study.model_version} is not known here.")
    participants = await _participants(study, uow)
    study.ready_to_publish(len(participants), min_cohort_size=min_cohort_size)
    results = _everyone_cohort(participants, model, min_cohort_size)
    assert results is not None, "ready_to_publish() guarantees participants"
    comparison = _everyone_cohort(await uow.members.contributing(study.model_id), model, min_cohort_size)
    published = StudyResults(
        study.study_id, len(participants), results, comparison, utc_now(), min_cohort_size
    )
    async with uow:
        fresh = await get(study_id, uow=uow)
        publish_study(fresh, published)
        await uow.studies.add_results(published)
        await uow.studies.save(fresh)
        uow.collect(fresh)
        await uow.commit()
    return published


async def results(study_id: str, *, uow: BenchmarkUnitOfWork) -> tuple[Study, StudyResults]:
    """Return a published study and its results (public)."""
    study = await get(study_id, uow=uow)
    found = await uow.studies.results(study_id) if study.status == "published" else None
    if found is None:
        raise NotFound(f"The study {study_id!r} has not published its results yet.")
    return study, found


async def participant_position(
    principal: Principal, study_id: str, organisation_id: str, *, uow: BenchmarkUnitOfWork
) -> Placed:
    """Return where a participant stands in the published results of a study it took part in."""
    principal.require("organisations:read")
    owned(await uow.members.get(organisation_id), principal.account_id, organisation_id)
    study, published = await results(study_id, uow=uow)
    if organisation_id not in study.enrolments:
        raise NotFound(f"The organisation {organisation_id!r} did not take part in the study.")
    alone = replace(study, enrolments={organisation_id: study.enrolments[organisation_id]})
    counted = await _participants(alone, uow)
    model = await uow.model_versions.get(study.model_id, study.model_version)
    if not counted or model is None:
        raise NotFound("The organisation had no diagnostic scored within the study's period.")
    return place(published.results, own_values(counted[0], model))


async def all_studies(*, uow: BenchmarkUnitOfWork) -> list[Study]:
    """List the studies, newest first (public: counts only)."""
    return await uow.studies.all()


async def model_of(study: Study, *, uow: BenchmarkUnitOfWork) -> MaturityModel:
    """Return the model version a study is run on."""
    model = await uow.model_versions.get(study.model_id, study.model_version)
    if model is None:
        raise NotFound(f"The model {study.model_id}@{study.model_version} is not known here.")
    return model
