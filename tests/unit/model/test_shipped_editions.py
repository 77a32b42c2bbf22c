"""The DIMM reference edition we ship: structure, known codes, and the v1 → v2 changes."""

from __future__ import annotations

from collections import Counter

import pytest

from shared.model.diff import diff_models
from shared.model.editions import SECTORS, SME_PROFILE, shipped_edition, shipped_editions
from shared.model.schema import MaturityModel

KNOWN = {
    "SP1": "Construction du plan stratégique de l'entité économique par le top management",
    "SE4": "Part des nouveaux services non-cœur de métier et relais de croissance",
    "ORM1": "Structures agiles et degré de niveaux hiérarchiques",
    "ORS6": "Dynamique de gestion d'une plateforme avec des tiers pour les APIs développées",
    "PE1": "Capacité à attirer des talents et à les fidéliser (indicateur d'expertise n°1)",
    "PE4": "Motivation et récompense modulée selon l'accompagnement au changement",
    "OFC1": "Disponibilité des services sur les canaux numériques et omnicanalité",
    "OFC2": "Capacité à piloter ses stocks et à initier des réassorts automatiques grâce au numérique "
    "tout en étant en flux tendus",
    "OFC6": "Temps de décision de commercialisation d'un nouveau service depuis l'idéation",
    "OFE4": "Degré de maturité des agences physiques",
    "TIA3": "Niveau de robustesse et de sécurité des solutions",
    "TIA5": "Données dans le cloud",
    "TIO2": "Accessibilité des sites et des App de l'organisation",
    "EE4": "Ratio nombre de sociétés utilisatrices des APIs développées par l'entité économique par "
    "rapport au nombre d'employés",
}
V2_ONLY = {
    "ER3": "Degré de maturité dans le respect des standards de développement durable des produits numériques",
    "EL4": "Capacité à faire évoluer la société en matière de sobriété numérique",
}


@pytest.fixture(scope="module", params=["1.0.0", "2.0.0"])
def edition(request: pytest.FixtureRequest) -> MaturityModel:
    return shipped_edition(request.param)


class TestStructure:
    def test_six_levers_in_the_published_order(self, edition: MaturityModel) -> None:
        assert [lever.code for lever in edition.levers] == ["S", "OR", "PE", "OF", "TI", "E"]
        assert [lever.name for lever in edition.levers] == [
            "Stratégie",
            "Organisation",
            "Personnel",
            "Offre",
            "Technologie & Innovation",
            "Environnement",
        ]

    def test_indicator_counts(self) -> None:
        assert shipped_edition("1.0.0").indicator_count == 113
        assert shipped_edition("2.0.0").indicator_count == 115

    def test_the_offre_lever_has_four_groupements_and_22_indicators(self, edition: MaturityModel) -> None:
        offre = next(lever for lever in edition.levers if lever.code == "OF")
        assert [g.code for g in offre.groupements] == ["OFI", "OFC", "OFM", "OFE"]
        assert sum(len(g.indicators) for g in offre.groupements) == 22

    def test_known_codes_and_names_are_verbatim(self, edition: MaturityModel) -> None:
        for code, name in KNOWN.items():
            found = edition.indicator(code)
            assert found is not None, code
            if code != "TIO2" or edition.version == "1.0.0":
                assert found.name == name

    def test_er3_and_el4_exist_only_in_v2(self) -> None:
        for code, name in V2_ONLY.items():
            assert shipped_edition("1.0.0").indicator(code) is None
            found = shipped_edition("2.0.0").indicator(code)
            assert found is not None
            assert found.name == name

    def test_eighteen_sectors_including_those_the_articles_name(self, edition: MaturityModel) -> None:
        codes = {s.code for s in edition.sectors}
        assert len(codes) == 18
        assert {
            "automobile",
            "medias",
            "sante",
            "tourisme",
            "logement-social",
            "dispositifs-medicaux",
            "agroalimentaire",
            "commerce",
            "banque",
            "assurance",
        } <= codes
        assert codes == set(SECTORS)

    def test_about_half_apply_to_tpe_and_pme(self, edition: MaturityModel) -> None:
        small = [p for p in edition.places() if {"TPE", "PME"} <= set(p.indicator.applicability.size_bands)]
        assert 0.4 <= len(small) / edition.indicator_count <= 0.6

    def test_coefficients_one_two_and_three_are_all_used(self, edition: MaturityModel) -> None:
        assert set(Counter(p.indicator.coefficient for p in edition.places())) == {1, 2, 3}

    def test_some_sectors_expect_other_levels(self, edition: MaturityModel) -> None:
        assert any(p.indicator.sector_targets for p in edition.places())

    def test_the_sme_profile_names_the_ten_priorities(self, edition: MaturityModel) -> None:
        profile = edition.profile("pme-10-priorites")
        assert profile is not None
        assert profile.name == "PME — 10 priorités"
        assert profile.indicators == SME_PROFILE
        for code in SME_PROFILE:
            found = edition.indicator(code)
            assert found is not None
            assert {"TPE", "PME"} <= set(found.applicability.size_bands)

    def test_criteria_differ_from_one_level_to_the_next(self, edition: MaturityModel) -> None:
        texts = [c.text for p in edition.places() for lvl in p.indicator.levels for c in lvl.criteria]
        assert len(texts) == len(set(texts))

    def test_every_criterion_says_what_evidence_to_ask_for(self, edition: MaturityModel) -> None:
        assert all(c.evidence for p in edition.places() for lvl in p.indicator.levels for c in lvl.criteria)

    def test_the_edition_says_it_is_ours(self, edition: MaturityModel) -> None:
        assert "rédigée par nos soins" in edition.description
        assert "grille du livre" in edition.description


