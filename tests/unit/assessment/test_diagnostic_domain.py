"""Consolidation, divergence, completeness and submission rules, without I/O."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.assessment.domain.answers import Answer, Given
from services.assessment.domain.consolidation import (
    ScopedIndicator,
    Validated,
    agreed_criteria,
    assurance,
    completeness,
    consolidate,
    lower_median,
)
from services.assessment.domain.diagnostics import (
    Diagnostic,
    DiagnosticRuleError,
    MissingIndicators,
)
from services.assessment.domain.organisations import siren_is_valid
from shared.errors import InvalidInput, NotFound
from shared.events.contracts.assessment import DiagnosticSubmitted, DiagnosticWithdrawn
from shared.model.editions import shipped_edition
from shared.model.schema import Indicator

T0 = datetime(2026, 11, 26, tzinfo=UTC)
SP1 = ScopedIndicator("SP1", "S", "SP", allows_na=False)
OFC2 = ScopedIndicator("OFC2", "OF", "OFC", allows_na=True)


def _answers(code: str, *levels: int | None) -> list[Answer]:
    return [Answer(f"r{i}", code, level, level is None) for i, level in enumerate(levels)]


PROFILE = {"sector": "commerce", "size_band": "PME", "region": "bretagne", "organisation_type": "entreprise"}


def _record(*indicators: ScopedIndicator, status: str = "draft") -> Diagnostic:
    return Diagnostic("dg", "acc", "org", "dimm", "2.0.0", "full", PROFILE, indicators, status, T0)  # type: ignore[arg-type]


class TestLowerMedian:
    @pytest.mark.parametrize(
        ("levels", "expected"), [([3], 3), ([1, 4], 1), ([1, 3, 4], 3), ([4, 1, 3, 2], 2)]
    )
    def test_examples(self, levels: list[int], expected: int) -> None:
        assert lower_median(levels) == expected

    @given(st.lists(st.integers(0, 5), min_size=1, max_size=12))
    def test_it_is_one_of_the_levels_and_at_most_half_are_below(self, levels: list[int]) -> None:
        median = lower_median(levels)
        assert median in levels
        assert sum(level < median for level in levels) <= len(levels) // 2


class TestConsolidate:
    def test_respondents_give_the_lower_median(self) -> None:
        result = consolidate(SP1, _answers("SP1", 1, 3, 4), None)
        assert (result.level, result.source, result.spread, result.divergent) == (3, "respondents", 3, True)

    def test_a_spread_of_one_is_no_divergence(self) -> None:
        assert not consolidate(SP1, _answers("SP1", 2, 3), None).divergent

    def test_a_validated_level_wins(self) -> None:
        result = consolidate(SP1, _answers("SP1", 1, 1), Validated(4, False))
        assert (result.level, result.source) == (4, "validated")

    def test_na_only_when_every_answer_says_so_and_the_model_allows_it(self) -> None:
        assert consolidate(OFC2, _answers("OFC2", None, None), None).not_applicable
        assert consolidate(OFC2, _answers("OFC2", None, 2), None).level == 2
        assert not consolidate(SP1, _answers("SP1", None), None).settled

    def test_no_answer_is_not_settled(self) -> None:
        assert consolidate(SP1, [], None).source == "none"


class TestCompleteness:
    def test_counts_per_lever(self) -> None:
        scope = [SP1, OFC2]
        result = completeness(scope, {"SP1": consolidate(SP1, _answers("SP1", 2), None)})
        assert (result.settled, result.applicable, result.per_lever) == (1, 2, {"S": (1, 1), "OF": (0, 1)})
        assert result.ratio == 0.5


class TestAssurance:
    def test_every_settled_indicator_validated_is_expert_validated(self) -> None:
        consolidated = {
            "SP1": consolidate(SP1, _answers("SP1", 1), Validated(3, False)),
            "OFC2": consolidate(OFC2, [], Validated(None, True)),
        }
        assert assurance(consolidated) == "expert_validated"

    def test_one_level_from_the_respondents_is_self_assessed(self) -> None:
        consolidated = {
            "SP1": consolidate(SP1, [], Validated(3, False)),
            "OFC2": consolidate(OFC2, _answers("OFC2", 2), None),
        }
        assert assurance(consolidated) == "self_assessed"

    def test_unsettled_indicators_are_not_counted(self) -> None:
        consolidated = {"SP1": consolidate(SP1, [], Validated(3, False)), "OFC2": consolidate(OFC2, [], None)}
        assert assurance(consolidated) == "expert_validated"

    def test_nothing_settled_is_self_assessed(self) -> None:
        assert assurance({"SP1": consolidate(SP1, [], None)}) == "self_assessed"

    def test_the_submitted_event_carries_it(self) -> None:
        diagnostic = _record(SP1)
        diagnostic.validate(_indicator("SP1"), Given(level=2), at=T0)
        diagnostic.submit(_answers("SP1", 4), at=T0)
        [recorded] = diagnostic.pull_events()
        assert isinstance(recorded.event, DiagnosticSubmitted)
        assert recorded.event.assurance == "expert_validated"


class TestRecord:
    def test_submission_lists_every_missing_indicator(self) -> None:
        with pytest.raises(MissingIndicators) as caught:
            _record(SP1, OFC2).submit(_answers("SP1", 2), at=T0)
        assert caught.value.missing == ["OFC2"]

    def test_submission_moves_a_complete_draft_and_records_its_event(self) -> None:
        diagnostic = _record(SP1)
        diagnostic.submit(_answers("SP1", 2), at=T0)
        assert diagnostic.status == "submitted"
        assert diagnostic.status_at == {"submitted": T0}
        [recorded] = diagnostic.pull_events()
        assert isinstance(recorded.event, DiagnosticSubmitted)
        assert recorded.event.levels == {"SP1": 2}
        assert recorded.event.assurance == "self_assessed"
        assert recorded.subject == "org"
        assert diagnostic.pull_events() == []

    def test_a_refused_submission_records_nothing(self) -> None:
        diagnostic = _record(SP1, OFC2)
        with pytest.raises(MissingIndicators):
            diagnostic.submit(_answers("SP1", 2), at=T0)
        assert (diagnostic.status, diagnostic.pull_events()) == ("draft", [])

    def test_withdrawal_records_its_event(self) -> None:
        diagnostic = _record(SP1, status="submitted")
        diagnostic.withdraw(at=T0)
        [recorded] = diagnostic.pull_events()
        assert isinstance(recorded.event, DiagnosticWithdrawn)

    def test_only_a_draft_changes(self) -> None:
        with pytest.raises(DiagnosticRuleError):
            _record(SP1, status="submitted").validate(_indicator("SP1"), Given(level=2), at=T0)
        submitted = _with_respondent(SP1)
        submitted.status = "submitted"
        with pytest.raises(DiagnosticRuleError):
            submitted.answer("r0", _indicator("SP1"), Given(level=2), at=T0)
        with pytest.raises(DiagnosticRuleError):
            _record(SP1, status="withdrawn").withdraw(at=T0)

    def test_na_cannot_be_validated_where_the_model_forbids_it(self) -> None:
        with pytest.raises(InvalidInput, match="not applicable"):
            _record(SP1).validate(_indicator("SP1"), Given(not_applicable=True), at=T0)


def _indicator(code: str) -> Indicator:
    found = shipped_edition("2.0.0").indicator(code)
    assert found is not None
    return found


def _with_respondent(*indicators: ScopedIndicator) -> Diagnostic:
    from services.assessment.domain.diagnostics import Respondent

    diagnostic = _record(*indicators)
    diagnostic.invite(Respondent("r0", "Claire", "direction", T0))
    return diagnostic


class TestAnswerRules:
    def test_criteria_give_the_level_cumulatively(self) -> None:
        sp1 = _indicator("SP1")
        level1 = [c.id for c in sp1.levels[0].criteria]
        level3 = [c.id for c in sp1.levels[2].criteria]
        stored = _with_respondent(SP1).answer("r0", sp1, Given(criteria_met=(*level1, *level3)), at=T0)
        assert stored.answer.level == 1  # level 2 is not met, so level 3's criteria do not count
        assert stored.answer.criteria_met == (*level1, *level3)

    def test_exactly_one_statement_is_given(self) -> None:
        with pytest.raises(InvalidInput, match="exactly one"):
            _with_respondent(SP1).answer("r0", _indicator("SP1"), Given(level=2, not_applicable=True), at=T0)

    def test_evidence_may_only_name_the_indicators_criteria(self) -> None:
        from services.assessment.domain.answers import Evidence

        given = Given(level=2, evidence=(Evidence("note", "PV du comité", "TIA3.1.a"),))
        with pytest.raises(InvalidInput, match="Evidence"):
            _with_respondent(SP1).answer("r0", _indicator("SP1"), given, at=T0)

    def test_an_indicator_outside_the_scope_is_not_found(self) -> None:
        with pytest.raises(NotFound):
            _with_respondent(SP1).answer("r0", _indicator("TIA3"), Given(level=2), at=T0)

    def test_an_unknown_or_revoked_respondent_cannot_answer(self) -> None:
        diagnostic = _with_respondent(SP1)
        diagnostic.revoke_respondent("r0", at=T0)
        with pytest.raises(NotFound):
            diagnostic.answer("r0", _indicator("SP1"), Given(level=2), at=T0)


class TestCriteriaMet:
    def test_the_criteria_ticked_by_every_respondent_who_used_criteria(self) -> None:
        answers = [
            Answer("a", "SP1", 2, False, ("x", "y", "z")),
            Answer("b", "SP1", 3, False, ("y", "z", "w")),
            Answer("c", "SP1", 4, False, None),  # chose a level: says nothing of the criteria
        ]
        assert agreed_criteria(answers) == {"y", "z"}
        assert consolidate(SP1, answers, None).criteria_met == {"y", "z"}

    def test_the_validators_criteria_win(self) -> None:
        answers = [Answer("a", "SP1", 2, False, ("x", "y"))]
        validated = consolidate(SP1, answers, Validated(3, False, ("q",)))
        assert validated.criteria_met == {"q"}
        assert consolidate(SP1, answers, Validated(3, False)).criteria_met == frozenset()

    def test_the_submitted_event_carries_them(self) -> None:
        diagnostic = _record(SP1)
        diagnostic.submit([Answer("a", "SP1", 1, False, ("SP1.1.a", "SP1.1.b", "SP1.2.a"))], at=T0)
        [recorded] = diagnostic.pull_events()
        assert isinstance(recorded.event, DiagnosticSubmitted)
        assert recorded.event.criteria_met == {"SP1": ["SP1.1.a", "SP1.1.b", "SP1.2.a"]}


class TestSiren:
    @pytest.mark.parametrize("siren", ["732829320", "552100554", "443061841"])
    def test_valid_sirens(self, siren: str) -> None:
        assert siren_is_valid(siren)

    @pytest.mark.parametrize("siren", ["732829321", "12345678", "abcdefghi", "1234567890"])
    def test_invalid_sirens(self, siren: str) -> None:
        assert not siren_is_valid(siren)
