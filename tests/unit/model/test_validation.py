"""Model validation: every problem at once, each with its path."""

from __future__ import annotations

from typing import Any

import pytest

from shared.model.validation import InvalidModel, Problem, parse_model
from tests.unit.model.builders import edited, indicator, model


def _problems(document: Any) -> list[Problem]:
    with pytest.raises(InvalidModel) as caught:
        parse_model(document)
    return caught.value.problems


def _first_indicator(document: dict[str, Any]) -> dict[str, Any]:
    indicator_doc: dict[str, Any] = document["levers"][0]["groupements"][0]["indicators"][0]
    return indicator_doc


class TestValidModels:
    def test_a_well_formed_model_parses(self) -> None:
        parsed = parse_model(model())
        assert parsed.ref == "mini@1.0.0"
        assert parsed.indicator_count == 3

    def test_the_content_hash_identifies_the_content(self) -> None:
        changed = edited(model())
        _first_indicator(changed)["name"] = "Autre nom"
        assert parse_model(model()).content_hash == parse_model(model()).content_hash
        assert parse_model(model()).content_hash != parse_model(changed).content_hash


class TestEachProblem:
    def test_a_duplicate_indicator_code(self) -> None:
        document = edited(model())
        document["levers"][0]["groupements"][0]["indicators"].append(indicator("SP1"))
        assert Problem("levers", "duplicate indicator 'SP1'") in _problems(document)

    def test_a_code_whose_prefix_does_not_match_its_groupement(self) -> None:
        document = edited(model())
        document["levers"][0]["groupements"][0]["indicators"].append(indicator("TIA9"))
        [problem] = _problems(document)
        assert problem.path == "levers[0].groupements[0].indicators[2].code"

    def test_a_groupement_that_does_not_start_with_its_lever_prefix(self) -> None:
        document = edited(model())
        document["levers"][1]["groupements"][0]["code"] = "XA"
        document["levers"][1]["groupements"][0]["indicators"] = [indicator("XA1")]
        paths = [p.path for p in _problems(document)]
        assert paths == ["levers[1].groupements[0].code"]

    def test_a_missing_level(self) -> None:
        document = edited(model())
        document["levers"][0]["groupements"][0]["indicators"][0] = indicator("SP1", levels=4)
        assert Problem("levers[0].groupements[0].indicators[0].levels", "level 5 is missing") in _problems(
            document
        )

    @pytest.mark.parametrize("coefficient", [0, 4, -1])
    def test_a_coefficient_outside_one_to_three(self, coefficient: int) -> None:
        document = edited(model())
        _first_indicator(document)["coefficient"] = coefficient
        [problem] = _problems(document)
        assert problem.path.endswith("indicators[0].coefficient")

    @pytest.mark.parametrize("target", [-1, 6])
    def test_a_target_outside_zero_to_five(self, target: int) -> None:
        document = edited(model())
        _first_indicator(document)["default_target"] = target
        _first_indicator(document)["sector_targets"] = {"banque": target}
        paths = sorted(p.path for p in _problems(document))
        assert paths == [
            "levers[0].groupements[0].indicators[0].default_target",
            "levers[0].groupements[0].indicators[0].sector_targets.banque",
        ]

    def test_an_unknown_sector(self) -> None:
        document = edited(model())
        _first_indicator(document)["sector_targets"] = {"spatial": 4}
        assert _problems(document) == [
            Problem(
                "levers[0].groupements[0].indicators[0].sector_targets.spatial", "unknown sector 'spatial'"
            )
        ]

    def test_a_profile_naming_an_unknown_indicator(self) -> None:
        document = edited(model())
        document["profiles"][0]["indicators"].append("ZZ9")
        assert _problems(document) == [Problem("profiles[0].indicators", "unknown indicator 'ZZ9'")]

    def test_an_unknown_size_band_is_a_structural_problem_with_its_path(self) -> None:
        document = edited(model())
        _first_indicator(document)["applicability"]["size_bands"] = ["XXL"]
        [problem] = _problems(document)
        assert problem.path == "levers[0].groupements[0].indicators[0].applicability.size_bands[0]"

    def test_a_version_that_is_not_semantic(self) -> None:
        document = edited(model())
        document["version"] = "v2"
        assert [p.path for p in _problems(document)] == ["version"]

    def test_a_document_that_is_not_an_object(self) -> None:
        assert _problems(["not", "a", "model"])[0].path == "(document)"


class TestEveryProblemAtOnce:
    def test_all_problems_are_reported_together(self) -> None:
        document = edited(model())
        _first_indicator(document)["coefficient"] = 7
        _first_indicator(document)["sector_targets"] = {"spatial": 9}
        document["levers"][0]["groupements"][0]["indicators"][1] = indicator("SP2", levels=3)
        document["profiles"][0]["indicators"].append("ZZ9")
        messages = {p.message for p in _problems(document)}
        assert {
            "coefficient 7 is not 1, 2 or 3",
            "unknown sector 'spatial'",
            "target 9 is outside 0–5",
            "level 4 is missing",
            "level 5 is missing",
            "unknown indicator 'ZZ9'",
        } <= messages
