"""The diff of two model versions, on hand-made and generated models."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.model.diff import diff_models
from shared.model.validation import parse_model
from tests.unit.model.builders import edited, indicator, model

SECTORS = ["banque", "sante", "commerce"]


@st.composite
def indicators(draw: st.DrawFn, code: str) -> dict[str, Any]:
    return indicator(
        code,
        coefficient=draw(st.integers(1, 3)),
        default_target=draw(st.integers(0, 5)),
        allows_na=draw(st.booleans()),
        sector_targets=draw(st.dictionaries(st.sampled_from(SECTORS), st.integers(0, 5), max_size=3)),
        applicability={
            "size_bands": draw(
                st.lists(st.sampled_from(["TPE", "PME", "ETI", "GE"]), min_size=1, unique=True)
            ),
            "organisation_types": draw(
                st.lists(
                    st.sampled_from(["entreprise", "administration", "association"]), min_size=1, unique=True
                )
            ),
        },
    )


@st.composite
def models(draw: st.DrawFn) -> dict[str, Any]:
    levers = []
    for lever_code in draw(
        st.lists(st.sampled_from(["S", "OR", "PE", "OF", "TI", "E"]), min_size=1, max_size=4, unique=True)
    ):
        groupements = []
        for letter in draw(st.lists(st.sampled_from("ABCM"), min_size=1, max_size=3, unique=True)):
            code = lever_code + letter
            count = draw(st.integers(1, 4))
            groupements.append(
                {
                    "code": code,
                    "name": f"G {code}",
                    "indicators": [draw(indicators(f"{code}{n}")) for n in range(1, count + 1)],
                }
            )
        levers.append(
            {
                "code": lever_code,
                "name": f"Levier {lever_code}",
                "key_question": "?",
                "groupements": groupements,
            }
        )
    return {
        "model_id": "gen",
        "version": "1.0.0",
        "title": "Modèle généré",
        "sectors": [{"code": s, "name": s.title()} for s in SECTORS],
        "profiles": [],
        "levers": levers,
    }


class TestProperties:
    @settings(max_examples=60, deadline=None)
    @given(models())
    def test_a_model_compared_with_itself_has_no_change(self, document: dict[str, Any]) -> None:
        parsed = parse_model(document)
        assert diff_models(parsed, parse_model(edited(document))).changes == ()

    @settings(max_examples=60, deadline=None)
    @given(models(), st.data())
    def test_a_changed_coefficient_is_the_only_change_reported(
        self, document: dict[str, Any], data: st.DataObject
    ) -> None:
        changed = edited(document)
        groupement = data.draw(st.sampled_from([g for lv in changed["levers"] for g in lv["groupements"]]))
        target = data.draw(st.sampled_from(groupement["indicators"]))
        target["coefficient"] = target["coefficient"] % 3 + 1
        diff = diff_models(parse_model(document), parse_model(changed))
        assert [(c.kind, c.indicator) for c in diff.changes] == [("coefficient_changed", target["code"])]

    @settings(max_examples=40, deadline=None)
    @given(models())
    def test_what_one_way_adds_the_other_way_removes(self, document: dict[str, Any]) -> None:
        grown = edited(document)
        first = grown["levers"][0]["groupements"][0]
        first["indicators"].append(indicator(f"{first['code']}9"))
        forward = diff_models(parse_model(document), parse_model(grown))
        backward = diff_models(parse_model(grown), parse_model(document))
        assert [c.kind for c in forward.changes] == ["indicator_added"]
        assert [c.kind for c in backward.changes] == ["indicator_removed"]
        assert forward.changes[0].indicator == backward.changes[0].indicator


class TestKindsOfChange:
    def _diff(self, change: Any) -> list[tuple[str, str | None, Any, Any]]:
        before = model()
        after = edited(before)
        change(after)
        diff = diff_models(parse_model(before), parse_model(after))
        return [(c.kind, c.field, c.before, c.after) for c in diff.changes]

    def test_a_renamed_indicator(self) -> None:
        def rename(doc: dict[str, Any]) -> None:
            doc["levers"][0]["groupements"][0]["indicators"][0]["name"] = "Nouveau nom"

        assert self._diff(rename) == [("indicator_renamed", "name", "Indicateur SP1", "Nouveau nom")]

    def test_a_changed_applicability(self) -> None:
        def narrow(doc: dict[str, Any]) -> None:
            doc["levers"][0]["groupements"][0]["indicators"][0]["applicability"]["size_bands"] = ["ETI", "GE"]

        assert self._diff(narrow) == [
            ("applicability_changed", "size_bands", ["TPE", "PME", "ETI", "GE"], ["ETI", "GE"])
        ]

    def test_a_changed_criterion_and_level_summary(self) -> None:
        def reword(doc: dict[str, Any]) -> None:
            level = doc["levers"][0]["groupements"][0]["indicators"][0]["levels"][2]
            level["summary"] = "Autrement"
            level["criteria"][0]["text"] = "Exigence reformulée"

        kinds = [k for k, *_ in self._diff(reword)]
        assert kinds == ["level_summary_changed", "criterion_changed"]

    def test_a_changed_sector_target_and_default_target(self) -> None:
        def retarget(doc: dict[str, Any]) -> None:
            item = doc["levers"][0]["groupements"][0]["indicators"][0]
            item["default_target"] = 4
            item["sector_targets"] = {"banque": 5}

        assert self._diff(retarget) == [
            ("default_target_changed", "default_target", 3, 4),
            ("sector_target_changed", "banque", None, 5),
        ]
