"""A study's results page: self-contained, in French, drawn by a real browser, and accessible (axe-core)."""

from __future__ import annotations

import asyncio
import html
import random
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from services.benchmark.adapters.memory import MemoryBenchmarkUnitOfWork
from services.benchmark.domain.publications import StudyResults
from services.benchmark.domain.studies import Study
from services.benchmark.entrypoints.study_page import ALL_COLOUR, BAND_COLOURS, SECTOR_COLOUR, render_results
from services.benchmark.service_layer import consuming, studies
from shared.auth import SCOPES, Principal
from shared.model.editions import shipped_edition
from shared.model.schema import MaturityModel
from tests.a11y import CHROMIUM, audit
from tests.unit.benchmark.events import T0, registered, scored

K = 5
MODEL = shipped_edition("2.0.0")
TITLE = "Maturité digitale des bailleurs sociaux <2026>"
needs_chromium = pytest.mark.skipif(
    shutil.which("chromium") is None, reason="Debian's chromium is not installed (make test installs it)"
)


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


async def _organisations(
    uow: MemoryBenchmarkUnitOfWork, sector: str, count: int, maturity: float
) -> list[str]:
    """Register organisations of a sector with a scored diagnostic each, levels drawn around a maturity."""
    rng = random.Random(f"{sector}:{count}")
    ids = []
    for n in range(count):
        org, centre = f"org_{sector}_{n}", rng.gauss(maturity, 0.6)
        levels = {p.indicator.code: max(0, min(5, round(rng.gauss(centre, 1.0)))) for p in MODEL.places()}
        await consuming.organisation_registered(registered(org, sector=sector), uow)
        await consuming.diagnostic_scored(scored(org, levels, sector=sector), uow)
        ids.append(org)
    return ids


async def _published() -> tuple[Study, StudyResults, MaturityModel]:
    """Run a study of 8 social landlords among 20 organisations in memory, closed before its date."""
    uow = MemoryBenchmarkUnitOfWork()
    await uow.model_versions.keep(MODEL)
    participants = await _organisations(uow, "logement-social", 8, 2.2)
    await _organisations(uow, "commerce", 12, 2.8)
    study = await studies.create(
        title=TITLE,
        sector="logement-social",
        model_id="dimm",
        model_version="2.0.0",
        opens_at=T0 - timedelta(days=10),
        closes_at=T0 + timedelta(days=60),
        min_participants=K,
        uow=uow,
    )
    await studies.open_study(study.study_id, uow=uow)
    owner = Principal("acc_1", frozenset(SCOPES), "premium", "tok")
    for org in participants:
        await studies.enrol(owner, study.study_id, org, uow=uow)
    await studies.close_study(study.study_id, uow=uow)
    await studies.publish(study.study_id, uow=uow, min_cohort_size=K)
    found, published = await studies.results(study.study_id, uow=uow)
    return found, published, await studies.model_of(found, uow=uow)


@pytest.fixture(scope="module")
def study() -> tuple[Study, StudyResults, MaturityModel]:
    """Return a published study (the in-memory unit of work needs no event loop of its own)."""
    return asyncio.run(_published())


@pytest.fixture(scope="module")
def page(study: tuple[Study, StudyResults, MaturityModel]) -> str:
    """Return the study's rendered results page."""
    return render_results(*study)


class TestContent:
    def test_the_page_is_self_contained_french_and_escaped(self, page: str) -> None:
        assert page.startswith("<!doctype html>")
        assert '<html lang="fr">' in page
        assert "https://" not in page
        assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
        assert html.escape(TITLE) in page
        assert "<2026>" not in page
        assert "8 organisations participantes" in page

    def test_the_period_ends_when_the_study_closed(
        self, study: tuple[Study, StudyResults, MaturityModel], page: str
    ) -> None:
        found = study[0]
        assert f"au {min(found.status_at['closed'], found.closes_at):%d/%m/%Y}" in page

    def test_each_chart_has_its_figures_in_a_table_behind_it(self, page: str) -> None:
        assert page.count('role="img"') == 2
        assert page.count("<summary>Les chiffres du graphique, en tableau</summary><table>") == 2
        assert "<caption>Premier quartile, médiane et troisième quartile, sur 5</caption>" in page
        assert "<caption>Part des participants dans chaque tranche de score</caption>" in page

    def test_every_band_colour_is_named_in_a_legend(self, page: str) -> None:
        for band, colour in enumerate(BAND_COLOURS):
            assert f'<span style="background:{colour}"></span>{band} à {band + 1}' in page


def _screenshot(page: str, tmp_path: Path) -> Image.Image:
    """Render a page in headless Chromium (1200 × 1600) and return the screenshot."""
    source, shot = tmp_path / "results.html", tmp_path / "results.png"
    source.write_text(page, encoding="utf-8")
    subprocess.run(
        [
            *CHROMIUM,
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1200,1600",
            f"--screenshot={shot}",
            source.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return Image.open(shot).convert("RGB")


def _near(image: Image.Image, colour: str) -> tuple[int, int]:
    """Count the pixels close to a colour, and the rows they are on."""
    close = (np.abs(np.asarray(image, dtype=np.int16) - _rgb(colour)) < 12).all(axis=2)
    return int(close.sum()), int(close.any(axis=1).sum())


def _cards(image: Image.Image) -> list[Image.Image]:
    """Cut out the page's white cards, top to bottom, read along their left padding."""
    # main's content is 1000 px wide, centred in the 1200 px window: cards span x = 100…1100 and
    # begin with 18 px of white padding, where nothing is drawn.
    white = (np.asarray(image)[:, 106] == 255).all(axis=1)
    edges = np.flatnonzero(np.diff(white.astype(np.int8)))
    tops, bottoms = edges[::2] + 1, edges[1::2] + 1
    return [image.crop((0, int(t), image.width, int(b))) for t, b in zip(tops, bottoms, strict=False)]


@needs_chromium
class TestInABrowser:
    def test_headless_chromium_draws_both_populations_and_the_bands(self, page: str, tmp_path: Path) -> None:
        image = _screenshot(page, tmp_path)
        assert len(image.getcolors(maxcolors=1_000_000) or []) > 200, "the page looks blank"
        quartiles, bands, *_ = _cards(image)
        for colour in (SECTOR_COLOUR, ALL_COLOUR):
            pixels, rows = _near(quartiles, colour)
            # A legend swatch is 140 pixels on 10 rows; seven figures' boxes and medians span far more.
            assert pixels > 500, f"the quartile boxes in {colour} are not drawn"
            assert rows > 100, f"the quartile boxes in {colour} are not drawn"
        assert _near(bands, BAND_COLOURS[2])[0] > 5000, "the score bands are not drawn"
        assert _near(quartiles, BAND_COLOURS[2])[0] == 0, "score bands are drawn in the quartile chart"


@needs_chromium
class TestAccessibility:
    def test_axe_core_finds_no_wcag_21_aa_violation(self, page: str, tmp_path: Path) -> None:
        result = audit(page, tmp_path)
        assert result.clean, result.report()
