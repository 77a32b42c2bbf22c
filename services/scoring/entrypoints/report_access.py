"""Who opens a report: an account's token, or the report link of that very diagnostic.

A refused browser (it accepts HTML) gets a French page saying why and how to get a fresh link;
an API client gets the usual problem body.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from html import escape
from typing import Annotated, Any

from fastapi import Depends, Query, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute

from services.scoring.entrypoints.report_style import BASE
from shared.auth import REPORT_SCOPE, Access, ExpiredToken, Principal
from shared.errors import DomainError, Forbidden, NotFound, Unauthorized
from shared.http import Credentials

LINK_ROUTE = "/assessment/v1/diagnostics/{diagnostic_id}/report-link"
TOKEN_ROUTE = "/assessment/v1/oauth/token"
#: Why a report was refused, said to whoever opened its link: (title, explanation).
REASONS: dict[type[DomainError], tuple[str, str]] = {
    ExpiredToken: (
        "Ce lien vers le rapport a expiré",
        "Un lien vers un rapport n'ouvre ce rapport que pendant une durée limitée (une heure par défaut), "
        "pour que vos résultats ne restent pas lisibles par quiconque retrouverait l'adresse.",
    ),
    Unauthorized: (
        "Ce lien vers le rapport n'est pas valide",
        "L'adresse est incomplète ou a été modifiée, ou la clé d'API qui l'a demandée a été révoquée.",
    ),
    Forbidden: (
        "Ce lien n'ouvre pas ce rapport",
        "Un lien vers un rapport n'ouvre que le rapport du diagnostic pour lequel il a été demandé.",
    ),
    NotFound: (
        "Ce rapport n'existe pas (encore)",
        "Le diagnostic n'a pas encore été évalué, a été retiré, ou l'adresse ne désigne aucun diagnostic.",
    ),
}
UNAVAILABLE = ("Le rapport est momentanément indisponible", "Réessayez dans quelques instants.")


async def get_report_reader(
    request: Request,
    diagnostic_id: str,
    credentials: Credentials,
    access_token: Annotated[
        str | None, Query(max_length=4096, description="A report link's token (or any reading token).")
    ] = None,
) -> Principal:
    """Authenticate a bearer token or the link's `access_token`: a report link opens its own report only."""
    token = credentials.credentials if credentials is not None else access_token
    if not token:
        raise Unauthorized("A bearer token, or the access_token of a report link, is required.")
    access: Access = request.app.state.access
    return await access.authenticate(token, report_of=diagnostic_id)


ReportReader = Annotated[Principal, Depends(get_report_reader)]


def wants_html(request: Request) -> bool:
    """Tell whether the client is a browser that takes an HTML page (an API client takes the problem)."""
    return "text/html" in request.headers.get("accept", "")


class BrowserPageRoute(APIRoute):
    """A route a browser opens: its refusals are a French page for a browser, a problem for an API client."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Wrap the handler (dependencies included) so a foreseeable refusal becomes a page."""
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except DomainError as exc:
                if not wants_html(request):
                    raise
                diagnostic_id = str(request.path_params.get("diagnostic_id", ""))
                headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'} if exc.status == 401 else None
                return HTMLResponse(refusal_page(exc, diagnostic_id), status_code=exc.status, headers=headers)

        return handle


def _reason(exc: DomainError) -> tuple[str, str]:
    return next((reason for kind, reason in REASONS.items() if isinstance(exc, kind)), UNAVAILABLE)


def refusal_page(exc: DomainError, diagnostic_id: str) -> str:
    """Render why a report cannot be shown, and where to get a fresh link, in French."""
    title, why = _reason(exc)
    link = escape(LINK_ROUTE.format(diagnostic_id=diagnostic_id or "{diagnostic_id}"))
    return f"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>{title} — DIMM</title><style>{BASE}main{{padding-top:24px}}</style></head>
<body><main>
<h1>{title}</h1>
<div class="card"><p>{why}</p>
<h2>Obtenir un nouveau lien</h2>
<ol>
<li>Demandez un nouveau lien à la personne qui vous a envoyé celui-ci.</li>
<li>Si vous avez accès à l'API de votre compte : obtenez un jeton d'accès à <code>POST {TOKEN_ROUTE}</code>
(portée <code>diagnostics:read</code>), puis demandez un lien à <code>POST {link}</code>. La réponse donne
<code>url</code> (la page du rapport) et <code>pdf_url</code> (le même rapport en PDF).</li>
<li>Sur une plateforme de démonstration lancée par <code>dimm up</code> : la commande <code>dimm demo</code>
affiche un nouveau lien.</li>
</ol>
<p class="meta">Le jeton d'un lien porte la seule portée <code>{REPORT_SCOPE}</code> :
il n'ouvre que ce rapport, en page ou en PDF, et rien d'autre. Détail : {escape(exc.detail)}</p></div>
</main></body></html>"""
