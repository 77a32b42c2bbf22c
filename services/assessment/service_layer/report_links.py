"""Use case of report links: a short-lived token that opens one diagnostic's report and nothing else."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.assessment.service_layer.diagnostics import load
from services.assessment.service_layer.unit_of_work import AssessmentUnitOfWork
from shared.auth import REPORT_SCOPE, Principal, TokenIssuer
from shared.errors import Conflict, Forbidden
from shared.mongo import utc_now

#: Where the scoring service serves the report, behind the platform's gateway.
REPORT_PATH = "/scoring/v1/diagnostics/{diagnostic_id}/report"


@dataclass(frozen=True)
class ReportLink:
    """A report's address with its token, and when the token expires."""

    diagnostic_id: str
    token: str
    expires_at: datetime

    @property
    def path(self) -> str:
        """Return the report's path with the token in its query (RFC 6750 §2.3, for a browser)."""
        return f"{REPORT_PATH.format(diagnostic_id=self.diagnostic_id)}?access_token={self.token}"


async def issue(
    principal: Principal,
    diagnostic_id: str,
    *,
    uow: AssessmentUnitOfWork,
    issuer: TokenIssuer,
    ttl: timedelta,
) -> ReportLink:
    """Give the account a link to a submitted diagnostic's report, valid for `ttl` to anyone holding it.

    The token carries the `report:read` scope alone and the diagnostic's id; every service refuses it
    on any other route. Revoking the API key that asked for it revokes the link too.
    """
    if principal.is_respondent or principal.is_report_link:
        raise Forbidden("Only the account's API clients may ask for a report link.")
    diagnostic = await load(principal, diagnostic_id, uow=uow)
    if diagnostic.status not in ("submitted", "scored"):
        raise Conflict(f"The diagnostic is {diagnostic.status}: only a submitted diagnostic has a report.")
    now = utc_now()
    link = Principal(
        principal.account_id,
        frozenset({REPORT_SCOPE}),
        principal.plan,
        uuid.uuid4().hex,
        client_id=principal.client_id,
        diagnostic_id=diagnostic_id,
    )
    # The token's expiry is a whole second (its `exp` claim): say the same.
    expires_at = datetime.fromtimestamp(int((now + ttl).timestamp()), UTC)
    return ReportLink(diagnostic_id, issuer.issue(link, ttl=ttl, now=now), expires_at)
