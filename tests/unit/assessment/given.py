"""What the assessment use-case tests start from: the account owner, the token issuer, a respondent."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.auth import SCOPES, Principal, TokenIssuer

ISSUER = TokenIssuer(Ed25519PrivateKey.generate(), issuer="dimm")
OWNER = Principal("acc_1", frozenset(SCOPES), "premium", "tok")
ORGANISATION = {
    "name": "Boulangerie Martin",
    "sector": "commerce",
    "headcount": 42,
    "region": "bretagne",
    "organisation_type": "entreprise",
}


def as_respondent(respondent_id: str, diagnostic_id: str) -> Principal:
    """The principal of a respondent's token on one diagnostic of the owner's account."""
    return Principal(
        "acc_1",
        frozenset({"respondent"}),
        "premium",
        "t",
        diagnostic_id=diagnostic_id,
        respondent_id=respondent_id,
    )
