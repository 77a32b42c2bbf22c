"""The HTML report: self-contained, in French, and drawn right by a real (headless) browser."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image

from services.scoring.domain.peers import Comparison, PeerSnapshot, compare
from services.scoring.domain.scorecards import ScoredDiagnostic, progress
from services.scoring.domain.views import present
from services.scoring.entrypoints.report import PEER_COLOUR, render_report
from services.scoring.entrypoints.schemas import ScorecardView
from shared.events.contracts.assessment import DiagnosticSubmitted, OrganisationProfile
from shared.events.contracts.benchmark import SNAPSHOT_EXAMPLE, SnapshotPublished
from shared.model.editions import shipped_edition
from shared.model.engine import score
from tests.browser import chromium, needs_chromium

BLUE, ORANGE = (31, 95, 191), (224, 123, 0)
PURPLE = tuple(int(PEER_COLOUR[i : i + 2], 16) for i in (1, 3, 5))
SENTENCE = "comparé à 37 organisations : banque, toutes tailles, toutes régions — instantané du 29/11/2026"


def _peers() -> Comparison:
    """Compare with 37 banks: a snapshot cohort with the overall figure and every lever's."""
    figures = [{"figure": "overall", "median": 2.37}] + [
        {"figure": f"lever:{code}", "median": m}
        for code, m in zip(("S", "OR", "PE", "OF", "TI", "E"), (3.1, 2.4, 2.0, 2.8, 2.2, 1.6), strict=True)
    ]
    cohort = {
        **SNAPSHOT_EXAMPLE["cohorts"][0],
        "sector": "banque",
        "figures": [
            {
                "figure": f["figure"],
                "organisations": 37,
                "mean": f["median"],
                "quartiles": [f["median"] - 0.4, f["median"], f["median"] + 0.5],
                "bands": [0.2] * 5,
            }
            for f in figures
        ],
    }
    snapshot = SnapshotPublished.model_validate({**SNAPSHOT_EXAMPLE, "cohorts": [cohort]})
    return Comparison(compare(PeerSnapshot.of(snapshot), {"sector": "banque", "size_band": "PME"}))


def _report(comparison: Comparison | None = None) -> str:
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
    view = present(card, model, now, progress(now, before), comparison)
    return render_report(ScorecardView.model_validate(view))


def contrast_on_white(colour: tuple[int, ...]) -> float:
    """Return the WCAG contrast ratio of a colour against white."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in colour)
    return 1.05 / (0.2126 * r + 0.7152 * g + 0.0722 * b + 0.05)


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


class TestPeers:
    def test_peers_are_drawn_named_and_explained(self) -> None:
        page = _report(_peers())
        assert SENTENCE in page
        assert "médiane des pairs" in page
        assert f'stroke="{PEER_COLOUR}"' in page
        assert page.count('class="peer"') == 6
        assert "Médiane des pairs : <b>2,37</b>" in page

    @pytest.mark.parametrize("comparison", [None, Comparison(None, needs_plan="premium")])
    def test_nothing_of_peers_without_them(self, comparison: Comparison | None) -> None:
        page = _report(comparison)
        assert "médiane des pairs" not in page
        assert "comparé à" not in page
        assert PEER_COLOUR not in page.split("</style>", 1)[1]

    def test_the_peers_colour_reads_on_white(self) -> None:
        assert contrast_on_white(PURPLE) >= 4.5


@needs_chromium
class TestInABrowser:
    def test_headless_chromium_draws_the_radar_and_the_bars(self, tmp_path: Path) -> None:
        counts = _colours(_screenshot(_report(), tmp_path))
        assert len(counts) > 200, "the page looks blank"
        assert _near(counts, BLUE) > 2000, "the score bars and radar are not drawn"
        assert _near(counts, ORANGE) > 100, "the sector targets are not drawn"
        assert _near(counts, PURPLE) == 0, "peers are drawn for a caller without them"

    def test_the_peers_median_is_outlined_on_the_radar_and_marked_on_the_bars(self, tmp_path: Path) -> None:
        image = _screenshot(_report(_peers()), tmp_path)
        # The radar is the top right card, the lever bars the top left one (1200 px wide page).
        radar, bars = image.crop((600, 0, 1200, 520)), image.crop((0, 0, 600, 520))
        assert _near(_colours(radar), PURPLE) > 150, "the peers' dashed outline is not on the radar"
        assert _near(_colours(bars), PURPLE) > 6 * 60, "the peers' median is not marked on the lever bars"


def _colours(image: Image.Image) -> dict[tuple[int, int, int], int]:
    return {colour: n for n, colour in image.getcolors(maxcolors=1_000_000) or []}


def _near(counts: dict[tuple[int, int, int], int], target: tuple[int, ...]) -> int:
    return sum(n for c, n in counts.items() if all(abs(a - b) < 12 for a, b in zip(c, target, strict=True)))


def _screenshot(html: str, tmp_path: Path) -> Image.Image:
    """Render a page in headless Chromium (1200 × 1600) and return the screenshot."""
    page = tmp_path / "report.html"
    page.write_text(html, encoding="utf-8")
    shot = tmp_path / "report.png"
    chromium(
        "--hide-scrollbars",
        "--window-size=1200,1600",
        f"--screenshot={shot}",
        page.as_uri(),
        profile=tmp_path / "profile",
    )
    image = Image.open(shot).convert("RGB")
    assert image.size == (1200, 1600)
    return image
