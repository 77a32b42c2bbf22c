"""The alert sink's HTML page: firing alerts, then the recently resolved ones; no script, all escaped."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from html import escape
from typing import TYPE_CHECKING
from urllib.parse import urlencode

if TYPE_CHECKING:
    from dimm.alert_sink import AlertState

#: At most this many resolved alerts are listed (the JSON-lines file keeps every one).
RESOLVED_SHOWN = 50
#: The refresh the page offers; it is opt-in, since a page that reloads by itself is not accessible
#: (WCAG 2.2.1: the user must be able to turn it off).
REFRESH_SECONDS = 30

_STYLE = """
body { font: 15px/1.4 system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; color: #222; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #ddd; vertical-align: top; }
.page { color: #fff; background: #b00020; padding: 0 .4rem; border-radius: 3px; }
.ticket { color: #222; background: #f2c94c; padding: 0 .4rem; border-radius: 3px; }
.resolved td { color: #666; }
.none { color: #2e7d32; }
"""


def _when(moment: datetime, now: datetime) -> str:
    """Say when, in UTC, and how long ago."""
    minutes = max(0, int((now - moment).total_seconds() // 60))
    ago = (
        f"{minutes} min"
        if minutes < 120
        else f"{minutes // 60} h"
        if minutes < 2880
        else f"{minutes // 1440} d"
    )
    return f"{moment:%Y-%m-%d %H:%M} UTC ({ago} ago)"


def _runbook(url: str) -> str:
    """Link a runbook only when it is a web address: an annotation must not become a script link."""
    if url.startswith(("https://", "http://")):
        return f'<a href="{escape(url)}">runbook</a>'
    return escape(url)


def _row(state: AlertState, now: datetime) -> str:
    labels, annotations = state.alert.labels, state.alert.annotations
    severity = labels.get("severity", "")
    since = state.alert.starts_at if state.firing else state.last_seen
    cells = (
        f'<span class="{severity if severity in ("page", "ticket") else ""}">{escape(severity)}</span>',
        escape(labels.get("alertname", "")),
        escape(labels.get("service", "")),
        escape(annotations.get("summary", "")),
        _runbook(annotations.get("runbook_url", annotations.get("runbook", ""))),
        escape(_when(since, now)),
    )
    return "<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>"


def _table(states: Iterable[AlertState], now: datetime, *, since: str, empty: str, css: str = "") -> str:
    rows = [_row(state, now) for state in states]
    if not rows:
        return f'<p class="none">{empty}</p>'
    head = "".join(
        f'<th scope="col">{name}</th>'
        for name in ("Severity", "Alert", "Service", "Summary", "Runbook", since)
    )
    return f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _refresh(seconds: int, access_token: str | None) -> tuple[str, str]:
    """Return the page's meta refresh (none unless asked for) and the link that turns it on or off."""
    query = {"access_token": access_token} if access_token else {}
    if seconds <= 0:
        on = escape("?" + urlencode({**query, "refresh": REFRESH_SECONDS}))
        return "", f'<a href="{on}">refresh every {REFRESH_SECONDS} s</a>'
    off = escape("?" + urlencode(query)) if query else "?"
    return (
        f'<meta http-equiv="refresh" content="{seconds}">',
        f'refreshed every {seconds} s (<a href="{off}">stop</a>)',
    )


def render_page(
    firing: list[AlertState],
    resolved: list[AlertState],
    *,
    now: datetime,
    refresh_seconds: int = 0,
    access_token: str | None = None,
) -> str:
    """Return the HTML page of the sink's state; it reloads itself only when asked to."""
    firing_table = _table(firing, now, since="Since", empty="No alert is firing.")
    resolved_table = _table(
        resolved[:RESOLVED_SHOWN], now, since="Resolved", empty="Nothing resolved lately.", css="resolved"
    )
    meta, refresh = _refresh(refresh_seconds, access_token)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">{meta}
<title>DIMM operator alerts ({len(firing)} firing)</title>
<style>{_STYLE}</style></head>
<body><main><h1>DIMM operator alerts</h1>
<p>As Alertmanager sent them, {now:%Y-%m-%d %H:%M:%S} UTC; {refresh}.</p>
<h2>Firing ({len(firing)})</h2>
{firing_table}
<h2>Recently resolved</h2>
{resolved_table}
</main></body></html>
"""
