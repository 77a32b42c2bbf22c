"""Use cases of reading the benchmark: an organisation's position among its peers, and any cohort."""

from __future__ import annotations

from dataclasses import dataclass, replace

from services.benchmark.domain.accounts import Plan, plan_of, require_premium
from services.benchmark.domain.cohorts import Assurance, CohortKey, keys_of
from services.benchmark.domain.counting import population_of
from services.benchmark.domain.figures import kind_of
from services.benchmark.domain.members import Member, owned
from services.benchmark.domain.publications import ALL_ORGANISATIONS, SnapshotRecord
from services.benchmark.domain.snapshots import CohortStats
from services.benchmark.domain.statistics import dense_ranks
from services.benchmark.service_layer.unit_of_work import BenchmarkUnitOfWork
from shared.auth import Principal
from shared.errors import NotFound, ServiceUnavailable
from shared.model.schema import MaturityModel


@dataclass(frozen=True)
class OwnFigure:
    """The organisation's own value of a figure and its percentile rank in the cohort."""

    figure: str
    value: float | None
    percentile_rank: float | None


@dataclass(frozen=True)
class Placed:
    """A cohort of the organisation, with where the organisation stands in it."""

    stats: CohortStats
    own: dict[str, OwnFigure]


@dataclass(frozen=True)
class Standing:
    """An organisation among its peers in the current snapshot (premium: every cohort it belongs to)."""

    member: Member
    snapshot: SnapshotRecord
    plan: Plan
    cohorts: list[Placed]
    sector_median: float | None


async def _plan(principal: Principal, uow: BenchmarkUnitOfWork) -> Plan:
    return plan_of(principal, await uow.plans.plan(principal.account_id))


async def _situation(
    principal: Principal, organisation_id: str, uow: BenchmarkUnitOfWork
) -> tuple[Member, SnapshotRecord, MaturityModel]:
    principal.require("organisations:read")
    member = owned(await uow.members.get(organisation_id), principal.account_id, organisation_id)
    if member.latest is None:
        raise NotFound(f"The organisation {organisation_id!r} has no scored diagnostic yet.")
    snapshot = await uow.snapshots.latest(member.latest.model_id)
    if snapshot is None:
        raise ServiceUnavailable(
            "No benchmark snapshot has been published yet; the first comes with the schedule."
        )
    model = await uow.model_versions.get(snapshot.model_id, snapshot.model_version)
    if model is None:
        raise ServiceUnavailable(
            f"The model {snapshot.model_id}@{snapshot.model_version} is not known here yet."
        )
    return member, snapshot, model


def own_values(member: Member, model: MaturityModel) -> dict[str, float | None]:
    """Return the organisation's figures under the snapshot's model version (opted out or not)."""
    population, layout = population_of([replace(member, contributing=True)], model)
    if not population.organisation_ids:
        return {}
    values: dict[str, float | None] = {}
    for i, name in enumerate(layout.score_figures):
        score = float(population.scores[0, i])
        values[name] = None if score != score else score  # NaN: a quick profile has no score
    for i, name in enumerate(layout.indicator_figures):
        level = int(population.levels[0, i])
        values[name] = None if level < 0 else float(level)
    return values


def place(stats: CohortStats, values: dict[str, float | None]) -> Placed:
    """Say where the organisation's values stand in a cohort (nothing in a withheld one)."""
    own = {}
    for figure, value in values.items():
        rank = None
        if value is not None and figure in stats.histograms:
            rank = dense_ranks(stats.histograms.counts(figure), value, kind_of(figure))
        own[figure] = OwnFigure(figure, value, rank)
    return Placed(stats, own if not stats.withheld else {})


async def standing(
    principal: Principal, organisation_id: str, *, assurance: Assurance, uow: BenchmarkUnitOfWork
) -> Standing:
    """Return the organisation among its peers: every cohort it belongs to (premium)."""
    member, snapshot, model = await _situation(principal, organisation_id, uow)
    plan = await _plan(principal, uow)
    require_premium(plan)
    keys = [replace(k, assurance=assurance) for k in _keys(member) if k.assurance == "all"]
    found = await uow.snapshots.cohorts(snapshot.snapshot_id, keys, histograms=True)
    values = own_values(member, model)
    placed = [place(found[k], values) for k in keys if k in found]
    return Standing(member, snapshot, plan, placed, await _sector_median(snapshot, member, uow))


async def position(principal: Principal, organisation_id: str, *, uow: BenchmarkUnitOfWork) -> Standing:
    """Return what every plan sees: the position among all organisations and the sector's median."""
    member, snapshot, model = await _situation(principal, organisation_id, uow)
    plan = await _plan(principal, uow)
    everyone = await uow.snapshots.cohort(snapshot.snapshot_id, ALL_ORGANISATIONS, histograms=True)
    placed = (
        [] if everyone is None else [place(everyone, {"overall": own_values(member, model).get("overall")})]
    )
    return Standing(member, snapshot, plan, placed, await _sector_median(snapshot, member, uow))


async def _sector_median(snapshot: SnapshotRecord, member: Member, uow: BenchmarkUnitOfWork) -> float | None:
    sector = await uow.snapshots.cohort(snapshot.snapshot_id, CohortKey("all", member.sector, None, None))
    if sector is None or sector.withheld or "overall" not in sector.figures:
        return None
    return sector.figures["overall"].quartiles[1]


def _keys(member: Member) -> tuple[CohortKey, ...]:
    assert member.latest is not None
    return keys_of(
        sector=member.sector,
        size_band=member.size_band,
        region=member.region,
        assurance=member.latest.assurance,
    )


async def cohort(
    principal: Principal, key: CohortKey, *, model_id: str, uow: BenchmarkUnitOfWork, ranking: bool = False
) -> tuple[SnapshotRecord, CohortStats]:
    """Return any cohort of the current snapshot (premium); `ranking` also reads its histograms."""
    require_premium(await _plan(principal, uow))
    snapshot = await uow.snapshots.latest(model_id)
    if snapshot is None:
        raise ServiceUnavailable("No benchmark snapshot has been published yet.")
    found = await uow.snapshots.cohort(snapshot.snapshot_id, key, histograms=ranking)
    if found is None:
        raise NotFound("No organisation of the snapshot is in this cohort.")
    return snapshot, found


async def latest_snapshot(model_id: str, *, uow: BenchmarkUnitOfWork) -> SnapshotRecord:
    """Return the snapshot the figures come from, or raise NotFound before the first one."""
    record = await uow.snapshots.latest(model_id)
    if record is None:
        raise NotFound("No snapshot has been published yet; the first comes with the schedule.")
    return record
