"""The benchmark's use cases on the in-memory fakes: who counts, snapshots, plans, studies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.benchmark.adapters.memory import MemoryBenchmarkUnitOfWork
from services.benchmark.domain.cohorts import CohortKey
from services.benchmark.service_layer import consuming, contribution, positions, studies
from services.benchmark.service_layer.snapshots import take_snapshot
from shared.auth import SCOPES, Principal
from shared.errors import Conflict, Forbidden, InvalidInput, NotFound
from shared.events.contracts.assessment import (
    AccountOpened,
    AccountPlanChanged,
    DiagnosticWithdrawn,
    OrganisationErased,
    OrganisationProfile,
    OrganisationUpdated,
)
from shared.events.contracts.benchmark import SnapshotPublished, StudyPublished
from shared.model.editions import SME_PROFILE, shipped_edition
from tests.unit.benchmark.events import T0, registered, scored

pytestmark = pytest.mark.asyncio
K = 5


def _caller(account: str = "acc_1", plan: str = "premium") -> Principal:
    return Principal(account, frozenset(SCOPES), plan, "tok")


async def _uow() -> MemoryBenchmarkUnitOfWork:
    uow = MemoryBenchmarkUnitOfWork()
    for version in ("1.0.0", "2.0.0"):
        await uow.model_versions.keep(shipped_edition(version))
    return uow


async def _populate(
    uow: MemoryBenchmarkUnitOfWork, count: int, *, sector: str = "commerce", prefix: str = "org"
) -> list[str]:
    ids = []
    for n in range(count):
        org = f"{prefix}_{sector}_{n}"
        await consuming.organisation_registered(registered(org, sector=sector), uow)
        await consuming.diagnostic_scored(scored(org, n % 6, sector=sector), uow)
        ids.append(org)
    return ids


class TestWhoCounts:
    async def test_only_the_latest_diagnostic_counts_and_a_withdrawal_falls_back(self) -> None:
        uow = await _uow()
        first, second = scored("org_a", 1, days=0), scored("org_a", 4, days=30)
        for event in (first, second):
            await consuming.diagnostic_scored(event, uow)
        member = await uow.members.get("org_a")
        assert member is not None
        assert member.latest is not None
        assert member.latest.diagnostic_id == second.diagnostic_id
        await consuming.diagnostic_withdrawn(
            DiagnosticWithdrawn(
                diagnostic_id=second.diagnostic_id,
                organisation_id="org_a",
                account_id="acc_1",
                withdrawn_at=T0,
            ),
            uow,
        )
        member = await uow.members.get("org_a")
        assert member is not None
        assert member.latest is not None
        assert member.latest.diagnostic_id == first.diagnostic_id

    async def test_a_withdrawn_diagnostic_arriving_scored_later_never_counts(self) -> None:
        uow = await _uow()
        late = scored("org_a", 3)
        await consuming.diagnostic_withdrawn(
            DiagnosticWithdrawn(
                diagnostic_id=late.diagnostic_id, organisation_id="org_a", account_id="acc_1", withdrawn_at=T0
            ),
            uow,
        )
        await consuming.diagnostic_scored(late, uow)
        member = await uow.members.get("org_a")
        assert member is None or member.latest is None

    async def test_an_erased_organisation_leaves_at_once_and_a_late_score_does_not_bring_it_back(
        self,
    ) -> None:
        uow = await _uow()
        await consuming.diagnostic_scored(scored("org_a", 3), uow)
        await consuming.organisation_erased(
            OrganisationErased(organisation_id="org_a", account_id="acc_1", erased_at=T0), uow
        )
        await consuming.diagnostic_scored(scored("org_a", 4), uow)
        assert await uow.members.contributing("dimm") == []
        assert uow.entries.items == {}

    async def test_a_profile_change_moves_the_organisation_and_an_older_one_changes_nothing(self) -> None:
        uow = await _uow()
        await consuming.organisation_registered(registered("org_a"), uow)
        newer = OrganisationProfile(
            sector="banque", size_band="ETI", region="normandie", organisation_type="entreprise"
        )
        older = newer.model_copy(update={"sector": "sante"})
        for profile, day in ((newer, 2), (older, 1)):
            update = OrganisationUpdated(
                organisation_id="org_a",
                account_id="acc_1",
                name="A",
                profile=profile,
                updated_at=T0 + timedelta(days=day),
            )
            await consuming.organisation_updated(update, uow)
        member = await uow.members.get("org_a")
        assert member is not None
        assert (member.sector, member.size_band, member.region) == ("banque", "ETI", "normandie")

    async def test_plans_follow_the_account_events(self) -> None:
        uow = await _uow()
        await consuming.account_opened(AccountOpened(account_id="acc_1", plan="free", opened_at=T0), uow)
        await consuming.plan_changed(
            AccountPlanChanged(
                account_id="acc_1", plan="premium", previous_plan="free", changed_at=T0 + timedelta(days=1)
            ),
            uow,
        )
        assert await uow.plans.plan("acc_1") == "premium"


class TestSnapshots:
    async def test_cohorts_below_k_are_withheld_and_the_event_has_no_individual_data(self) -> None:
        uow = await _uow()
        await _populate(uow, 6, sector="commerce")
        await _populate(uow, 7, sector="sante")
        await _populate(uow, 3, sector="banque")
        record = await take_snapshot("dimm", uow=uow, min_cohort_size=K)
        assert record.organisations == 16
        parts = [e for e in uow.published if isinstance(e, SnapshotPublished)]
        assert [p.part for p in parts] == list(range(1, parts[0].parts + 1))
        cohorts = [c for p in parts for c in p.cohorts]
        sectors = {c.sector: c for c in cohorts if c.size_band is None and c.region is None}
        assert sectors[None].organisations == 16
        assert sectors["banque"].withheld
        assert sectors["banque"].organisations is None
        # Secondary suppression: with banque alone withheld, 16 − 6 − 7 would give its count away.
        shown = [c.organisations or 0 for code, c in sectors.items() if code and not c.withheld]
        assert 16 - sum(shown) >= K or len(shown) < 2
        assert sectors["sante"].organisations == 7
        assert all(c.assurance == "all" for c in cohorts)
        assert all("org_" not in p.model_dump_json() for p in parts)

    async def test_an_opted_out_organisation_leaves_the_next_snapshot_but_still_sees_its_position(
        self,
    ) -> None:
        uow = await _uow()
        ids = await _populate(uow, 6)
        await contribution.set_contribution(_caller(), ids[0], False, uow=uow)
        record = await take_snapshot("dimm", uow=uow, min_cohort_size=K)
        assert record.organisations == 5
        standing = await positions.position(_caller(), ids[0], uow=uow)
        assert standing.cohorts[0].own["overall"].value == 0.0

    async def test_a_diagnostic_of_an_earlier_version_is_carried_over_under_the_current_one(self) -> None:
        uow = await _uow()
        await _populate(uow, 5)
        await consuming.diagnostic_scored(scored("org_old", 3, version="1.0.0"), uow)
        await take_snapshot("dimm", uow=uow, min_cohort_size=K)
        everyone = await uow.snapshots.cohort(
            uow.snapshots.items[-1].snapshot_id, CohortKey("all", None, None, None)
        )
        assert everyone is not None
        assert (everyone.organisations, everyone.carried_over) == (6, 1)
        assert uow.snapshots.items[-1].model_version == "2.0.0"

    async def test_a_quick_profile_counts_for_its_indicators_only(self) -> None:
        uow = await _uow()
        await _populate(uow, 5)
        for n in range(5):
            await consuming.diagnostic_scored(scored(f"quick_{n}", 5, scope="pme-10-priorites"), uow)
        await take_snapshot("dimm", uow=uow, min_cohort_size=K)
        everyone = await uow.snapshots.cohort(
            uow.snapshots.items[-1].snapshot_id, CohortKey("all", None, None, None)
        )
        assert everyone is not None
        assert everyone.figures["overall"].organisations == 5
        assert everyone.figures[f"indicator:{SME_PROFILE[0]}"].organisations == 10


class TestAccess:
    async def test_a_free_account_sees_its_position_and_is_refused_the_peers_with_the_plan_named(
        self,
    ) -> None:
        uow = await _uow()
        ids = await _populate(uow, 6)
        await take_snapshot("dimm", uow=uow, min_cohort_size=K)
        free = _caller(plan="free")
        standing = await positions.position(free, ids[3], uow=uow)
        assert standing.plan == "free"
        assert standing.sector_median is not None
        with pytest.raises(Forbidden, match="premium"):
            await positions.standing(free, ids[3], assurance="all", uow=uow)

    async def test_a_premium_account_sees_every_cohort_of_its_organisation_with_its_rank(self) -> None:
        uow = await _uow()
        ids = await _populate(uow, 6)
        await take_snapshot("dimm", uow=uow, min_cohort_size=K)
        standing = await positions.standing(_caller(), ids[5], assurance="all", uow=uow)
        assert len(standing.cohorts) == 8
        everyone = next(p for p in standing.cohorts if p.stats.key == CohortKey("all", None, None, None))
        assert everyone.own["overall"].percentile_rank is not None

    async def test_the_announced_plan_wins_over_the_token(self) -> None:
        uow = await _uow()
        ids = await _populate(uow, 6)
        await take_snapshot("dimm", uow=uow, min_cohort_size=K)
        await consuming.plan_changed(
            AccountPlanChanged(account_id="acc_1", plan="free", previous_plan="premium", changed_at=T0), uow
        )
        with pytest.raises(Forbidden):
            await positions.standing(_caller(plan="premium"), ids[0], assurance="all", uow=uow)

    async def test_another_accounts_organisation_is_not_found(self) -> None:
        uow = await _uow()
        ids = await _populate(uow, 6)
        await take_snapshot("dimm", uow=uow, min_cohort_size=K)
        with pytest.raises(NotFound):
            await positions.position(_caller(account="acc_2"), ids[0], uow=uow)
        with pytest.raises(NotFound):
            await contribution.set_contribution(_caller(account="acc_2"), ids[0], False, uow=uow)


class TestStudies:
    async def _study(self, uow: MemoryBenchmarkUnitOfWork, *, minimum: int = 5) -> str:
        study = await studies.create(
            title="Étude nationale des bailleurs sociaux",
            sector="logement-social",
            model_id="dimm",
            model_version="2.0.0",
            opens_at=T0 - timedelta(days=10),
            closes_at=T0 + timedelta(days=60),
            min_participants=minimum,
            uow=uow,
        )
        await studies.open_study(study.study_id, uow=uow)
        return study.study_id

    async def test_a_study_runs_from_creation_to_its_published_event(self) -> None:
        uow = await _uow()
        ids = await _populate(uow, 6, sector="logement-social")
        await _populate(uow, 6, sector="commerce")
        study_id = await self._study(uow)
        for org in ids:
            await studies.enrol(_caller(), study_id, org, uow=uow)
        await studies.withdraw(_caller(), study_id, ids[0], uow=uow)
        await studies.close_study(study_id, uow=uow)
        published = await studies.publish(study_id, uow=uow, min_cohort_size=K)
        assert published.participants == 5
        event = uow.published[-1]
        assert isinstance(event, StudyPublished)
        assert event.participants == 5
        assert {f.figure for f in event.results} >= {"overall", "lever:S"}
        placed = await studies.participant_position(_caller(), study_id, ids[1], uow=uow)
        assert placed.own["overall"].percentile_rank is not None

    async def test_the_studys_rules(self) -> None:
        uow = await _uow()
        ids = await _populate(uow, 4, sector="logement-social")
        others = await _populate(uow, 1, sector="commerce")
        with pytest.raises(InvalidInput):
            await studies.create(
                title="x" * 5,
                sector="spatial",
                model_id="dimm",
                model_version="2.0.0",
                opens_at=T0,
                closes_at=T0 + timedelta(days=1),
                min_participants=3,
                uow=uow,
            )
        study_id = await self._study(uow)
        with pytest.raises(Conflict, match="sector"):
            await studies.enrol(_caller(), study_id, others[0], uow=uow)
        with pytest.raises(NotFound):
            await studies.enrol(_caller(account="acc_2"), study_id, ids[0], uow=uow)
        for org in ids:
            await studies.enrol(_caller(), study_id, org, uow=uow)
        with pytest.raises(Conflict, match="must be closed"):
            await studies.publish(study_id, uow=uow, min_cohort_size=K)
        await studies.close_study(study_id, uow=uow)
        with pytest.raises(Conflict, match="participant"):
            await studies.publish(study_id, uow=uow, min_cohort_size=K)
        with pytest.raises(Conflict):
            await studies.withdraw(_caller(), study_id, ids[0], uow=uow)

    async def test_the_schedule_closes_a_study_at_its_date(self) -> None:
        uow = await _uow()
        study = await studies.create(
            title="Étude close",
            sector="commerce",
            model_id="dimm",
            model_version="2.0.0",
            opens_at=datetime(2020, 1, 1, tzinfo=UTC),
            closes_at=datetime(2020, 2, 1, tzinfo=UTC),
            min_participants=3,
            uow=uow,
        )
        await studies.open_study(study.study_id, uow=uow)
        assert await studies.close_due(uow=uow) == [study.study_id]
        assert (await studies.get(study.study_id, uow=uow)).status == "closed"
