"""The HTML report: self-contained, in French, and drawn right by a real (headless) browser."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image

from services.scoring.domain.scorecards import ScoredDiagnostic, progress
from services.scoring.domain.views import present
from services.scoring.entrypoints.report import render_report
from services.scoring.entrypoints.schemas import ScorecardView
from shared.events.contracts.assessment import DiagnosticSubmitted, OrganisationProfile
from shared.model.editions import shipped_edition
from shared.model.engine import score

BLUE, ORANGE = (31, 95, 191), (224, 123, 0)


def _report() -> str:
    model = shipped_edition("2.0.0")
    codes = [
        p.indicator.code for p in model.places() if p.indicator.applicability.applies_to("PME", "entreprise")
    ]
    levels = {code: (i * 7) % 6 for i, code in enumerate(codes)}
    profile = OrganisationProfile(
        sector="banque", size_band="PME", region="bretagne", organisation_type="entreprise"
    )

    def record(diagnostic_id: str, when: datetime, lv: dict[str, int]) -> ScoredDiagnostic:
        submitted = DiagnosticSubmitted(
            diagnostic_id=diagnostic_id,
            organisation_id="org",
            account_id="acc",
            profile=profile,
            model_id="dimm",
            model_version="2.0.0",
            scope="full",
            levels=lv,
            not_applicable=[],
            divergences=[],
            submitted_at=when,
        )
        return ScoredDiagnostic.score(submitted, model, at=when)

    before = record(
        "dg_before", datetime(2025, 11, 20, tzinfo=UTC), {c: max(0, lv - 1) for c, lv in levels.items()}
    )
    now = record("dg_now", datetime(2026, 11, 20, tzinfo=UTC), levels)
    card = score(model, now.input())
    return render_report(ScorecardView.model_validate(present(card, model, now, progress(now, before))))


class TestContent:
    def test_the_page_is_self_contained_and_french(self) -> None:
        page = _report()
        assert page.startswith("<!doctype html>")
        assert '<html lang="fr">' in page
        assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
        assert "https://" not in page
        for heading in ("Score global", "Conseils", "Feuille de route", "Progression", "Méthode"):
            assert heading in page
        assert page.count("<polygon") >= 7
        assert "Ce qui doit être amélioré" in page

    def test_free_text_is_escaped(self) -> None:
        assert "<script" not in _report()


@pytest.mark.skipif(
    shutil.which("chromium") is None, reason="Debian's chromium is not installed (make test installs it)"
)
class TestInABrowser:
    def test_headless_chromium_draws_the_radar_and_the_bars(self, tmp_path: Path) -> None:
        page = tmp_path / "report.html"
        page.write_text(_report(), encoding="utf-8")
        shot = tmp_path / "report.png"
        subprocess.run(
            [
                "chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={tmp_path / 'profile'}",
                "--hide-scrollbars",
                "--window-size=1200,1600",
                f"--screenshot={shot}",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        image = Image.open(shot).convert("RGB")
        assert image.size == (1200, 1600)
        colours = image.getcolors(maxcolors=1_000_000) or []
        counts = {colour: n for n, colour in colours}
        assert len(counts) > 200, "the page looks blank"

        def near(target: tuple[int, int, int]) -> int:
            return sum(
                n for c, n in counts.items() if all(abs(a - b) < 12 for a, b in zip(c, target, strict=True))
            )

        assert near(BLUE) > 2000, "the score bars and radar are not drawn"
        assert near(ORANGE) > 100, "the sector targets are not drawn"
