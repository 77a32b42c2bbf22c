"""Change notices: validation, lifecycle with its events, and which diagnostics they target."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.watch.domain.notices import ModelChange, Notice, Scope
from services.watch.domain.rules import parse_rule
from shared.errors import Conflict, InvalidInput
from shared.events.contracts.watch import NoticePublished, NoticeWithdrawn
from shared.model.diff import Change
from tests.unit.watch import NOW, diagnostic, notice


class TestValidation:
    def test_a_notice_must_touch_something(self) -> None:
        with pytest.raises(InvalidInput, match="names an indicator"):
            notice(scope=Scope())

    def test_a_rule_alone_is_enough(self) -> None:
        assert notice(scope=Scope(), rule=parse_rule("TIO2 < 3")).rule is not None

    def test_the_source_must_be_https(self) -> None:
        with pytest.raises(InvalidInput, match="https"):
            notice(source_url="http://example.org")

    def test_the_deadline_cannot_precede_the_effective_date(self) -> None:
        with pytest.raises(InvalidInput, match="deadline"):
            notice(effective_date=date(2026, 1, 2), deadline=date(2026, 1, 1))

    def test_an_unknown_size_band_is_refused(self) -> None:
        with pytest.raises(InvalidInput, match="size band"):
            Scope(indicators=frozenset({"TIO2"}), size_bands=frozenset({"XXL"}))

    def test_an_empty_version_range_is_refused(self) -> None:
        with pytest.raises(InvalidInput, match="empty"):
            Scope(indicators=frozenset({"TIO2"}), min_model_version="2.0.0", max_model_version="1.0.0")

    def test_only_a_model_notice_carries_a_model_change(self) -> None:
        with pytest.raises(InvalidInput, match="model notice"):
            notice(model_change=ModelChange("1.0.0", "2.0.0", ()))
        with pytest.raises(InvalidInput, match="model notice"):
            notice(kind="model")


class TestLifecycle:
    def test_publishing_records_the_published_event(self) -> None:
        draft = notice(rule=parse_rule("TIO2 ≤ 2"), deadline=date(2026, 12, 31))
        draft.publish(NOW)
        [recorded] = draft.pull_events()
        assert isinstance(recorded.event, NoticePublished)
        assert recorded.subject == draft.id
        assert recorded.event.rule == "TIO2 <= 2"
        assert recorded.event.indicators == ["TIO2"]
        assert recorded.event.published_at == NOW
        assert draft.status == "published"

    def test_publishing_twice_is_a_conflict(self) -> None:
        draft = notice()
        draft.publish(NOW)
        with pytest.raises(Conflict):
            draft.publish(NOW)

    def test_withdrawing_records_the_withdrawn_event(self) -> None:
        published = notice()
        published.publish(NOW)
        published.pull_events()
        published.withdraw(NOW + timedelta(hours=1), "erreur de date")
        [recorded] = published.pull_events()
        assert recorded.event == NoticeWithdrawn(
            notice_id=published.id, reason="erreur de date", withdrawn_at=NOW + timedelta(hours=1)
        )
        assert published.status == "withdrawn"

    def test_a_draft_cannot_be_withdrawn(self) -> None:
        with pytest.raises(Conflict):
            notice().withdraw(NOW, "no")

    def test_a_withdrawal_needs_a_reason(self) -> None:
        published = notice()
        published.publish(NOW)
        with pytest.raises(InvalidInput):
            published.withdraw(NOW, "  ")


class TestEditing:
    def test_a_draft_can_be_edited(self) -> None:
        draft = notice()
        draft.revise(title_fr="Nouveau titre", severity="critical")
        assert (draft.title_fr, draft.severity) == ("Nouveau titre", "critical")

    def test_an_invalid_edit_leaves_the_draft_unchanged(self) -> None:
        draft = notice()
        with pytest.raises(InvalidInput):
            draft.revise(title_fr="Autre", source_url="ftp://x")
        assert draft.title_fr == "Accessibilité"

    def test_a_published_notice_cannot_be_edited(self) -> None:
        published = notice()
        published.publish(NOW)
        with pytest.raises(Conflict):
            published.revise(title_fr="x")

    def test_only_editable_fields_can_be_edited(self) -> None:
        with pytest.raises(InvalidInput, match="status"):
            notice().revise(status="published")


class TestTargetingWithoutRule:
    def test_a_diagnostic_having_a_touched_indicator_is_targeted_even_unanswered(self) -> None:
        assert notice().targets(diagnostic({"TIO2": None}))

    def test_a_diagnostic_without_the_indicator_is_not_targeted(self) -> None:
        assert not notice().targets(diagnostic({"ORS3": 2}))

    def test_a_touched_groupement_or_lever_counts(self) -> None:
        assert notice(scope=Scope(groupements=frozenset({"TIO"}))).targets(diagnostic({"TIO5": 1}))
        assert notice(scope=Scope(levers=frozenset({"TI"}))).targets(diagnostic({"TIA3": 1}))
        assert not notice(scope=Scope(levers=frozenset({"TI"}))).targets(diagnostic({"ER3": 1}))


class TestTargetingFilters:
    @pytest.mark.parametrize(
        ("scope", "targeted"),
        [
            ({"sectors": frozenset({"banque"})}, False),
            ({"sectors": frozenset({"commerce"})}, True),
            ({"size_bands": frozenset({"TPE"})}, False),
            ({"organisation_types": frozenset({"administration"})}, False),
            ({"model_id": "autre"}, False),
            ({"min_model_version": "2.0.1"}, False),
            ({"max_model_version": "1.9.0"}, False),
            ({"min_model_version": "1.0.0", "max_model_version": "2.0.0"}, True),
        ],
    )
    def test_profile_and_version_filters_apply(self, scope: dict[str, object], targeted: bool) -> None:
        touched = notice(scope=Scope(indicators=frozenset({"TIO2"}), **scope))  # type: ignore[arg-type]
        assert touched.targets(diagnostic()) is targeted

    def test_versions_compare_as_semantic_versions(self) -> None:
        scoped = notice(scope=Scope(indicators=frozenset({"TIO2"}), min_model_version="2.0.0"))
        assert scoped.targets(diagnostic(model_version="10.0.0"))


class TestTargetingWithRule:
    def test_the_rule_decides(self) -> None:
        ruled = notice(rule=parse_rule("TIO2 < 3"))
        assert ruled.targets(diagnostic({"TIO2": 2}))
        assert not ruled.targets(diagnostic({"TIO2": 3}))

    def test_an_unanswered_indicator_does_not_match_the_rule(self) -> None:
        assert not notice(rule=parse_rule("TIO2 < 3")).targets(diagnostic({"TIO2": None}))


class TestTargetingModelNotices:
    def _model_notice(self) -> Notice:
        change = Change(kind="default_target_changed", indicator="TIO2", before=3, after=4)
        return notice(
            kind="model",
            scope=Scope(indicators=frozenset({"TIO2"}), model_id="dimm"),
            model_change=ModelChange("2.0.0", "2.1.0", (change,)),
        )

    def test_a_diagnostic_on_the_from_version_answering_a_changed_indicator_is_targeted(self) -> None:
        assert self._model_notice().targets(diagnostic({"TIO2": 1}))

    def test_an_earlier_version_is_targeted_too(self) -> None:
        assert self._model_notice().targets(diagnostic({"TIO2": 1}, model_version="1.0.0"))

    def test_the_new_version_itself_is_not_targeted(self) -> None:
        assert not self._model_notice().targets(diagnostic({"TIO2": 1}, model_version="2.1.0"))

    def test_an_unanswered_changed_indicator_does_not_count(self) -> None:
        assert not self._model_notice().targets(diagnostic({"TIO2": None, "ORS3": 2}))

    def test_another_model_is_not_targeted(self) -> None:
        assert not self._model_notice().targets(diagnostic({"TIO2": 1}, model_id="autre"))


class TestNewerThan:
    def test_the_later_scored_diagnostic_is_newer(self) -> None:
        older, newer = diagnostic(scored_at=NOW - timedelta(days=2)), diagnostic(scored_at=NOW)
        assert newer.newer_than(older)
        assert not older.newer_than(newer)

    def test_ties_are_broken_by_diagnostic_id(self) -> None:
        first = diagnostic(scored_at=NOW, diagnostic_id="dg_a")
        second = diagnostic(scored_at=NOW, diagnostic_id="dg_b")
        assert second.newer_than(first)
        assert not first.newer_than(second)
