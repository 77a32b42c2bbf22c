"""French e-mails: formatting, escaping, accessibility, and the same alerts in text and HTML."""

from __future__ import annotations

from datetime import date, datetime
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest

from services.watch.domain.digests import digest_period
from services.watch.domain.emails import (
    BACKGROUNDS,
    TEXT_COLOURS,
    DigestEntry,
    OutgoingEmail,
    ScoreChange,
    french_date,
    french_number,
    french_span,
    render_alert,
    render_digest,
    score_sentence,
)
from shared.errors import InvalidInput

PARIS = ZoneInfo("Europe/Paris")
WEEK = digest_period("weekly", datetime(2025, 6, 30, 7, tzinfo=PARIS))
DAY = digest_period("daily", datetime(2025, 6, 28, 7, tzinfo=PARIS))
BASE = "https://dimm.example/"
PREFERENCES = "https://dimm.example/preferences"

MODEL = DigestEntry(
    notice_title="Édition 2.1 du modèle DIMM",
    kind="model",
    severity="warning",
    summary="La cible de TIO2 passe à 4.",
    organisation_name="Boulangerie Martin",
    indicators=("TIO2",),
    score_changes=(ScoreChange("Technologie", 2.31, 2.18),),
    criteria=("Sauvegardes chiffrées hors site", "Test de restauration annuel"),
    link="/veille/org-1",
)
NIS2 = DigestEntry(
    notice_title="NIS 2 : enregistrement auprès de l'ANSSI",
    kind="regulatory",
    severity="critical",
    summary="Les entités essentielles s'enregistrent.",
    organisation_name="Boulangerie Martin",
    indicators=("ORS3", "ORS4"),
    deadline=date(2025, 7, 1),
    link="/veille/org-1",
)
HOSTILE = DigestEntry(
    notice_title='<script>alert("x")</script> & co',
    kind="usage",
    severity="info",
    summary="<b>gras</b>",
    organisation_name="Dupont & Fils <SARL>",
    criteria=("<img src=x onerror=alert(1)>",),
    link="/veille/org-2",
)


def digest(*entries: DigestEntry) -> OutgoingEmail:
    return render_digest(
        list(entries), to="dpo@example.fr", period=WEEK, key="k-1", base_url=BASE, preferences_url=PREFERENCES
    )


class _Text(HTMLParser):
    """Collect the visible text, the headings and check that tags are balanced."""

    VOID = frozenset({"meta", "br", "hr", "img", "input", "link"})

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.open: list[str] = []
        self.headings: list[tuple[str, str]] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open.pop() == tag

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self.open and self.open[-1] in {"h1", "h2", "h3", "h4"}:
            self.headings.append((self.open[-1], data.strip()))


def parsed(html: str) -> _Text:
    parser = _Text()
    parser.feed(html)
    parser.close()
    assert parser.open == []
    return parser


class TestFrenchFormats:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [(2.31, "2,31"), (0, "0,00"), (4, "4,00"), (-0.13, "-0,13"), (1234.5, "1\u202f234,50")],
    )
    def test_numbers(self, value: float, expected: str) -> None:
        assert french_number(value) == expected

    @pytest.mark.parametrize(
        ("day", "expected"),
        [
            (date(2025, 6, 28), "28 juin 2025"),
            (date(2025, 7, 1), "1er juillet 2025"),
            (date(2025, 8, 15), "15 août 2025"),
        ],
    )
    def test_dates(self, day: date, expected: str) -> None:
        assert french_date(day) == expected

    @pytest.mark.parametrize(
        ("first", "last", "expected"),
        [
            (date(2025, 6, 23), date(2025, 6, 29), "du 23 au 29 juin 2025"),
            (date(2025, 6, 30), date(2025, 7, 6), "du 30 juin au 6 juillet 2025"),
            (date(2025, 12, 29), date(2026, 1, 4), "du 29 décembre 2025 au 4 janvier 2026"),
            (date(2025, 9, 1), date(2025, 9, 7), "du 1er au 7 septembre 2025"),
            (date(2025, 6, 27), date(2025, 6, 27), "du 27 juin 2025"),
        ],
    )
    def test_spans(self, first: date, last: date, expected: str) -> None:
        assert french_span(first, last) == expected

    def test_a_score_move_reads_like_the_example(self) -> None:
        expected = "votre score Technologie passerait de 2,31 à 2,18"
        assert score_sentence(ScoreChange("Technologie", 2.31, 2.18)) == expected


class TestDigestSubject:
    def test_counts_the_alerts_and_names_the_week(self) -> None:
        assert digest(MODEL, NIS2).subject == "Veille DIMM : 2 alertes, semaine du 23 au 29 juin 2025"

    def test_a_single_alert_of_a_day_is_singular(self) -> None:
        email = render_digest(
            [MODEL], to="a@b.fr", period=DAY, key="k", base_url=BASE, preferences_url=PREFERENCES
        )
        assert email.subject == "Veille DIMM : 1 alerte, journée du 27 juin 2025"

    def test_an_empty_digest_is_refused(self) -> None:
        with pytest.raises(InvalidInput):
            digest()


