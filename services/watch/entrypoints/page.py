"""The French "Veille" page of an organisation: its open alerts, what they mean, what to do."""

from __future__ import annotations

from html import escape
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from services.watch.domain.alerts import Alert
from services.watch.domain.emails import french_date, french_number
from services.watch.domain.notices import Notice
from services.watch.entrypoints.dependencies import UoW
from services.watch.service_layer.subscriptions import owned
from shared.http import Reader, problem_responses
from shared.model.scorecard import ADVICE_LABELS

router = APIRouter(prefix="/v1", tags=["watch"])
_SEVERITY = {"critical": "Critique", "warning": "Attention", "info": "Information"}
_LABELS: dict[str, str] = {str(advice): label for advice, label in ADVICE_LABELS.items()}
_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}"
    "article{border:1px solid #767676;border-radius:6px;padding:1rem;margin:1rem 0}"
    ".critical{border-left:6px solid #a4161a}.warning{border-left:6px solid #8a4b00}"
    ".info{border-left:6px solid #1d4ed8}a{color:#1d4ed8}"
    "@media print{a{color:#000}article{break-inside:avoid}}"
)


@router.get(
    "/organisations/{organisation_id}/veille",
    response_class=HTMLResponse,
    responses=problem_responses(401, 403, 404),
    operation_id="getWatchPage",
)
async def veille(organisation_id: str, caller: Reader, uow: UoW) -> HTMLResponse:
    """The organisation's watch page: open alerts with their impact and the criteria to meet."""
    caller.require("organisations:read")
    async with uow:
        organisation = await owned(uow, caller, organisation_id)
        alerts = [
            a
            for a in await uow.alerts.of_organisation(organisation_id)
            if a.status in ("open", "acknowledged")
        ]
        entries = [(a, await uow.notices.get(a.notice_id), await uow.alerts.impact(a.id)) for a in alerts]
    return HTMLResponse(render_veille(organisation.name or organisation_id, entries))


def render_veille(name: str, entries: list[tuple[Alert, Notice | None, dict[str, Any] | None]]) -> str:
    """Render the Veille page of an organisation from its open alerts, their notices and impacts."""
    sections = "".join(_article(a, n, i) for a, n, i in entries if n is not None)
    body = (
        sections
        or "<p>Aucune alerte ouverte : vos diagnostics ne sont touchés par aucun changement publié.</p>"
    )
    title = escape(name)
    return (
        f'<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Veille — {title}</title>'
        f'<meta name="viewport" content="width=device-width,initial-scale=1"><style>{_STYLE}</style></head>'
        f"<body><main><h1>Veille — {title}</h1>"
        f"<p>{len(entries)} alerte(s) ouverte(s) sur les évolutions du modèle, de la réglementation, "
        "des technologies et des usages qui touchent votre dernier diagnostic.</p>"
        f"{body}</main></body></html>"
    )


def _article(alert: Alert, notice: Notice, affected: dict[str, Any] | None) -> str:
    severity = _SEVERITY[notice.severity]
    dates = []
    if notice.effective_date:
        dates.append(f"en vigueur le {french_date(notice.effective_date)}")
    if notice.deadline:
        dates.append(f"échéance le {french_date(notice.deadline)}")
    when = f"<p><strong>{escape(' · '.join(dates))}</strong></p>" if dates else ""
    return (
        f'<article class="{notice.severity}"><h2>{escape(notice.title_fr)}</h2>'
        f"<p>{severity} · alerte {'prise en compte' if alert.status == 'acknowledged' else 'ouverte'}</p>"
        f"{when}<p>{escape(notice.summary_fr)}</p>{_impact(affected)}"
        f'<p><a href="{escape(notice.source_url)}">Source</a></p></article>'
    )


def _impact(affected: dict[str, Any] | None) -> str:
    if not affected:
        return ""
    touched = ", ".join(
        f"{escape(i['code'])} (niveau {i['level'] if i['level'] is not None else 'non renseigné'}"
        f"{'' if i.get('target') is None else ', cible ' + str(i['target'])})"
        for i in affected.get("indicators", [])
    )
    parts = [f"<h3>Vos indicateurs concernés</h3><p>{touched}</p>"] if touched else []
    impact = affected.get("impact")
    if impact:
        parts.append(_projection(impact))
    return "".join(parts)


def _projection(impact: dict[str, Any]) -> str:
    lines = []
    if impact.get("overall_before") is not None and impact.get("overall_after") is not None:
        lines.append(
            f"Votre score global passerait de {french_number(impact['overall_before'])} "
            f"à {french_number(impact['overall_after'])} sur 5."
        )
    for lever in impact.get("levers", []):
        if (
            lever.get("before") is not None
            and lever.get("after") is not None
            and lever["before"] != lever["after"]
        ):
            before, after = french_number(lever["before"]), french_number(lever["after"])
            lines.append(f"Levier {escape(lever['code'])} : de {before} à {after}.")
    for change in impact.get("advice_changes", []):
        before = _LABELS.get(change["before"], change["before"])
        after = _LABELS.get(change.get("after") or "", "retiré du modèle")
        lines.append(f"{escape(change['code'])} passe de « {before} » à « {after} ».")
    todo = "".join(
        f"<li>{escape(step['code'])} niveau {step['next_level']} : "
        + "; ".join(escape(c["text"]) for c in step.get("criteria", []))
        + "</li>"
        for step in impact.get("roadmap_head", [])
    )
    items = "".join(f"<li>{line}</li>" for line in lines)
    actions = f"<h3>Ce qu'il faut faire</h3><ol>{todo}</ol>" if todo else ""
    return f"<h3>Avec la version {escape(impact['to_version'])}</h3><ul>{items}</ul>{actions}"
