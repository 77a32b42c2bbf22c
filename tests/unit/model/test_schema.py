"""Rules carried by the model: cumulative levels, targets, applicability, versions, size bands."""

from __future__ import annotations

import pytest

from shared.model.schema import version_key
from shared.model.validation import parse_model
from shared.model.vocabulary import size_band_for
from tests.unit.model.builders import edited, model


def _sp1():  # type: ignore[no-untyped-def]
    indicator = parse_model(model()).indicator("SP1")
    assert indicator is not None
    return indicator


class TestCumulativeLevels:
    def test_no_criterion_met_is_level_zero(self) -> None:
        assert _sp1().level_from_criteria(set()) == 0

    def test_all_criteria_of_the_first_levels_reach_the_last_of_them(self) -> None:
        met = {f"SP1.{n}.{x}" for n in (1, 2, 3) for x in "ab"}
        assert _sp1().level_from_criteria(met) == 3

    def test_a_gap_stops_the_level_even_if_higher_criteria_are_met(self) -> None:
        met = {f"SP1.{n}.{x}" for n in (1, 2, 3, 4, 5) for x in "ab"} - {"SP1.2.b"}
        assert _sp1().level_from_criteria(met) == 1

    def test_every_criterion_met_is_level_five(self) -> None:
        assert _sp1().level_from_criteria(_sp1().criterion_ids) == 5


class TestTargets:
    def test_a_sector_without_its_own_target_gets_the_default(self) -> None:
        assert _sp1().target_for("sante") == 3
        assert _sp1().target_for(None) == 3

    def test_a_sector_target_wins(self) -> None:
        document = edited(model())
        document["levers"][0]["groupements"][0]["indicators"][0]["sector_targets"] = {"banque": 5}
        indicator = parse_model(document).indicator("SP1")
        assert indicator is not None
        assert indicator.target_for("banque") == 5


class TestApplicability:
    def test_applies_only_to_listed_bands_and_types(self) -> None:
        applicability = _sp1().applicability
        assert applicability.applies_to("PME", "entreprise")
        assert not applicability.applies_to("PME", "association")


class TestVersions:
    def test_versions_sort_semantically(self) -> None:
        versions = ["1.10.0", "1.2.0", "2.0.0-rc.1", "2.0.0", "1.2.1"]
        assert sorted(versions, key=version_key) == ["1.2.0", "1.2.1", "1.10.0", "2.0.0-rc.1", "2.0.0"]


class TestSizeBands:
    @pytest.mark.parametrize(
        ("headcount", "band"),
        [(0, "TPE"), (9, "TPE"), (10, "PME"), (249, "PME"), (250, "ETI"), (4999, "ETI"), (5000, "GE")],
    )
    def test_insee_bands(self, headcount: int, band: str) -> None:
        assert size_band_for(headcount) == band

    def test_a_negative_headcount_is_refused(self) -> None:
        with pytest.raises(ValueError, match="negative"):
            size_band_for(-1)
