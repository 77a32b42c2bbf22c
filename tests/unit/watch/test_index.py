"""The columnar index selects exactly the diagnostics the one-by-one scan targets."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from services.watch.domain.diagnostics import WatchedDiagnostic
from services.watch.domain.index import ABSENT, UNANSWERED, DiagnosticMatrix, scan
from services.watch.domain.notices import ModelChange, Notice, Scope
from services.watch.domain.rules import AllOf, AnyOf, Comparison, Rule
from shared.model.diff import Change
from tests.unit.watch import NOW, diagnostic, notice

CODES = ("TIO2", "TIO5", "ORS3", "ER3")


def _diagnostics() -> st.SearchStrategy[WatchedDiagnostic]:
    levels = st.dictionaries(st.sampled_from(CODES), st.one_of(st.none(), st.integers(0, 5)))
    return st.builds(
        lambda lv, sector, size, kind, model, version, days: diagnostic(
            lv,
            sector=sector,
            size_band=size,
            organisation_type=kind,
            model_id=model,
            model_version=version,
            scored_at=NOW - timedelta(days=days),
        ),
        levels,
        st.sampled_from(["commerce", "banque"]),
        st.sampled_from(["TPE", "PME", "GE"]),
        st.sampled_from(["entreprise", "administration"]),
        st.sampled_from(["dimm", "autre"]),
        st.sampled_from(["1.0.0", "2.0.0", "2.1.0", "10.0.0"]),
        st.integers(0, 30),
    )


def _rules() -> st.SearchStrategy[Rule]:
    comparison = st.builds(
        Comparison,
        st.sampled_from(CODES),
        st.sampled_from(["<", "<=", ">", ">=", "=", "!="]),
        st.integers(0, 5),
    )
    return st.recursive(
        comparison,
        lambda inner: st.one_of(
            st.lists(inner, min_size=2, max_size=3).map(lambda p: AllOf(tuple(p))),
            st.lists(inner, min_size=2, max_size=3).map(lambda p: AnyOf(tuple(p))),
        ),
        max_leaves=5,
    )


def _subset(values: list[str]) -> st.SearchStrategy[frozenset[str]]:
    return st.frozensets(st.sampled_from(values), max_size=2)


@st.composite
def _notices(draw: st.DrawFn) -> Notice:
    scope = Scope(
        indicators=draw(_subset(list(CODES))),
        groupements=draw(_subset(["TIO", "ER"])),
        levers=draw(_subset(["TI", "OR"])),
        sectors=draw(_subset(["commerce", "banque"])),
        size_bands=draw(_subset(["TPE", "PME", "GE"])),
        organisation_types=draw(_subset(["entreprise", "administration"])),
        model_id=draw(st.sampled_from([None, "dimm"])),
        min_model_version=draw(st.sampled_from([None, "1.0.0", "2.0.0"])),
        max_model_version=draw(st.sampled_from([None, "2.1.0", "10.0.0"])),
    )
    if draw(st.booleans()):
        change = ModelChange(draw(st.sampled_from(["1.0.0", "2.0.0"])), "3.0.0", ())
        scope = Scope(**{**scope.__dict__, "model_id": "dimm", "indicators": scope.indicators | {"TIO2"}})
        return notice(kind="model", scope=scope, model_change=change, rule=draw(st.none() | _rules()))
    rule = draw(st.none() | _rules())
    if rule is None and not scope.names_anything:
        scope = Scope(**{**scope.__dict__, "indicators": frozenset({"ER3"})})
    return notice(scope=scope, rule=rule)


class TestMatrix:
    def test_levels_distinguish_absent_unanswered_and_answered(self) -> None:
        matrix = DiagnosticMatrix.of([diagnostic({"TIO2": None, "ER3": 4}), diagnostic({"ORS3": 0})])
        assert list(matrix.columns) == ["ER3", "ORS3", "TIO2"]
        assert matrix.levels.tolist() == [[4, ABSENT, UNANSWERED], [ABSENT, 0, ABSENT]]
        assert len(matrix) == 2

    def test_a_notice_selects_by_touched_indicator(self) -> None:
        rows = [diagnostic({"TIO2": None}), diagnostic({"ER3": 1}), diagnostic({"TIO2": 4})]
        assert DiagnosticMatrix.of(rows).select(notice()).tolist() == [0, 2]

    def test_a_rule_selects_by_level(self) -> None:
        rows = [diagnostic({"TIO2": 2}), diagnostic({"TIO2": 3}), diagnostic({"TIO2": None})]
        ruled = notice(rule=Comparison("TIO2", "<", 3))
        assert DiagnosticMatrix.of(rows).select(ruled).tolist() == [0]

    def test_a_model_notice_needs_an_answered_changed_indicator(self) -> None:
        rows = [
            diagnostic({"TIO2": None}),
            diagnostic({"TIO2": 1}),
            diagnostic({"TIO2": 1}, model_version="2.1.0"),
        ]
        change = ModelChange("2.0.0", "2.1.0", (Change(kind="coefficient_changed", indicator="TIO2"),))
        model_notice = notice(
            kind="model", scope=Scope(indicators=frozenset({"TIO2"}), model_id="dimm"), model_change=change
        )
        assert DiagnosticMatrix.of(rows).select(model_notice).tolist() == [1]

    def test_an_empty_index_selects_nothing(self) -> None:
        assert DiagnosticMatrix.of([]).select(notice()).tolist() == []


class TestSameAsScan:
    @settings(max_examples=300, deadline=None)
    @given(_notices(), st.lists(_diagnostics(), max_size=25))
    def test_the_index_and_the_scan_select_the_same_rows(
        self, chosen: Notice, diagnostics: list[WatchedDiagnostic]
    ) -> None:
        selected = DiagnosticMatrix.of(diagnostics).select(chosen)
        np.testing.assert_array_equal(selected, scan(chosen, diagnostics))
