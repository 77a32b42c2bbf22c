"""The benchmark's random population as the service stores it: members, scored events, a database."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import cast

import numpy as np

from services.benchmark.adapters.unit_of_work import MongoBenchmarkUnitOfWork, ensure_indexes
from services.benchmark.domain.cohorts import CONTRIBUTED
from services.benchmark.domain.entries import FULL_SCOPE, ScoredEntry
from services.benchmark.domain.members import Member
from services.benchmark.domain.population import Population
from shared.adapters.replicas import ModelCache
from shared.events.contracts.assessment import Assurance, OrganisationProfile, OrganisationRegistered
from shared.events.contracts.scoring import DiagnosticScored, IndicatorScore
from shared.messaging.outbox import OUTBOX_COLLECTION, Outbox
from shared.messaging.topics import events_topic
from shared.model.editions import shipped_edition
from shared.model.engine import DiagnosticInput, score
from shared.model.scorecard import IndicatorResult
from shared.mongo import Client
from shared.mongo_unit_of_work import Storage

ACCOUNT = "acc_bench"
CURRENT, EARLIER = "2.0.0", "1.0.0"
QUICK_SCOPE = "pme-10-priorites"
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def _codes(version: str) -> tuple[str, ...]:
    return tuple(place.indicator.code for place in shipped_edition(version).places())


def _nothing() -> None:
    return None


class BenchDatabase:
    """A benchmark database of its own, read and written through the service's unit of work."""

    def __init__(self, client: Client, name: str) -> None:
        self.name = name
        self._db = client[name]
        outbox = Outbox(
            self._db[OUTBOX_COLLECTION], source="/dimm/benchmark", topic=events_topic("benchmark")
        )
        # No relay runs here: a commit writes the outbox row with the state, as in the service.
        self._storage = Storage(client, self._db, outbox, _nothing)
        self._models: ModelCache = {}

    async def create(self) -> None:
        """Create the indexes the repositories rely on."""
        await ensure_indexes(self._db)

    def unit_of_work(self) -> MongoBenchmarkUnitOfWork:
        """Return a new unit of work, as a request or a consumer batch gets one."""
        return MongoBenchmarkUnitOfWork(self._storage, models=self._models)

    async def drop(self) -> None:
        """Drop the database."""
        await self._storage.client.drop_database(self.name)


def entry_of(population: Population, row: int, *, run: str) -> ScoredEntry:
    """Return a population row as the scored diagnostic the benchmark keeps (carried over: v1)."""
    version = EARLIER if population.carried_over[row] else CURRENT
    known = set(_codes(version))
    levels = {
        code: int(level)
        for code, level in zip(_codes(CURRENT), population.levels[row].tolist(), strict=True)
        if level >= 0 and code in known
    }
    submitted = T0 - timedelta(days=row % 365)
    return ScoredEntry(
        diagnostic_id=f"dg_{run}_{row:08d}",
        organisation_id=population.organisation_ids[row],
        account_id=ACCOUNT,
        model_id="dimm",
        model_version=version,
        scope=QUICK_SCOPE if math.isnan(population.scores[row, 0]) else FULL_SCOPE,
        assurance=CONTRIBUTED[int(population.assurance[row])],
        sector=population.sector_codes[int(population.sectors[row])],
        size_band=population.size_band_codes[int(population.size_bands[row])],
        region=population.region_codes[int(population.regions[row])],
        levels=levels,
        submitted_at=submitted,
        scored_at=submitted + timedelta(seconds=1),
    )


def member_of(entry: ScoredEntry) -> Member:
    """Return the organisation of a scored diagnostic, registered, contributing, that diagnostic counting."""
    return Member(
        organisation_id=entry.organisation_id,
        account_id=entry.account_id,
        sector=entry.sector,
        size_band=entry.size_band,
        region=entry.region,
        organisation_type="entreprise",
        updated_at=T0 - timedelta(days=400),
        latest=entry,
    )


def sample_rows(population: Population, count: int, *, seed: int = 3) -> list[int]:
    """Return distinct random rows of a population."""
    rng = np.random.default_rng(seed)
    return sorted(rng.choice(len(population), min(count, len(population)), replace=False).tolist())


async def seed_members(uow: MongoBenchmarkUnitOfWork, members: list[Member], *, batch: int) -> None:
    """Save members through the member repository, one transaction per batch, the v2 model known."""
    async with uow:
        await uow.model_versions.keep(shipped_edition(CURRENT))
        await uow.commit()
    for start in range(0, len(members), batch):
        async with uow:
            for member in members[start : start + batch]:
                await uow.members.save(member)
            await uow.commit()


def _profile(entry: ScoredEntry) -> OrganisationProfile:
    return OrganisationProfile(
        sector=entry.sector, size_band=entry.size_band, region=entry.region, organisation_type="entreprise"
    )


def registered_event(entry: ScoredEntry) -> OrganisationRegistered:
    """Return the registration of a scored diagnostic's organisation."""
    return OrganisationRegistered(
        organisation_id=entry.organisation_id,
        account_id=entry.account_id,
        name=entry.organisation_id,
        profile=_profile(entry),
        registered_at=T0 - timedelta(days=400),
    )


def _indicator(result: IndicatorResult) -> IndicatorScore:
    return IndicatorScore(
        code=result.code,
        lever=result.lever,
        groupement=result.groupement,
        level=result.level,
        not_applicable=result.not_applicable,
        target=result.target,
        gap=result.gap,
    )


def scored_event(entry: ScoredEntry) -> DiagnosticScored:
    """Return the scored event of a diagnostic, scored by the engine under its own version."""
    levels = DiagnosticInput(entry.sector, entry.scope, entry.levels)
    card = score(shipped_edition(entry.model_version), levels)
    return DiagnosticScored(
        diagnostic_id=entry.diagnostic_id,
        organisation_id=entry.organisation_id,
        account_id=entry.account_id,
        profile=_profile(entry),
        model_id=entry.model_id,
        model_version=entry.model_version,
        scope=entry.scope,
        overall=card.overall.score,
        levers={s.code: s.score for s in card.levers},
        groupements={s.code: s.score for s in card.groupements},
        indicators=[_indicator(i) for i in card.indicators],
        percent_to_target=card.percent_to_target,
        submitted_at=entry.submitted_at,
        scored_at=entry.scored_at,
        assurance=cast(Assurance, entry.assurance),
    )
