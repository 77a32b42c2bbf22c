"""The HTML report: self-contained, French, in plain words, printable, drawn and audited in a browser."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, datetime
from html import escape
from pathlib import Path

import pytest
from PIL import Image

from services.scoring.domain.peers import Comparison, PeerSnapshot, compare
from services.scoring.domain.scorecards import ScoredDiagnostic, progress
from services.scoring.domain.views import present
from services.scoring.entrypoints.report import ADVICE_SHOWN, PRIORITY_SENTENCE, ROADMAP_SHOWN, render_report
from services.scoring.entrypoints.report_charts import PEER_COLOUR, SCORE_COLOUR, TARGET_COLOUR
from services.scoring.entrypoints.report_reading import percent_reading, standing
from services.scoring.entrypoints.report_style import ATTENTION_COLOUR, IMPROVE_COLOUR, STRENGTH_COLOUR
from services.scoring.entrypoints.schemas import ScorecardView
from shared.events.contracts.assessment import DiagnosticSubmitted, OrganisationProfile
from shared.events.contracts.benchmark import SNAPSHOT_EXAMPLE, SnapshotPublished
from shared.model.editions import shipped_edition
from shared.model.engine import priority, score
from tests.a11y import CHROMIUM, audit

NAME = "Banque du Littoral"


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


BLUE, BROWN, PURPLE = _rgb(SCORE_COLOUR), _rgb(TARGET_COLOUR), _rgb(PEER_COLOUR)
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


def report_view(
    comparison: Comparison | None = None, *, name: str | None = NAME, first: bool = False
) -> ScorecardView:
    """Return the scorecard of a bank (a PME in Bretagne), a year after a weaker diagnostic unless `first`."""
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
            organisation_name=name,
        )
        return ScoredDiagnostic.score(submitted, model, at=when)

    before = record(
        "dg_before", datetime(2025, 11, 20, tzinfo=UTC), {c: max(0, lv - 1) for c, lv in levels.items()}
    )
    now = record("dg_now", datetime(2026, 11, 20, tzinfo=UTC), levels)
    card = score(model, now.input())
    return ScorecardView.model_validate(
        present(card, model, now, None if first else progress(now, before), comparison)
    )


def _report(
    comparison: Comparison | None = None, *, pdf_href: str | None = None, printable: bool = False
) -> str:
    return render_report(report_view(comparison), pdf_href=pdf_href, printable=printable)


def contrast_on_white(colour: tuple[int, ...]) -> float:
    """Return the WCAG contrast ratio of a colour against white."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in colour)
    return 1.05 / (0.2126 * r + 0.7152 * g + 0.0722 * b + 0.05)


def _column(page: str, kind: str) -> str:
    return page.split(f'<div class="card {kind}">', 1)[1].split('<div class="card', 1)[0]


class TestContent:
    def test_the_page_is_self_contained_and_french(self) -> None:
        page = _report()
        assert page.startswith("<!doctype html>")
        assert '<html lang="fr">' in page
        assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
        assert "https://" not in page
        for external in ("<script", "<link", "<img"):
            assert external not in page
        for heading in ("En bref", "Conseils", "Feuille de route", "Progression", "Méthode"):
            assert f"<h2>{heading}</h2>" in page
        assert page.count("<polygon") >= 7

    def test_the_organisation_is_named_with_its_profile_in_words(self) -> None:
        page = _report()
        assert f"<h1>{NAME}</h1>" in page
        assert f"<title>Maturité digitale — {NAME}</title>" in page
        assert "Secteur : Banque" in page
        assert "Taille : petite ou moyenne entreprise (10 à 249 personnes)" in page
        assert "Région : Bretagne" in page
        assert "secteur banque" not in page.lower().replace("secteur : banque", "")
        assert "région bretagne" not in page

    def test_an_organisation_without_a_known_name_is_still_addressed(self) -> None:
        page = render_report(report_view(name=None))
        assert "<h1>Votre organisation</h1>" in page

    def test_free_text_is_escaped(self) -> None:
        page = render_report(report_view(name='<script>alert("x")</script> & Fils'))
        assert "<script" not in page
        assert escape('<script>alert("x")</script> & Fils') in page


