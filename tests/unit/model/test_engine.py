"""The scoring engine on hand-computed small models, and its properties on generated diagnostics."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.model.editions import shipped_edition
from shared.model.engine import (
    CACHE_SIZE,
    DiagnosticInput,
    Scorecard,
    advice_for,
    compile_model,
    priority,
    score,
)
from shared.model.schema import Criterion, MaturityModel
from shared.model.validation import parse_model
from tests.unit.model.builders import criterion, edited, indicator, model


def _model() -> MaturityModel:
    """SP1 ×3, SP2 ×2 (N/A allowed, banque target 5), TIA1 ×1."""
    document: dict[str, Any] = edited(model())
    sp2 = indicator("SP2", coefficient=2, allows_na=True, sector_targets={"banque": 5})
    document["levers"][0]["groupements"][0]["indicators"][1] = sp2
    return parse_model(document)


def _score(
    levels: dict[str, int],
    *,
    na: frozenset[str] = frozenset(),
    sector: str | None = None,
    scope: str = "full",
    met: Mapping[str, frozenset[str]] | None = None,
) -> Scorecard:
    diagnostic = DiagnosticInput(
        sector=sector, scope=scope, levels=levels, not_applicable=frozenset(na), criteria_met=met or {}
    )
    return score(_model(), diagnostic)


def _criteria(code: str, level: int, *letters: str) -> tuple[Criterion, ...]:
    return tuple(Criterion.model_validate(criterion(code, level, letter)) for letter in letters)


class TestHandComputed:
    def test_weighted_means_per_lever_and_overall(self) -> None:
        card = _score({"SP1": 4, "SP2": 1, "TIA1": 2})
        levers = {s.code: s for s in card.levers}
        assert levers["S"].score == pytest.approx((3 * 4 + 2 * 1) / 5)
        assert levers["TI"].score == 2
        assert card.overall.score == pytest.approx((12 + 2 + 2) / 6)
        assert (card.overall.weighted_sum, card.overall.coefficient_sum) == (16, 6)

    def test_na_leaves_numerator_and_denominator(self) -> None:
        card = _score({"SP1": 4, "TIA1": 2}, na=frozenset({"SP2"}))
        assert card.overall.score == pytest.approx((12 + 2) / 4)
        sp2 = next(i for i in card.indicators if i.code == "SP2")
        assert (sp2.not_applicable, sp2.advice, sp2.contribution) == (True, None, 0)

    def test_indicators_outside_the_scope_are_not_scored(self) -> None:
        card = _score({"SP1": 2}, scope="rapide")
        assert [i.code for i in card.indicators] == ["SP1"]
        assert card.overall.score == 2
        assert {s.code: s.score for s in card.levers} == {"S": 2, "TI": None}
        assert "rapide" in card.method[-1]

    def test_sector_targets_gaps_and_advice(self) -> None:
        card = _score({"SP1": 3, "SP2": 2, "TIA1": 0}, sector="banque")
        by_code = {i.code: i for i in card.indicators}
        assert (by_code["SP1"].target, by_code["SP1"].gap, by_code["SP1"].advice) == (3, 0, "strength")
        assert (by_code["SP2"].target, by_code["SP2"].gap, by_code["SP2"].advice) == (5, 3, "improve")
        assert (by_code["TIA1"].target, by_code["TIA1"].gap, by_code["TIA1"].advice) == (3, 3, "improve")

    def test_percent_to_target(self) -> None:
        card = _score({"SP1": 3, "SP2": 2, "TIA1": 0}, sector="banque")
        assert card.percent_to_target == pytest.approx(1 - (0 + 3 + 3) / (3 + 5 + 3))

    def test_the_roadmap_is_ordered_by_priority_and_names_the_next_criteria(self) -> None:
        card = _score({"SP1": 1, "SP2": 2, "TIA1": 0}, sector="banque")
        assert [(a.code, a.priority) for a in card.roadmap] == [("SP2", 30), ("SP1", 24), ("TIA1", 15)]
        assert card.roadmap[0].next_level == 3
        assert card.roadmap[0].criteria == _criteria("SP2", 3, "a", "b")

    def test_rules_of_advice_and_priority(self) -> None:
        assert [advice_for(g) for g in (-2, 0, 1, 2, 5)] == [
            "strength",
            "strength",
            "attention",
            "improve",
            "improve",
        ]
        assert [priority(3, g) for g in (1, 2)] == [9, 24]

    def test_the_method_says_the_actions_name_the_criteria_not_yet_met(self) -> None:
        assert "pas encore remplis" in _score({"SP1": 1}).method[3]


class TestUnmetCriteria:
    def test_the_action_names_only_the_criteria_not_yet_met(self) -> None:
        card = _score({"SP1": 1, "SP2": 2, "TIA1": 0}, sector="banque", met={"SP2": frozenset({"SP2.3.a"})})
        actions = {a.code: a for a in card.roadmap}
        assert actions["SP2"].criteria == _criteria("SP2", 3, "b")
        assert actions["SP1"].criteria == _criteria("SP1", 2, "a", "b")

    def test_criteria_of_other_levels_are_irrelevant(self) -> None:
        met = {"SP2": frozenset({"SP2.1.a", "SP2.2.b", "SP2.4.a", "SP2.4.b"})}
        card = _score({"SP2": 2}, sector="banque", met=met)
        assert card.roadmap[0].criteria == _criteria("SP2", 3, "a", "b")

    def test_with_every_criterion_met_the_action_stays_and_names_none(self) -> None:
        card = _score({"SP2": 2}, sector="banque", met={"SP2": frozenset({"SP2.3.a", "SP2.3.b"})})
        assert [(a.code, a.priority, a.criteria) for a in card.roadmap] == [("SP2", 30, ())]

    def test_the_roadmap_ignores_later_changes_to_the_callers_mapping(self) -> None:
        met = {"SP2": frozenset({"SP2.3.a"})}
        card = _score({"SP2": 2}, sector="banque", met=met)
        met["SP2"] = frozenset()
        assert card.roadmap[0].criteria == _criteria("SP2", 3, "b")


class TestInvalidLevels:
    @pytest.mark.parametrize("level", [-1, 6, 2.5])
    def test_a_level_outside_zero_to_five_is_refused(self, level: Any) -> None:
        with pytest.raises(ValueError, match="0–5"):
            _score({"SP1": level})

    def test_a_level_of_an_na_indicator_or_an_unknown_code_is_ignored(self) -> None:
        card = _score({"SP1": 2, "SP2": 9, "ZZ1": 7}, na=frozenset({"SP2"}))
        assert card.overall.score == 2


class TestScorecard:
    def test_equal_inputs_give_equal_scorecards(self) -> None:
        first, second = _score({"SP1": 1, "SP2": 4}), _score({"SP1": 1, "SP2": 4})
        assert first == second
        assert hash(first) == hash(second)

    def test_equality_compares_the_roadmap_too(self) -> None:
        plain = _score({"SP2": 2}, sector="banque")
        with_met = _score({"SP2": 2}, sector="banque", met={"SP2": frozenset({"SP2.3.a"})})
        assert (plain.overall, plain.levers) == (with_met.overall, with_met.levers)
        assert plain != with_met

    def test_advice_lists_the_indicators_of_a_kind_in_model_order(self) -> None:
        card = _score({"SP1": 3, "SP2": 2, "TIA1": 0}, sector="banque")
        assert [i.code for i in card.advice("improve")] == ["SP2", "TIA1"]


class TestCompileCache:
    def test_compiling_twice_returns_the_same_object(self) -> None:
        assert compile_model(_model()) is compile_model(_model())

    def test_two_versions_compile_apart(self) -> None:
        v1, v2 = compile_model(shipped_edition("1.0.0")), compile_model(shipped_edition("2.0.0"))
        assert v1 is not v2
        assert (len(v1.codes), len(v2.codes)) == (113, 115)

    def test_the_least_recently_used_version_is_dropped(self) -> None:
        first = compile_model(parse_model(model(version="9.0.0")))
        for patch in range(1, CACHE_SIZE + 1):
            compile_model(parse_model(model(version=f"9.0.{patch}")))
        assert compile_model(parse_model(model(version="9.0.0"))) is not first

    def test_no_or_an_unknown_sector_reads_the_default_targets(self) -> None:
        compiled = compile_model(_model())
        assert compiled.sectors == ("banque",)
        assert [compiled.sector_index(s) for s in ("banque", None, "", "inconnu")] == [0, 1, 1, 1]
        assert compiled.targets[1] == (3, 3, 3)
        assert compiled.targets[0] == (3, 5, 3)


LEVELS = st.integers(0, 5)


@st.composite
def diagnostics(draw: st.DrawFn) -> DiagnosticInput:
    edition = shipped_edition("2.0.0")
    codes = [p.indicator.code for p in edition.places()]
    chosen = draw(st.lists(st.sampled_from(codes), min_size=1, max_size=40, unique=True))
    na = {c for c in chosen if edition.indicator(c).allows_na and draw(st.booleans())}  # type: ignore[union-attr]
    levels = {c: draw(LEVELS) for c in chosen if c not in na}
    sector = draw(st.sampled_from([None, "banque", "sante", "commerce"]))
    return DiagnosticInput(sector=sector, scope="full", levels=levels, not_applicable=frozenset(na))


class TestProperties:
    @given(diagnostics())
    def test_scores_stay_within_zero_and_five(self, diagnostic: DiagnosticInput) -> None:
        card = score(shipped_edition("2.0.0"), diagnostic)
        for s in (card.overall, *card.levers, *card.groupements):
            assert s.score is None or 0 <= s.score <= 5
        assert 0 <= card.percent_to_target <= 1

    @given(diagnostics(), st.data())
    def test_raising_a_level_never_lowers_a_score(
        self, diagnostic: DiagnosticInput, data: st.DataObject
    ) -> None:
        if not diagnostic.levels:
            return
        code = data.draw(st.sampled_from(sorted(diagnostic.levels)))
        if diagnostic.levels[code] == 5:
            return
        raised = DiagnosticInput(
            diagnostic.sector,
            "full",
            {**diagnostic.levels, code: diagnostic.levels[code] + 1},
            diagnostic.not_applicable,
        )
        before, after = score(shipped_edition("2.0.0"), diagnostic), score(shipped_edition("2.0.0"), raised)
        assert after.overall.score >= before.overall.score  # type: ignore[operator]
        for b, a in zip(before.levers, after.levers, strict=True):
            assert b.score is None or a.score >= b.score  # type: ignore[operator]
        assert after.percent_to_target >= before.percent_to_target

    @given(diagnostics(), st.data())
    def test_na_never_lowers_a_score_below_what_the_others_give(
        self, diagnostic: DiagnosticInput, data: st.DataObject
    ) -> None:
        edition = shipped_edition("2.0.0")
        allowing = [c for c in diagnostic.levels if edition.indicator(c).allows_na]  # type: ignore[union-attr]
        if not allowing or len(diagnostic.levels) < 2:
            return
        code = data.draw(st.sampled_from(sorted(allowing)))
        without = {c: lv for c, lv in diagnostic.levels.items() if c != code}
        declared = DiagnosticInput(diagnostic.sector, "full", without, diagnostic.not_applicable | {code})
        zeroed = DiagnosticInput(
            diagnostic.sector, "full", {**diagnostic.levels, code: 0}, diagnostic.not_applicable
        )
        assert score(edition, declared).overall.score >= score(edition, zeroed).overall.score  # type: ignore[operator]

    @given(diagnostics(), st.randoms())
    def test_the_order_of_the_indicators_is_irrelevant(self, diagnostic: DiagnosticInput, rnd: Any) -> None:
        items = list(diagnostic.levels.items())
        rnd.shuffle(items)
        shuffled = DiagnosticInput(diagnostic.sector, "full", dict(items), diagnostic.not_applicable)
        edition = shipped_edition("2.0.0")
        assert score(edition, shuffled) == score(edition, diagnostic)
