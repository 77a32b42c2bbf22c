"""The shipped catalogue of real changes: complete, mapped to indicators of edition 2.0.0, loadable."""

from __future__ import annotations

from datetime import date

import pytest

from services.watch.domain.catalogue import (
    InvalidCatalogue,
    catalogue_document,
    catalogue_problems,
    load_catalogue,
    notice_of,
)
from shared.model.editions import shipped_edition

EDITION = shipped_edition("2.0.0")


class TestContent:
    def test_every_change_of_the_source_table_and_the_usage_notice_is_shipped(self) -> None:
        notices = load_catalogue()
        assert len(notices) == 16
        assert [n.kind for n in notices].count("usage") == 1
        assert len({n.id for n in notices}) == 16

    def test_every_notice_is_a_draft_with_a_mapping_note(self) -> None:
        for notice in load_catalogue():
            assert notice.status == "draft"
            assert len(notice.mapping_note) > 40, notice.id

    def test_known_dates_are_kept_as_given(self) -> None:
        by_id = {n.id: n for n in load_catalogue()}
        assert by_id["ntc_eaa_2025"].effective_date == date(2025, 6, 28)
        assert by_id["ntc_einvoicing_2027"].effective_date == date(2027, 9, 1)
        assert by_id["ntc_windows10_eos_2025"].effective_date == date(2025, 10, 14)

    def test_a_pending_date_is_null_and_says_so(self) -> None:
        nis2 = {n.id: n for n in load_catalogue()}["ntc_nis2_fr"]
        assert nis2.effective_date is None
        assert nis2.date_note is not None
        assert "attente" in nis2.date_note

    def test_a_month_only_date_is_the_first_with_a_note(self) -> None:
        rgaa = {n.id: n for n in load_catalogue()}["ntc_rgaa_4_1"]
        assert rgaa.effective_date == date(2021, 2, 1)
        assert rgaa.date_note is not None
        assert "mois" in rgaa.date_note

    def test_the_second_e_invoicing_wave_concerns_small_organisations(self) -> None:
        wave = {n.id: n for n in load_catalogue()}["ntc_einvoicing_2027"]
        assert wave.scope.size_bands == {"TPE", "PME"}

    def test_the_accessibility_act_targets_low_accessibility_levels(self) -> None:
        eaa = {n.id: n for n in load_catalogue()}["ntc_eaa_2025"]
        assert str(eaa.rule) == "TIO2 < 3"
        assert "TIO2" in eaa.scope.indicators

    def test_sources_are_https(self) -> None:
        for notice in load_catalogue():
            assert all(url.startswith("https://") for url in (notice.source_url, *notice.see_also))


class TestMapping:
    def test_every_indicator_named_exists_in_edition_2_0_0(self) -> None:
        known = {p.indicator.code for p in EDITION.places()}
        for notice in load_catalogue():
            named = notice.scope.indicators | (notice.rule.codes if notice.rule else frozenset())
            assert named, notice.id
            assert named <= known, notice.id

    def test_an_unknown_indicator_is_reported(self) -> None:
        entry = {**catalogue_document()["notices"][0], "indicators": ["TIO2", "ZZZ9"]}
        assert catalogue_problems([notice_of(entry)], EDITION) == ["ntc_eaa_2025: unknown indicator ZZZ9"]

    def test_loading_refuses_a_catalogue_with_problems(self, monkeypatch: pytest.MonkeyPatch) -> None:
        document = catalogue_document()
        document["notices"][0]["rule"] = "XYZ1 < 2"
        monkeypatch.setattr("services.watch.domain.catalogue.catalogue_document", lambda: document)
        with pytest.raises(InvalidCatalogue, match="XYZ1"):
            load_catalogue()
