"""A new model version drafts its own notice from the diff with the previous version."""

from __future__ import annotations

from typing import Any

import pytest

from services.watch.domain.model_notices import notice_from_diff, target_moves
from shared.errors import InvalidInput
from shared.events.contracts.watch import NoticePublished
from shared.model.diff import diff_models
from shared.model.schema import MaturityModel
from shared.model.validation import parse_model
from tests.unit.model.builders import criterion, edited, indicator, model
from tests.unit.watch import NOW


def _versions(change: Any) -> tuple[MaturityModel, MaturityModel]:
    old = model(version="2.0.0")
    new = edited(old)
    new["version"] = "2.1.0"
    change(new)
    return parse_model(old), parse_model(new)


def _indicators(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["code"]: i for lv in document["levers"] for g in lv["groupements"] for i in g["indicators"]}


def _raise_tia1(document: dict[str, Any]) -> None:
    _indicators(document)["TIA1"]["default_target"] = 4


def _describe_sp2(document: dict[str, Any]) -> None:
    _indicators(document)["SP2"]["description"] = "Nouvelle description"


def _many(document: dict[str, Any]) -> None:
    found = _indicators(document)
    found["TIA1"]["sector_targets"] = {"banque": 4}
    found["SP2"]["description"] = "Nouvelle description"
    found["SP1"]["levels"][1]["criteria"].append(criterion("SP1", 2, "c"))
    document["levers"][1]["groupements"][0]["indicators"].append(indicator("TIA2"))


def _draft(change: Any) -> Any:
    old, new = _versions(change)
    return notice_from_diff(
        diff_models(old, new), from_model=old, to_model=new, notice_id="ntc_mini_2_1_0", at=NOW
    )


class TestTitleAndSummary:
    def test_a_default_target_rise_is_named_in_the_title(self) -> None:
        assert _draft(_raise_tia1).title_fr == (
            "Édition 2.1.0 du modèle MINI : 1 indicateur modifié, "
            "cible de TIA1 relevée à 4 pour tous les secteurs"
        )

    def test_a_sector_target_rise_names_the_sector(self) -> None:
        title = _draft(_many).title_fr
        assert title.startswith("Édition 2.1.0 du modèle MINI : 3 indicateurs modifiés, 1 indicateur ajouté")
        assert "cible de TIA1 relevée à 4 pour le secteur Banque" in title

    def test_the_summary_lists_added_indicators_and_criteria(self) -> None:
        summary = _draft(_many).summary_fr
        assert "de l'édition 2.0.0 à l'édition 2.1.0" in summary
        assert "Indicateurs ajoutés : TIA2." in summary
        assert "1 critère ajouté" in summary


class TestSeverity:
    def test_a_target_rise_is_a_warning(self) -> None:
        assert _draft(_raise_tia1).severity == "warning"

    def test_an_added_criterion_is_a_warning(self) -> None:
        def add(document: dict[str, Any]) -> None:
            _indicators(document)["SP1"]["levels"][0]["criteria"].append(criterion("SP1", 1, "c"))

        assert _draft(add).severity == "warning"

    def test_a_description_change_is_information(self) -> None:
        assert _draft(_describe_sp2).severity == "info"

    def test_a_lowered_target_is_information(self) -> None:
        def lower(document: dict[str, Any]) -> None:
            _indicators(document)["TIA1"]["default_target"] = 2

        assert _draft(lower).severity == "info"


class TestScope:
    def test_the_touched_indicators_are_those_of_the_diff(self) -> None:
        old, new = _versions(_many)
        draft = _draft(_many)
        assert (
            draft.scope.indicators
            == diff_models(old, new).indicators_touched
            == {"TIA1", "SP1", "SP2", "TIA2"}
        )

    def test_it_is_a_model_notice_from_the_old_version(self) -> None:
        draft = _draft(_raise_tia1)
        assert (draft.kind, draft.scope.model_id, draft.scope.max_model_version) == ("model", "mini", "2.0.0")
        assert draft.model_change is not None
        assert (draft.model_change.from_version, draft.model_change.to_version) == ("2.0.0", "2.1.0")
        assert draft.status == "draft"

    def test_a_diff_of_other_versions_is_refused(self) -> None:
        old, new = _versions(_raise_tia1)
        with pytest.raises(InvalidInput):
            notice_from_diff(diff_models(new, old), from_model=old, to_model=new, notice_id="n", at=NOW)


class TestTargetMoves:
    def test_a_sector_target_set_for_the_first_time_moves_from_the_default(self) -> None:
        old, new = _versions(_many)
        [move] = target_moves(old, new)
        assert (move.code, move.before, move.after, move.sectors) == ("TIA1", 3, 4, ("banque",))


class TestPublishedChanges:
    def test_criteria_travel_as_their_text(self) -> None:
        draft = _draft(_many)
        draft.publish(NOW)
        [recorded] = draft.pull_events()
        assert isinstance(recorded.event, NoticePublished)
        assert recorded.event.model_change is not None
        added = [c for c in recorded.event.model_change.changes if c.kind == "criterion_added"]
        assert [c.after for c in added] == ["Exigence c du niveau 2 de SP1"]
