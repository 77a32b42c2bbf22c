"""The index built from coded arrays is the index built from diagnostics, and refuses bad codes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from services.watch.domain.diagnostics import WatchedDiagnostic
from services.watch.domain.index import ABSENT, UNANSWERED, DiagnosticMatrix, scan
from services.watch.domain.notices import Scope
from services.watch.domain.rules import parse_rule
from tests.unit.watch import diagnostic, notice

COLUMNS = ("TIO2", "ORS3", "SE4")


def _arrays(**overrides: Any) -> dict[str, Any]:
    """Return three rows: a PME at TIO2 1, a TPE with TIO2 unanswered, a PME in v1 without TIO2."""
    body: dict[str, Any] = {
        "levels": np.array([[1, 3, 0], [UNANSWERED, 2, 5], [ABSENT, 4, 0]], np.int8),
        "columns": COLUMNS,
        "sectors": (np.array([0, 1, 0]), ("commerce", "banque")),
        "size_bands": (np.array([1, 0, 1]), ("TPE", "PME")),
        "organisation_types": (np.zeros(3, np.intp), ("entreprise",)),
        "models": (np.array([0, 0, 1]), ("dimm@2.0.0", "dimm@1.0.0")),
        "organisation_ids": ("org_a", "org_b", "org_c"),
    }
    body.update(overrides)
    return body


def _diagnostics() -> list[WatchedDiagnostic]:
    return [
        diagnostic({"TIO2": 1, "ORS3": 3, "SE4": 0}, organisation_id="org_a"),
        diagnostic(
            {"TIO2": None, "ORS3": 2, "SE4": 5}, organisation_id="org_b", sector="banque", size_band="TPE"
        ),
        diagnostic({"ORS3": 4, "SE4": 0}, organisation_id="org_c", model_version="1.0.0"),
    ]


class TestFromArrays:
    def test_it_keeps_the_levels_without_copying_them(self) -> None:
        arrays = _arrays()
        matrix = DiagnosticMatrix.from_arrays(**arrays)
        assert matrix.levels is arrays["levels"]
        assert matrix.columns == {"TIO2": 0, "ORS3": 1, "SE4": 2}
        assert len(matrix) == 3

    @pytest.mark.parametrize(
        "rule", ["TIO2 < 3", "ORS3 >= 2 and (SE4 = 0 or TIO2 <= 1)", "SE4 != 0 or ORS3 = 4"]
    )
    def test_it_selects_what_the_index_of_the_diagnostics_and_the_scan_select(self, rule: str) -> None:
        ruled = notice(rule=parse_rule(rule), scope=Scope(indicators=frozenset({"TIO2"}), model_id="dimm"))
        from_arrays = DiagnosticMatrix.from_arrays(**_arrays()).select(ruled)
        np.testing.assert_array_equal(from_arrays, DiagnosticMatrix.of(_diagnostics()).select(ruled))
        np.testing.assert_array_equal(from_arrays, scan(ruled, _diagnostics()))

    def test_profile_filters_read_the_coded_columns(self) -> None:
        pme = notice(scope=Scope(indicators=frozenset({"ORS3"}), size_bands=frozenset({"PME"})))
        assert DiagnosticMatrix.from_arrays(**_arrays()).select(pme).tolist() == [0, 2]

    def test_an_empty_index_selects_nothing(self) -> None:
        empty = _arrays(
            levels=np.empty((0, 3), np.int8),
            sectors=(np.empty(0, np.intp), ()),
            size_bands=(np.empty(0, np.intp), ()),
            organisation_types=(np.empty(0, np.intp), ()),
            models=(np.empty(0, np.intp), ()),
            organisation_ids=(),
        )
        assert DiagnosticMatrix.from_arrays(**empty).select(notice()).tolist() == []


class TestFromArraysRefuses:
    @pytest.mark.parametrize(
        "overrides",
        [
            {"levels": np.array([[1, 3, 0], [UNANSWERED, 2, 5], [ABSENT, 4, 6]], np.int8)},
            {"levels": np.array([[1, 3, 0], [UNANSWERED, 2, 5], [-3, 4, 0]], np.int8)},
            {"levels": np.ones((3, 3), np.int16)},
            {"levels": np.ones((2, 3), np.int8)},
            {"columns": ("TIO2", "TIO2", "SE4")},
            {"sectors": (np.array([0, 2, 0]), ("commerce", "banque"))},
            {"size_bands": (np.array([1, -1, 1]), ("TPE", "PME"))},
            {"models": (np.array([0, 0]), ("dimm@2.0.0",))},
        ],
        ids=["level 6", "level -3", "not int8", "rows", "same column twice", "sector", "size", "models"],
    )
    def test_inconsistent_arrays(self, overrides: dict[str, Any]) -> None:
        with pytest.raises(ValueError, match=r"must|outside"):
            DiagnosticMatrix.from_arrays(**_arrays(**overrides))
