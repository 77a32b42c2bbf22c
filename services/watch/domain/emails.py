"""French e-mails for a digest or a single alert: subject, plain text and accessible HTML."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from html import escape
from urllib.parse import urlsplit

from services.watch.domain.digests import Period
from services.watch.domain.inbox import SEVERITIES, NoticeKind, Severity
from shared.errors import InvalidInput

MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip
KIND_LABELS: Mapping[NoticeKind, str] = {
    "model": "Modèle",
    "regulatory": "Réglementation",
    "technology": "Technologie",
    "usage": "Usages",
}
SEVERITY_LABELS: Mapping[Severity, str] = {
    "critical": "Critique",
    "warning": "Attention",
    "info": "Information",
}
# Every text colour reaches 4.5:1 on every background (WCAG AA); the tests check the ratios.
TEXT_COLOURS: Mapping[str, str] = {
    "text": "#1a1a1a",
    "muted": "#4d4d4d",
    "link": "#0b57d0",
    "critical": "#a4161a",
    "warning": "#8a4b00",
    "info": "#1d4f91",
}
BACKGROUNDS: Mapping[str, str] = {"page": "#ffffff", "card": "#f5f6f8"}


@dataclass(frozen=True)
class ScoreChange:
    """A projected score move, e.g. the Technologie lever going from 2.31 to 2.18."""

    scope: str
    before: float
    after: float


@dataclass(frozen=True)
class DigestEntry:
    """One alert as an e-mail shows it: what changed, what it touches, what to do and by when."""

    notice_title: str
    kind: NoticeKind
    severity: Severity
    summary: str
    organisation_name: str
    indicators: tuple[str, ...] = ()
    score_changes: tuple[ScoreChange, ...] = ()
    criteria: tuple[str, ...] = ()
    deadline: date | None = None
    link: str = "veille"


@dataclass(frozen=True)
class OutgoingEmail:
    """A rendered e-mail, ready for any sender; `key` makes a resend recognisable."""

    to: str
    subject: str
    text: str
    html: str
    key: str
    headers: Mapping[str, str] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class _Links:
    base_url: str
    preferences_url: str
    domain: str


Sections = list[tuple[str, list[tuple[Severity, list[DigestEntry]]]]]


def french_number(value: float, digits: int = 2) -> str:
    """Write a number the French way: 2,31 and 1 234,50."""
    return f"{value:,.{digits}f}".replace(",", "\u202f").replace(".", ",")


def french_date(day: date) -> str:
    """Write a date the French way: 28 juin 2025, 1er juillet 2025."""
    number = "1er" if day.day == 1 else str(day.day)
    return f"{number} {MONTHS[day.month - 1]} {day.year}"


def french_span(first: date, last: date) -> str:
    """Write a span of days: du 23 au 29 juin 2025, du 30 juin au 6 juillet 2025, or one day."""
    if first == last:
        return f"du {french_date(first)}"
    if (first.year, first.month) == (last.year, last.month):
        return f"du {'1er' if first.day == 1 else first.day} au {french_date(last)}"
    start = french_date(first) if first.year != last.year else french_date(first).rsplit(" ", 1)[0]
    return f"du {start} au {french_date(last)}"


def score_sentence(change: ScoreChange) -> str:
    """Say a projected score move: votre score Technologie passerait de 2,31 à 2,18."""
    before, after = french_number(change.before), french_number(change.after)
    return f"votre score {change.scope} passerait de {before} à {after}"


def render_digest(
    entries: Sequence[DigestEntry],
    *,
    to: str,
    period: Period,
    key: str,
    base_url: str,
    preferences_url: str,
    domain: str = "dimm.local",
) -> OutgoingEmail:
    """Render one digest e-mail gathering the alerts of a period."""
    if not entries:
        raise InvalidInput("An empty digest is not sent.")
    count = f"{len(entries)} alerte{'s' if len(entries) > 1 else ''}"
    span = french_span(period.first_day, period.last_day)
    when = f"semaine {span}" if period.cadence == "weekly" else f"journée {span}"
    subject = f"Veille DIMM : {count}, {when}"
    intro = f"{count.capitalize()} concernant vos organisations ({when})."
    links = _Links(base_url, _checked_url(preferences_url), domain)
    return _email(entries, to=to, subject=subject, intro=intro, key=key, links=links)


def render_alert(
    entry: DigestEntry,
    *,
    to: str,
    key: str,
    base_url: str,
    preferences_url: str,
    domain: str = "dimm.local",
) -> OutgoingEmail:
    """Render the e-mail of a single alert sent as soon as it opens."""
    label = SEVERITY_LABELS[entry.severity]
    subject = (
        f"[{label}] Veille DIMM : {_one_line(entry.notice_title)} ({_one_line(entry.organisation_name)})"
    )
    intro = f"Une alerte de veille concerne {entry.organisation_name}."
    links = _Links(base_url, _checked_url(preferences_url), domain)
    return _email([entry], to=to, subject=subject, intro=intro, key=key, links=links)


def _email(
    entries: Sequence[DigestEntry],
    *,
    to: str,
    subject: str,
    intro: str,
    key: str,
    links: _Links,
) -> OutgoingEmail:
    sections = _sections(entries)
    headers = {
        "Message-ID": f"<{key}@{links.domain}>",
        "X-DIMM-Idempotency-Key": key,
        "List-Unsubscribe": f"<{links.preferences_url}>",
        "Content-Language": "fr",
        # RFC 3834: out-of-office robots must not answer an automatic message.
        "Auto-Submitted": "auto-generated",
    }
    text = _text(subject, intro, sections, links)
    html = _html(subject, intro, sections, links)
    return OutgoingEmail(to=to, subject=_one_line(subject), text=text, html=html, key=key, headers=headers)


def _sections(entries: Sequence[DigestEntry]) -> Sections:
    """Group entries by organisation (in order of first appearance), then by decreasing severity."""
    organisations = list(dict.fromkeys(entry.organisation_name for entry in entries))
    sections: Sections = []
    for name in organisations:
        mine = [entry for entry in entries if entry.organisation_name == name]
        by_severity = [(s, [e for e in mine if e.severity == s]) for s in SEVERITIES]
        sections.append((name, [(s, group) for s, group in by_severity if group]))
    return sections


def _text(subject: str, intro: str, sections: Sections, links: _Links) -> str:
    lines = [_one_line(subject), "", intro, ""]
    for organisation, severities in sections:
        lines += [f"== {organisation} ==", ""]
        for severity, entries in severities:
            lines += [f"-- {SEVERITY_LABELS[severity]} --", ""]
            for entry in entries:
                lines += [*_text_entry(entry, links.base_url), ""]
    lines += [f"Gérer vos préférences de notification : {links.preferences_url}", ""]
    return "\n".join(lines)


def _text_entry(entry: DigestEntry, base_url: str) -> list[str]:
    lines = [f"* {entry.notice_title} ({KIND_LABELS[entry.kind]})", f"  Ce qui change : {entry.summary}"]
    if entry.indicators:
        lines.append(f"  Indicateurs concernés : {', '.join(entry.indicators)}")
    lines += [f"  Impact : {_capital(score_sentence(change))}." for change in entry.score_changes]
    if entry.criteria:
        lines += ["  Critères à remplir :", *(f"    - {criterion}" for criterion in entry.criteria)]
    if entry.deadline:
        lines.append(f"  Échéance : {french_date(entry.deadline)}")
    lines.append(f"  Voir la page Veille : {_link(base_url, entry.link)}")
    return lines


_BODY = (
    "margin:0;padding:0;background:{page};color:{text};"
    "font-family:Arial,Helvetica,sans-serif;line-height:1.5;"
)
_CARD = "background:{card};color:{text};border-left:4px solid {accent};padding:12px 16px;margin:0 0 16px 0;"


def _html(subject: str, intro: str, sections: Sections, links: _Links) -> str:
    colours = {**TEXT_COLOURS, **BACKGROUNDS}
    parts = [
        '<!DOCTYPE html>\n<html lang="fr">\n<head>\n<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(_one_line(subject))}</title>\n</head>",
        f'<body style="{_BODY.format(**colours)}">',
        '<div role="main" style="max-width:640px;margin:0 auto;padding:24px;">',
        f'<h1 style="font-size:22px;margin:0 0 8px 0;">Veille DIMM</h1>\n<p>{escape(intro)}</p>',
    ]
    for organisation, severities in sections:
        parts.append(f'<h2 style="font-size:20px;margin:24px 0 8px 0;">{escape(organisation)}</h2>')
        for severity, entries in severities:
            colour, label = TEXT_COLOURS[severity], SEVERITY_LABELS[severity]
            parts.append(f'<h3 style="font-size:17px;color:{colour};margin:16px 0 8px 0;">{label}</h3>')
            parts += [_html_entry(entry, links.base_url, accent=colour) for entry in entries]
    parts += [
        f'<p style="color:{TEXT_COLOURS["muted"]};font-size:14px;">'
        f'<a href="{escape(links.preferences_url)}" style="color:{TEXT_COLOURS["link"]};">'
        "Gérer vos préférences de notification</a></p>",
        "</div>\n</body>\n</html>\n",
    ]
    return "\n".join(parts)


def _html_entry(entry: DigestEntry, base_url: str, *, accent: str) -> str:
    card = _CARD.format(accent=accent, **TEXT_COLOURS, **BACKGROUNDS)
    parts = [
        f'<div style="{card}">',
        f'<h4 style="font-size:16px;margin:0 0 8px 0;">{escape(entry.notice_title)} '
        f'<span style="font-weight:normal;color:{TEXT_COLOURS["muted"]};">'
        f"({KIND_LABELS[entry.kind]})</span></h4>",
        f"<p><strong>Ce qui change :</strong> {escape(entry.summary)}</p>",
    ]
    if entry.indicators:
        parts.append(f"<p><strong>Indicateurs concernés :</strong> {escape(', '.join(entry.indicators))}</p>")
    parts += [
        f"<p><strong>Impact :</strong> {escape(_capital(score_sentence(c)))}.</p>"
        for c in entry.score_changes
    ]
    if entry.criteria:
        items = "".join(f"<li>{escape(criterion)}</li>" for criterion in entry.criteria)
        parts.append(f"<p><strong>Critères à remplir :</strong></p>\n<ul>{items}</ul>")
    if entry.deadline:
        parts.append(f"<p><strong>Échéance :</strong> {french_date(entry.deadline)}</p>")
    link = escape(_link(base_url, entry.link))
    # The link names its target, so a screen reader's list of links stays meaningful.
    anchor = f"Voir la page Veille de {escape(entry.organisation_name)}"
    parts += [f'<p><a href="{link}" style="color:{TEXT_COLOURS["link"]};">{anchor}</a></p>', "</div>"]
    return "\n".join(parts)


def _link(base_url: str, link: str) -> str:
    """Place an entry's link under the base URL of the site, unless it is already absolute."""
    if urlsplit(link).scheme:
        return _checked_url(link)
    return f"{_checked_url(base_url).rstrip('/')}/{link.lstrip('/')}"


def _checked_url(url: str) -> str:
    # An e-mail link must not run script nor point at a local file.
    if urlsplit(url).scheme not in {"http", "https"}:
        raise InvalidInput(f"E-mail links must be http or https URLs, not {url!r}.")
    return url


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
