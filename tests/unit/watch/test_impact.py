"""Impact of a new model version on a diagnostic, against numbers computed by hand.

The tiny model (tests.unit.model.builders): lever S = groupement SP {SP1 coef 3, SP2 coef 2}, lever
TI = groupement TIA {TIA1 coef 1}; every target 3; one sector, banque. Version 2.1.0 raises SP2's
coefficient to 3, TIA1's default target to 4, SP2's banque target to 4 and adds TIA2 (coef 2).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.watch.domain.impact import affected_event, project_impact, project_impacts
from services.watch.domain.notices import Scope
from shared.model.engine import CompiledModel, compile_model
from shared.model.validation import parse_model
from tests.unit.model.builders import edited, indicator, model
from tests.unit.watch import NOW, diagnostic, notice


def _indicators(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["code"]: i for lv in document["levers"] for g in lv["groupements"] for i in g["indicators"]}


def _pair() -> tuple[CompiledModel, CompiledModel]:
    old = model(version="2.0.0")
    new = edited(old)
    new["version"] = "2.1.0"
    found = _indicators(new)
    found["SP2"]["coefficient"] = 3
    found["SP2"]["sector_targets"] = {"banque": 4}
    found["TIA1"]["default_target"] = 4
    new["levers"][1]["groupements"][0]["indicators"].append(indicator("TIA2", coefficient=2))
    return compile_model(parse_model(old)), compile_model(parse_model(new))


def _dropping_pair() -> tuple[CompiledModel, CompiledModel]:
    new = model(version="2.1.0")
    old = edited(new)
    old["version"] = "2.0.0"
    old["levers"][1]["groupements"][0]["indicators"].append(indicator("TIA2", coefficient=2))
    return compile_model(parse_model(old)), compile_model(parse_model(new))


def _watched(levels: dict[str, int | None], sector: str = "banque") -> Any:
    return diagnostic(levels, sector=sector, model_id="mini", model_version="2.0.0")


class TestScores:
    def test_overall_and_levers_before_and_after(self) -> None:
        old, new = _pair()
        impact = project_impact(_watched({"SP1": 2, "SP2": 3, "TIA1": 3}), old=old, new=new)
        # before: (3×2 + 2×3 + 1×3) / 6 = 15/6; S = 12/5; TI = 3/1
        assert impact.overall_before == pytest.approx(2.5)
        assert impact.levers_before == pytest.approx({"S": 2.4, "TI": 3.0})
        # after: (3×2 + 3×3 + 1×3) / 7 = 18/7; S = 15/6; TI = 3/1 (TIA2 never answered leaves the sums)
        assert impact.overall_after == pytest.approx(18 / 7)
        assert impact.levers_after == pytest.approx({"S": 2.5, "TI": 3.0})

    def test_a_not_applicable_indicator_leaves_both_sums(self) -> None:
        old, new = _pair()
        impact = project_impact(_watched({"SP1": 2, "SP2": None, "TIA1": 3}), old=old, new=new)
        # (3×2 + 1×3) / (3 + 1) = 9/4 under both versions
        assert impact.overall_before == pytest.approx(2.25)
        assert impact.overall_after == pytest.approx(2.25)

    def test_an_indicator_the_new_version_drops_leaves_the_sums(self) -> None:
        old, new = _dropping_pair()
        impact = project_impact(_watched({"SP1": 0, "TIA1": 1, "TIA2": 5}, sector=""), old=old, new=new)
        # before: (0 + 1 + 2×5) / 6 = 11/6, TI = 11/3; after: 1/4, TI = 1/1
        assert impact.overall_before == pytest.approx(11 / 6)
        assert impact.levers_before["TI"] == pytest.approx(11 / 3)
        assert impact.overall_after == pytest.approx(0.25)
        assert impact.levers_after["TI"] == pytest.approx(1.0)


class TestAdviceChanges:
    def test_indicators_whose_category_changes_with_their_sector_targets(self) -> None:
        old, new = _pair()
        impact = project_impact(_watched({"SP1": 2, "SP2": 3, "TIA1": 3}), old=old, new=new)
        # SP2: gap 3−3=0 strength → 4−3=1 attention (banque); TIA1: 0 → 1; SP1 stays at gap 1
        assert [(a.code, a.before, a.after, a.target_after) for a in impact.advice_changes] == [
            ("SP2", "strength", "attention", 4),
            ("TIA1", "strength", "attention", 4),
        ]

    def test_without_the_sector_only_the_default_target_moves(self) -> None:
        old, new = _pair()
        impact = project_impact(
            _watched({"SP1": 2, "SP2": 3, "TIA1": 3}, sector="commerce"), old=old, new=new
        )
        assert [a.code for a in impact.advice_changes] == ["TIA1"]

    def test_a_dropped_indicator_has_no_advice_after(self) -> None:
        old, new = _dropping_pair()
        impact = project_impact(_watched({"TIA2": 5}), old=old, new=new)
        assert [(a.code, a.before, a.after) for a in impact.advice_changes] == [("TIA2", "strength", None)]


class TestRoadmapHead:
    def test_the_first_three_actions_under_the_new_version(self) -> None:
        old, new = _pair()
        impact = project_impact(_watched({"SP1": 2, "SP2": 3, "TIA1": 3}), old=old, new=new)
        # priority = coef × ((1 + gap)² − 1): SP1 3×3 = 9, SP2 3×3 = 9, TIA1 1×3 = 3; ties in model order
        assert [(a.code, a.level, a.next_level, a.priority) for a in impact.roadmap_head] == [
            ("SP1", 2, 3, 9),
            ("SP2", 3, 4, 9),
            ("TIA1", 3, 4, 3),
        ]
        assert [c.id for c in impact.roadmap_head[0].criteria] == ["SP1.3.a", "SP1.3.b"]


class TestBatch:
    def test_many_diagnostics_at_once(self) -> None:
        old, new = _pair()
        levels = np.array([[2, 3, 3], [2, -1, 3], [-1, -1, -1]], np.int8)
        sectors = np.array([old.sector_index("banque")] * 3, np.intp)
        batch = project_impacts(levels, sectors, old=old, new=new)
        np.testing.assert_allclose(batch.overall_before, [2.5, 2.25, np.nan])
        np.testing.assert_allclose(batch.overall_after, [18 / 7, 2.25, np.nan])
        np.testing.assert_allclose(batch.levers_before, [[2.4, 3.0], [2.0, 3.0], [np.nan, np.nan]])
        np.testing.assert_allclose(batch.levers_after, [[2.5, 3.0], [2.0, 3.0], [np.nan, np.nan]])
        assert batch.advice_changes.tolist() == [2, 1, 0]

    def test_columns_in_any_order_and_absent_cells(self) -> None:
        old, new = _pair()
        levels = np.array([[3, -2, 2, 3]], np.int8)  # TIA1, TIA2 (absent), SP1, SP2
        batch = project_impacts(
            levels,
            np.array([0], np.intp),
            old=old,
            new=new,
            columns=("TIA1", "TIA2", "SP1", "SP2"),
            sector_codes=("banque",),
        )
        assert batch.overall_after[0] == pytest.approx(18 / 7)
        assert batch.advice_changes.tolist() == [2]

    def test_a_matrix_of_the_wrong_width_is_refused(self) -> None:
        old, new = _pair()
        with pytest.raises(ValueError, match="levels must be"):
            project_impacts(np.zeros((1, 2), np.int8), np.zeros(1, np.intp), old=old, new=new)

    @settings(max_examples=60, deadline=None)
    @given(
        st.lists(
            st.tuples(
                st.lists(st.integers(-1, 5), min_size=3, max_size=3), st.sampled_from(["banque", None])
            ),
            min_size=1,
            max_size=12,
        )
    )
    def test_the_batch_agrees_with_one_by_one_projection(
        self, rows: list[tuple[list[int], str | None]]
    ) -> None:
        old, new = _pair()
        levels = np.array([r for r, _ in rows], np.int8)
        sectors = np.array([old.sector_index(s) for _, s in rows], np.intp)
        batch = project_impacts(levels, sectors, old=old, new=new)
        for row, (values, sector) in enumerate(rows):
            one = _watched(
                {c: (v if v >= 0 else None) for c, v in zip(old.codes, values, strict=True)}, sector or ""
            )
            impact = project_impact(one, old=old, new=new)
            for got, want in (
                (batch.overall_before[row], impact.overall_before),
                (batch.overall_after[row], impact.overall_after),
            ):
                assert (math.isnan(got) and want is None) or got == pytest.approx(want)
            assert batch.advice_changes[row] == len(impact.advice_changes)


class TestAffectedEvent:
    def test_it_carries_the_touched_indicators_and_the_projection_but_no_account(self) -> None:
        old, new = _pair()
        watched = _watched({"SP1": 2, "SP2": 3, "TIA1": 3})
        touching = notice(scope=Scope(indicators=frozenset({"TIA1", "SP2"})), deadline=None)
        impact = project_impact(watched, old=old, new=new)
        event = affected_event(touching, watched, model=old, impact=impact, at=NOW)
        assert [(i.code, i.level, i.target) for i in event.indicators] == [("SP2", 3, 3), ("TIA1", 3, 3)]
        assert event.impact is not None
        assert event.impact.overall_after == pytest.approx(18 / 7)
        assert [lv.code for lv in event.impact.levers] == ["S", "TI"]
        assert [s.code for s in event.impact.roadmap_head] == ["SP1", "SP2", "TIA1"]
        assert "account" not in event.model_dump_json()
