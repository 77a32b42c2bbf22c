"""The rule language on levels: parsing, matching one diagnostic, matching a matrix, canonical text."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.watch.domain.rules import AllOf, AnyOf, Comparison, InvalidRule, Rule, parse_rule
from shared.errors import InvalidInput

CODES = ("TIO2", "ORS3", "ER3")
OPS = ("<", "<=", ">", ">=", "=", "!=")


def comparisons() -> st.SearchStrategy[Rule]:
    return st.builds(Comparison, st.sampled_from(CODES), st.sampled_from(OPS), st.integers(0, 5))


def rules() -> st.SearchStrategy[Rule]:
    return st.recursive(
        comparisons(),
        lambda inner: st.one_of(
            st.lists(inner, min_size=2, max_size=3).map(lambda parts: AllOf(tuple(parts))),
            st.lists(inner, min_size=2, max_size=3).map(lambda parts: AnyOf(tuple(parts))),
        ),
        max_leaves=8,
    )


levels_maps = st.fixed_dictionaries({code: st.one_of(st.none(), st.integers(0, 5)) for code in CODES})


class TestParsing:
    def test_a_comparison_is_read(self) -> None:
        assert parse_rule("TIO2 < 3") == Comparison("TIO2", "<", 3)

    @pytest.mark.parametrize(
        ("text", "op"), [("≤", "<="), ("≥", ">="), ("≠", "!="), ("==", "="), ("<>", "!=")]
    )
    def test_unicode_and_alternative_operators_are_accepted(self, text: str, op: str) -> None:
        assert parse_rule(f"TIO2 {text} 3") == Comparison("TIO2", op, 3)  # type: ignore[arg-type]

    def test_and_binds_tighter_than_or(self) -> None:
        rule = parse_rule("TIO2 < 3 or ORS3 >= 2 and ER3 = 1")
        assert rule == AnyOf(
            (Comparison("TIO2", "<", 3), AllOf((Comparison("ORS3", ">=", 2), Comparison("ER3", "=", 1))))
        )

    def test_parentheses_group(self) -> None:
        rule = parse_rule("(TIO2 < 3 or ORS3 >= 2) and ER3 = 1")
        assert isinstance(rule, AllOf)
        assert isinstance(rule.parts[0], AnyOf)

    def test_french_keywords_and_lowercase_codes_are_accepted(self) -> None:
        assert parse_rule("tio2 < 3 et ors3 > 1") == parse_rule("TIO2 < 3 and ORS3 > 1")

    def test_nested_conjunctions_are_flattened(self) -> None:
        assert parse_rule("TIO2 < 3 and (ORS3 > 1 and ER3 > 1)") == parse_rule(
            "TIO2 < 3 and ORS3 > 1 and ER3 > 1"
        )

    def test_codes_lists_every_indicator_named(self) -> None:
        assert parse_rule("TIO2 < 3 and (ORS3 >= 2 or ER3 ≠ 5)").codes == {"TIO2", "ORS3", "ER3"}


class TestParsingErrors:
    @pytest.mark.parametrize(
        ("text", "fragment"),
        [
            ("", "vide"),
            ("TIO2 => 3", "opérateur inconnu"),
            ("TIO2 ~ 3", "caractère inattendu"),
            ("TIO2 < 6", "hors de 0–5"),
            ("TIO2 < -1", "hors de 0–5"),
            ("TIO2 <", "end of text"),
            ("TIO2 < 3 and", "indicator code"),
            ("(TIO2 < 3", "missing '\\)'"),
            ("TIO2 < 3)", "inattendu"),
            ("OR < 3", "indicator code"),
            ("TIO < 3", "n'est pas un code"),
            ("TIO2 3", "operator"),
        ],
    )
    def test_a_bad_rule_is_refused_with_a_clear_message(self, text: str, fragment: str) -> None:
        with pytest.raises(InvalidRule, match=fragment):
            parse_rule(text)

    def test_the_error_is_an_invalid_input_with_its_position(self) -> None:
        with pytest.raises(InvalidInput) as caught:
            parse_rule("TIO2 < 9")
        assert caught.value.errors[0]["position"] == 8

    def test_deep_nesting_is_refused(self) -> None:
        with pytest.raises(InvalidRule, match="imbriquées"):
            parse_rule("(" * 40 + "TIO2 < 3" + ")" * 40)


class TestMatching:
    def test_a_comparison_compares_the_level(self) -> None:
        assert parse_rule("TIO2 < 3").matches({"TIO2": 2})
        assert not parse_rule("TIO2 < 3").matches({"TIO2": 3})

    @pytest.mark.parametrize("op", OPS)
    def test_an_unanswered_indicator_never_satisfies_a_comparison(self, op: str) -> None:
        rule = parse_rule(f"TIO2 {op} 3")
        assert not rule.matches({"TIO2": None})
        assert not rule.matches({})

    def test_or_matches_when_one_side_does(self) -> None:
        assert parse_rule("TIO2 < 3 or ORS3 >= 2").matches({"TIO2": None, "ORS3": 2})

    def test_and_needs_both_sides(self) -> None:
        assert not parse_rule("TIO2 < 3 and ORS3 >= 2").matches({"TIO2": 1, "ORS3": 1})


class TestCanonicalText:
    def test_the_text_is_canonical(self) -> None:
        assert str(parse_rule("(tio2≤3)ou(ORS3 ≠ 1 et ER3==2)")) == "TIO2 <= 3 or ORS3 != 1 and ER3 = 2"

    @given(rules())
    def test_the_text_round_trips_through_the_parser(self, rule: Rule) -> None:
        assert parse_rule(str(rule)) == rule


class TestMatrixMatching:
    @settings(max_examples=200)
    @given(rules(), st.lists(levels_maps, min_size=1, max_size=20))
    def test_the_matrix_agrees_with_one_by_one_matching(
        self, rule: Rule, rows: list[dict[str, int | None]]
    ) -> None:
        columns = {code: index for index, code in enumerate(CODES)}
        matrix = np.array([[-1 if r[c] is None else r[c] for c in CODES] for r in rows], np.int8)
        expected = [rule.matches(r) for r in rows]
        assert rule.matches_matrix(matrix, columns).tolist() == expected

    def test_a_code_without_a_column_matches_no_row(self) -> None:
        matrix = np.zeros((3, 1), np.int8)
        assert not parse_rule("ER3 < 3").matches_matrix(matrix, {"TIO2": 0}).any()

    def test_absent_and_unanswered_rows_never_match(self) -> None:
        matrix = np.array([[-2], [-1], [0]], np.int8)
        assert parse_rule("TIO2 != 4").matches_matrix(matrix, {"TIO2": 0}).tolist() == [False, False, True]