class TestV1ToV2:
    def test_the_diff_contains_exactly_the_authored_changes(self) -> None:
        diff = diff_models(shipped_edition("1.0.0"), shipped_edition("2.0.0"))
        assert diff.indicators_touched == {"ER3", "EL4", "TIO1", "TIO2", "TIO4", "OFE3", "EE2"}
        kinds = {(c.indicator, c.kind) for c in diff.changes}
        assert ("ER3", "indicator_added") in kinds
        assert ("EL4", "indicator_added") in kinds
        assert not {k for _, k in kinds} & {
            "indicator_removed",
            "lever_added",
            "groupement_added",
            "sector_added",
        }

    def test_tio2_is_rebased_from_accessiweb_to_rgaa(self) -> None:
        old, new = shipped_edition("1.0.0").indicator("TIO2"), shipped_edition("2.0.0").indicator("TIO2")
        assert old is not None
        assert new is not None
        old_text = " ".join(c.text for lvl in old.levels for c in lvl.criteria)
        new_text = " ".join(c.text for lvl in new.levels for c in lvl.criteria)
        assert "AccessiWeb" in old_text
        assert "AccessiWeb" not in new_text
        assert "RGAA" in new_text

    def test_tio4_is_renamed_and_weighs_more(self) -> None:
        diff = diff_models(shipped_edition("1.0.0"), shipped_edition("2.0.0"))
        changes = {c.kind: c for c in diff.changes if c.indicator == "TIO4"}
        assert changes["coefficient_changed"].before == 1
        assert changes["coefficient_changed"].after == 2
        assert changes["indicator_renamed"].after.startswith("Équipement, mobilité et sécurité")

    def test_ofe3_gains_targets_for_health_and_social_housing(self) -> None:
        diff = diff_models(shipped_edition("1.0.0"), shipped_edition("2.0.0"))
        targets = {c.field: (c.before, c.after) for c in diff.changes if c.kind == "sector_target_changed"}
        assert targets == {"sante": (None, 4), "logement-social": (None, 4)}

    def test_editions_are_listed_oldest_first(self) -> None:
        assert [m.version for m in shipped_editions()] == ["1.0.0", "2.0.0"]