class TestContent:
    def test_text_and_html_carry_every_part_of_every_alert(self) -> None:
        email = digest(MODEL, NIS2)
        visible = " ".join(parsed(email.html).text)
        for part in [
            "Édition 2.1 du modèle DIMM",
            "La cible de TIO2 passe à 4.",
            "TIO2",
            "Votre score Technologie passerait de 2,31 à 2,18",
            "Sauvegardes chiffrées hors site",
            "Test de restauration annuel",
            "NIS 2 : enregistrement auprès de l'ANSSI",
            "ORS3, ORS4",
            "1er juillet 2025",
            "Boulangerie Martin",
        ]:
            assert part in email.text
            assert part in visible

    def test_text_and_html_list_the_same_alerts_in_the_same_order(self) -> None:
        email = digest(MODEL, HOSTILE, NIS2)
        html_titles = [text for tag, text in parsed(email.html).headings if tag == "h4"]
        text_titles = [
            line[2:].rsplit(" (", 1)[0] for line in email.text.splitlines() if line.startswith("* ")
        ]
        assert text_titles == [NIS2.notice_title, MODEL.notice_title, HOSTILE.notice_title]
        assert html_titles == text_titles

    def test_groups_by_organisation_then_decreasing_severity(self) -> None:
        headings = [
            (tag, text) for tag, text in parsed(digest(MODEL, HOSTILE, NIS2).html).headings if tag != "h4"
        ]
        assert headings == [
            ("h1", "Veille DIMM"),
            ("h2", "Boulangerie Martin"),
            ("h3", "Critique"),
            ("h3", "Attention"),
            ("h2", "Dupont & Fils <SARL>"),
            ("h3", "Information"),
        ]

    def test_links_lead_to_the_veille_page_and_the_preferences(self) -> None:
        email = digest(MODEL)
        hrefs = [attrs["href"] for tag, attrs in parsed(email.html).tags if tag == "a"]
        assert hrefs == ["https://dimm.example/veille/org-1", PREFERENCES]
        assert "https://dimm.example/veille/org-1" in email.text
        assert PREFERENCES in email.text

    @pytest.mark.parametrize("link", ["javascript:alert(1)", "file:///etc/passwd"])
    def test_a_link_that_is_not_http_is_refused(self, link: str) -> None:
        with pytest.raises(InvalidInput):
            digest(DigestEntry("t", "usage", "info", "s", "o", link=link))


class TestEscaping:
    def test_user_text_is_escaped_in_html_and_kept_as_is_in_text(self) -> None:
        email = digest(HOSTILE)
        assert "<script>" not in email.html
        assert "<img" not in email.html
        assert "<b>" not in email.html
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in email.html
        assert "Dupont &amp; Fils &lt;SARL&gt;" in email.html
        assert HOSTILE.notice_title in email.text
        assert '<script>alert("x")</script> & co' in " ".join(parsed(email.html).text)


class TestAccessibility:
    def test_the_page_is_french_with_a_title_and_meaningful_headings(self) -> None:
        page = parsed(digest(MODEL).html)
        html_tag = next(attrs for tag, attrs in page.tags if tag == "html")
        assert html_tag["lang"] == "fr"
        assert [tag for tag, _ in page.headings][:3] == ["h1", "h2", "h3"]
        assert any(tag == "title" for tag, _ in page.tags)

    def test_no_external_asset_and_only_inline_styles(self) -> None:
        tags = parsed(digest(MODEL, NIS2, HOSTILE).html).tags
        assert not {tag for tag, _ in tags} & {"img", "link", "script", "style", "iframe"}
        assert not any("src" in attrs for _, attrs in tags)
        assert "url(" not in digest(MODEL).html

    @pytest.mark.parametrize("foreground", sorted(TEXT_COLOURS))
    @pytest.mark.parametrize("background", sorted(BACKGROUNDS))
    def test_text_contrast_reaches_wcag_aa(self, foreground: str, background: str) -> None:
        assert _contrast(TEXT_COLOURS[foreground], BACKGROUNDS[background]) >= 4.5


class TestHeaders:
    def test_carry_the_key_and_point_unsubscribe_to_the_preferences(self) -> None:
        email = digest(MODEL)
        assert email.key == "k-1"
        assert email.headers["Message-ID"] == "<k-1@dimm.local>"
        assert email.headers["X-DIMM-Idempotency-Key"] == "k-1"
        assert email.headers["List-Unsubscribe"] == f"<{PREFERENCES}>"
        assert email.to == "dpo@example.fr"


class TestSingleAlert:
    def test_names_the_severity_the_notice_and_the_organisation_on_one_line(self) -> None:
        entry = DigestEntry("Loi\nrésilience", "regulatory", "critical", "s", "Acme", link="/veille/o")
        email = render_alert(entry, to="a@b.fr", key="k-2", base_url=BASE, preferences_url=PREFERENCES)
        assert email.subject == "[Critique] Veille DIMM : Loi résilience (Acme)"
        assert "Une alerte de veille concerne Acme." in email.text
        assert email.headers["Message-ID"] == "<k-2@dimm.local>"


def _contrast(foreground: str, background: str) -> float:
    lighter, darker = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