class TestPlainFrench:
    def test_the_overall_score_is_read_on_the_scale_of_levels(self) -> None:
        view = report_view()
        page = render_report(view)
        figure = f"{view.overall.score:.2f}".replace(".", ",")
        assert f"Votre score global est de <strong>{figure} sur 5</strong>" in page
        assert "entre le niveau 2 (« En construction ») et le niveau 3 (« Maîtrisé »)" in page
        assert "Votre secteur attend en moyenne le niveau" in page
        for level in range(6):
            assert f"<strong>{level} — " in page

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            (0.0, "au niveau 0 (« Non engagé »)"),
            (3.0, "au niveau 3 (« Maîtrisé »)"),
            (1.65, "entre le niveau 1 (« Premiers pas ») et le niveau 2 (« En construction »)"),
            (4.99, "entre le niveau 4 (« Avancé ») et le niveau 5 (« Exemplaire »)"),
            (5.0, "au niveau 5 (« Exemplaire »)"),
        ],
    )
    def test_a_score_stands_at_or_between_levels(self, value: float, expected: str) -> None:
        assert standing(value) == expected

    def test_percent_to_target_is_explained_with_what_is_missing(self) -> None:
        view = report_view()
        reading = percent_reading(view)
        missing = sum(i.gap or 0 for i in view.indicators if (i.gap or 0) > 0)
        assert f"{view.percent_to_target:.2f} %".replace(".", ",") in reading
        assert "plus de la moitié du chemin" in reading
        assert f"Il manque au total {missing} niveaux" in reading

    @pytest.mark.parametrize(
        ("percent", "words"),
        [(100.0, "toutes les cibles"), (80.0, "proche"), (30.0, "moins de la moitié"), (10.0, "encore loin")],
    )
    def test_every_share_has_its_words(self, percent: float, words: str) -> None:
        assert words in percent_reading(report_view().model_copy(update={"percent_to_target": percent}))


class TestAdviceAndRoadmap:
    def test_the_most_important_items_come_first_and_the_rest_is_folded(self) -> None:
        view = report_view()
        page = render_report(view)
        improve = _column(page, "improve")
        codes = re.findall(r"<li><strong>([A-Z0-9]+)</strong>", improve)
        assert sorted(codes) == sorted(view.advice["improve"])
        by_code = {i.code: i for i in view.indicators}
        weights = [priority(by_code[c].coefficient, by_code[c].gap or 0) for c in codes]
        assert weights == sorted(weights, reverse=True)
        shown, folded = improve.split("<details>", 1)
        assert shown.count("<li>") == ADVICE_SHOWN
        assert f"Voir les {len(codes) - ADVICE_SHOWN} autres" in folded

    def test_the_roadmaps_priority_is_explained_and_its_tail_folded(self) -> None:
        view = report_view()
        page = render_report(view)
        assert PRIORITY_SENTENCE in page
        assert f"Voir les {len(view.roadmap) - ROADMAP_SHOWN} actions suivantes" in page
        assert f'<ol class="roadmap" start="{ROADMAP_SHOWN + 1}">' in page

    def test_the_printable_page_unfolds_every_list(self) -> None:
        closed, printable = _report(), _report(printable=True)
        assert closed.count("<details>") >= 4
        assert "<details>" not in printable
        assert printable.count("<details open>") == closed.count("<details>")


class TestPrinting:
    def test_a4_print_style_and_the_pdf_link(self) -> None:
        page = _report(pdf_href="report.pdf?access_token=a.b.c")
        assert "@page{size:A4" in page
        assert "@media print{" in page
        assert '<a href="report.pdf?access_token=a.b.c">Télécharger ce rapport en PDF</a>' in page
        assert 'class="actions no-print"' in page

    def test_no_pdf_link_when_none_is_given(self) -> None:
        assert "Télécharger" not in _report()


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

    @pytest.mark.parametrize(
        "colour",
        [SCORE_COLOUR, TARGET_COLOUR, PEER_COLOUR, STRENGTH_COLOUR, ATTENTION_COLOUR, IMPROVE_COLOUR],
    )
    def test_every_colour_reads_on_white(self, colour: str) -> None:
        assert contrast_on_white(_rgb(colour)) >= 4.5


class TestAccessibility:
    @pytest.mark.parametrize("with_peers", [False, True], ids=["first-diagnostic", "peers-and-progress"])
    def test_axe_core_finds_no_wcag_21_aa_violation_and_folds_open_from_the_keyboard(
        self, with_peers: bool, tmp_path: Path
    ) -> None:
        view = report_view(_peers()) if with_peers else report_view(first=True)
        result = audit(render_report(view, pdf_href="report.pdf"), tmp_path)
        assert result.clean, result.report()
        assert result.folds >= 4


needs_chromium = pytest.mark.skipif(
    shutil.which("chromium") is None, reason="Debian's chromium is not installed (make test installs it)"
)


@needs_chromium
class TestInABrowser:
    def test_headless_chromium_draws_the_radar_and_the_bars(self, tmp_path: Path) -> None:
        counts = _colours(_screenshot(_report(), tmp_path))
        assert len(counts) > 200, "the page looks blank"
        assert _near(counts, BLUE) > 2000, "the score bars and radar are not drawn"
        assert _near(counts, BROWN) > 100, "the sector targets are not drawn"
        assert _near(counts, PURPLE) == 0, "peers are drawn for a caller without them"

    def test_the_peers_median_is_outlined_on_the_radar_and_marked_on_the_bars(self, tmp_path: Path) -> None:
        image = _screenshot(_report(_peers()), tmp_path)
        # The levers' bars are on the left, the radar on the right (1200 px wide page); nothing else
        # in the first 1600 px is purple but the bars' legend.
        radar, bars = image.crop((600, 0, 1200, 1600)), image.crop((0, 0, 600, 1600))
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
    subprocess.run(
        [
            *CHROMIUM,
            f"--user-data-dir={tmp_path / 'profile'}",
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
    return image
