"""Peer comparison on the in-memory fakes: snapshots kept, the cohort chosen, free and premium callers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.scoring.adapters.memory import MemoryScoringUnitOfWork
from services.scoring.domain.peers import PeerCohort, PeerSnapshot, cohort_label, compare
from services.scoring.domain.views import present
from services.scoring.entrypoints.schemas import ScorecardView
from services.scoring.service_layer import scorecards
from services.scoring.service_layer.peers import keep_snapshot
from services.scoring.service_layer.scoring import score_submission
from shared.auth import SCOPES, Principal
from shared.events.contracts.assessment import DiagnosticSubmitted, OrganisationProfile
from shared.events.contracts.benchmark import CohortSummary, FigureSummary, SnapshotPublished
from shared.model.editions import SME_PROFILE, shipped_edition

T0 = datetime(2026, 11, 29, 2, tzinfo=UTC)
PROFILE = {"sector": "logement-social", "size_band": "PME", "region": "bretagne"}
PREMIUM = Principal("acc_1", frozenset(SCOPES), "premium", "tok")
FREE = Principal("acc_1", frozenset(SCOPES), "free", "tok")
LEVERS = ("S", "OR", "PE", "OF", "TI", "E")


def _figure(name: str, median: float, organisations: int = 12) -> FigureSummary:
    return FigureSummary(
        figure=name,
        organisations=organisations,
        mean=median,
        quartiles=[median - 0.5, median, median + 0.5],
        bands=[0.2] * 5,
    )


def _cohort(
    sector: str | None = None,
    size_band: str | None = None,
    region: str | None = None,
    *,
    median: float = 2.5,
    withheld: bool = False,
    assurance: str = "all",
    levers: tuple[str, ...] = LEVERS,
    overall: bool = True,
) -> CohortSummary:
    figures = ([_figure("overall", median)] if overall else []) + [
        _figure(f"lever:{code}", median) for code in levers
    ]
    return CohortSummary.model_validate(
        {
            "assurance": assurance,
            "sector": sector,
            "size_band": size_band,
            "region": region,
            "organisations": None if withheld else 12,
            "withheld": withheld,
            "figures": [] if withheld else figures,
        }
    )


def _snapshot(*cohorts: CohortSummary, taken_at: datetime = T0, version: str = "2.0.0") -> SnapshotPublished:
    return SnapshotPublished(
        snapshot_id="snap_" + uuid.uuid4().hex[:8],
        model_id="dimm",
        model_version=version,
        taken_at=taken_at,
        min_cohort_size=5,
        organisations=1000,
        cohorts=list(cohorts),
    )


def _chosen(*cohorts: CohortSummary) -> PeerCohort | None:
    found = compare(PeerSnapshot.of(_snapshot(*cohorts)), PROFILE)
    return found.cohort if found else None


def _key(cohort: PeerCohort | None) -> tuple[str | None, ...] | None:
    return None if cohort is None else (cohort.sector, cohort.size_band, cohort.region)


class TestCohortChoice:
    def test_the_finest_cohort_of_the_organisation_wins(self) -> None:
        chosen = _chosen(
            _cohort(),
            _cohort("logement-social"),
            _cohort("logement-social", "PME", "bretagne"),
            _cohort("logement-social", "PME"),
        )
        assert _key(chosen) == ("logement-social", "PME", "bretagne")

    def test_a_withheld_cohort_gives_way_to_the_next_coarser_one(self) -> None:
        chosen = _chosen(
            _cohort("logement-social", "PME", "bretagne", withheld=True),
            _cohort("logement-social", "PME", withheld=True),
            _cohort("logement-social", None, "bretagne"),
            _cohort("logement-social"),
        )
        assert _key(chosen) == ("logement-social", None, "bretagne")

    def test_sector_comes_before_size_and_region(self) -> None:
        chosen = _chosen(_cohort(None, "PME", "bretagne"), _cohort("logement-social"), _cohort())
        assert _key(chosen) == ("logement-social", None, None)

    def test_a_cohort_without_the_overall_figure_is_skipped(self) -> None:
        chosen = _chosen(_cohort("logement-social", overall=False), _cohort(None, "PME"))
        assert _key(chosen) == (None, "PME", None)

    def test_only_cohorts_of_every_assurance_count(self) -> None:
        chosen = _chosen(_cohort("logement-social", assurance="expert_validated"), _cohort())
        assert _key(chosen) == (None, None, None)

    def test_other_organisations_cohorts_are_never_chosen(self) -> None:
        assert (
            _chosen(_cohort("banque"), _cohort("logement-social", "GE"), _cohort(None, None, "corse")) is None
        )

    def test_everything_withheld_means_no_peers(self) -> None:
        assert _chosen(_cohort(withheld=True), _cohort("logement-social", withheld=True)) is None


class TestLabel:
    @pytest.mark.parametrize(
        ("key", "label"),
        [
            (("logement-social", None, None), "logement social, toutes tailles, toutes régions"),
            (("commerce", "PME", "ile-de-france"), "commerce et distribution, PME, Île-de-France"),
            ((None, None, None), "tous secteurs, toutes tailles, toutes régions"),
            (("inconnu-ici", None, "hors-france"), "inconnu ici, toutes tailles, Hors France"),
        ],
    )
    def test_a_cohort_is_named_in_french(self, key: tuple[str | None, ...], label: str) -> None:
        cohort = PeerCohort("all", *key, organisations=9, withheld=False)
        names = {s.code: s.name for s in shipped_edition("2.0.0").sectors}
        assert cohort_label(cohort, names) == label


async def _scored(uow: MemoryScoringUnitOfWork) -> str:
    await uow.model_versions.keep(shipped_edition("2.0.0"))
    event = DiagnosticSubmitted(
        diagnostic_id="dg_" + uuid.uuid4().hex[:8],
        organisation_id="org_1",
        account_id="acc_1",
        profile=OrganisationProfile(organisation_type="entreprise", **PROFILE),
        model_id="dimm",
        model_version="2.0.0",
        scope="pme-10-priorites",
        levels=dict.fromkeys(SME_PROFILE, 2),
        not_applicable=[],
        divergences=[],
        submitted_at=T0,
    )
    await score_submission(event, uow)
    return event.diagnostic_id


async def _kept(uow: MemoryScoringUnitOfWork, *snapshots: SnapshotPublished) -> None:
    for snapshot in snapshots:
        async with uow:
            await keep_snapshot(snapshot, uow)
            await uow.commit()


@pytest.mark.asyncio
class TestSnapshots:
    async def test_a_newer_snapshot_replaces_the_cohorts_kept(self) -> None:
        uow = MemoryScoringUnitOfWork()
        first, second = (
            _snapshot(_cohort(median=2.0)),
            _snapshot(_cohort(median=3.0), taken_at=T0 + timedelta(1)),
        )
        await _kept(uow, first, second)
        kept = await uow.peer_cohorts.around("dimm", "2.0.0", profile=PROFILE)
        assert kept is not None
        assert kept.snapshot_id == second.snapshot_id
        [cohort] = kept.cohorts
        assert cohort.figures[0].median == 3.0

    async def test_an_older_snapshot_arriving_late_is_ignored(self) -> None:
        uow = MemoryScoringUnitOfWork()
        latest, late = _snapshot(_cohort()), _snapshot(_cohort(median=1.0), taken_at=T0 - timedelta(days=7))
        await _kept(uow, latest, late)
        assert await uow.peer_cohorts.taken_at("dimm", "2.0.0") == T0
        kept = await uow.peer_cohorts.around("dimm", "2.0.0", profile=PROFILE)
        assert kept is not None
        assert kept.snapshot_id == latest.snapshot_id

    async def test_each_model_version_keeps_its_own_snapshot(self) -> None:
        uow = MemoryScoringUnitOfWork()
        await _kept(
            uow, _snapshot(_cohort()), _snapshot(_cohort(), version="2.1.0", taken_at=T0 - timedelta(1))
        )
        assert await uow.peer_cohorts.taken_at("dimm", "2.0.0") == T0
        assert await uow.peer_cohorts.taken_at("dimm", "2.1.0") == T0 - timedelta(1)


@pytest.mark.asyncio
class TestWhoSeesPeers:
    async def test_a_premium_caller_sees_the_finest_cohort_with_its_figures(self) -> None:
        uow = MemoryScoringUnitOfWork()
        diagnostic_id = await _scored(uow)
        await _kept(uow, _snapshot(_cohort(), _cohort("logement-social", median=2.37, levers=("S", "E"))))
        view = await scorecards.scorecard(PREMIUM, diagnostic_id, uow=uow)
        shown = ScorecardView.model_validate(
            present(view.card, view.model, view.record, view.progress, view.comparison)
        )
        assert shown.peers_available_with is None
        assert shown.peers is not None
        assert shown.peers.label == "logement social, toutes tailles, toutes régions"
        assert (shown.peers.organisations, shown.peers.taken_at) == (12, T0)
        assert shown.peers.overall is not None
        assert shown.peers.overall.median == 2.37
        assert shown.peers.overall.quartiles == [1.87, 2.37, 2.87]
        assert set(shown.peers.levers) == {"S", "E"}

    async def test_a_free_caller_is_told_which_plan_shows_peers(self) -> None:
        uow = MemoryScoringUnitOfWork()
        diagnostic_id = await _scored(uow)
        await _kept(uow, _snapshot(_cohort()))
        view = await scorecards.scorecard(FREE, diagnostic_id, uow=uow)
        shown = present(view.card, view.model, view.record, view.progress, view.comparison)
        assert (shown["peers"], shown["peers_available_with"]) == (None, "premium")

    async def test_a_premium_caller_without_a_snapshot_has_no_peers(self) -> None:
        uow = MemoryScoringUnitOfWork()
        diagnostic_id = await _scored(uow)
        view = await scorecards.scorecard(PREMIUM, diagnostic_id, uow=uow)
        shown = present(view.card, view.model, view.record, view.progress, view.comparison)
        assert (shown["peers"], shown["peers_available_with"]) == (None, None)

    async def test_a_simulation_is_compared_with_the_same_peers(self) -> None:
        uow = MemoryScoringUnitOfWork()
        diagnostic_id = await _scored(uow)
        await _kept(uow, _snapshot(_cohort("logement-social", "PME")))
        simulated = await scorecards.simulate(PREMIUM, diagnostic_id, {"SP1": 5}, uow=uow)
        assert simulated.comparison.peers is not None
        assert simulated.comparison.peers.cohort.size_band == "PME"
