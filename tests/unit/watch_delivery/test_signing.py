"""Standard Webhooks signing, checked against the official `standardwebhooks` library."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from services.watch.domain import webhooks
from services.watch.domain.endpoints import Endpoint
from shared.errors import InvalidInput

# The reference vector published with the Standard Webhooks specification (and Svix's libraries).
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TIMESTAMP = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
BODY = '{"type":"watch.alert.opened","data":{"titre":"Échéance NIS 2 — à traiter"}}'.encode()
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def _secret_of(size: int) -> str:
    return "whsec_" + base64.b64encode(bytes(range(size))).decode()


def _now() -> int:
    return int(time.time())


class TestSecrets:
    def test_a_new_secret_is_whsec_and_32_random_bytes(self) -> None:
        secret = webhooks.new_secret()
        assert secret.startswith("whsec_")
        assert len(webhooks.parse_secret(secret)) == 32
        assert secret != webhooks.new_secret()

    @pytest.mark.parametrize("size", [24, 32, 64])
    def test_secrets_of_24_to_64_bytes_are_accepted(self, size: int) -> None:
        assert len(webhooks.parse_secret(_secret_of(size))) == size

    def test_unpadded_base64_is_accepted(self) -> None:
        assert webhooks.parse_secret(_secret_of(32).rstrip("=")) == bytes(range(32))

    @pytest.mark.parametrize(
        "secret",
        [
            _secret_of(23),
            _secret_of(65),
            _secret_of(32).removeprefix("whsec_"),
            "whsec_not*base64!",
            "whsec_",
        ],
    )
    def test_a_malformed_secret_is_refused(self, secret: str) -> None:
        with pytest.raises(webhooks.InvalidSecret):
            webhooks.parse_secret(secret)

    def test_a_refused_secret_is_an_invalid_input(self) -> None:
        with pytest.raises(InvalidInput) as refused:
            webhooks.parse_secret("nope")
        assert refused.value.status == 422


class TestSignature:
    def test_the_reference_vector_is_reproduced(self) -> None:
        signature = webhooks.sign(VECTOR_SECRET, VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY)
        assert signature == VECTOR_SIGNATURE

    def test_the_official_library_signs_the_same(self) -> None:
        at = datetime.fromtimestamp(VECTOR_TIMESTAMP, tz=UTC)
        assert Webhook(VECTOR_SECRET).sign(VECTOR_ID, at, VECTOR_BODY.decode()) == VECTOR_SIGNATURE

    def test_every_secret_signs_once_separated_by_spaces(self) -> None:
        header = webhooks.signature_header(
            [VECTOR_SECRET, _secret_of(32)], VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY
        )
        first, second = header.split(" ")
        assert first == VECTOR_SIGNATURE
        assert second.startswith("v1,")
        assert second != first

    def test_no_secret_is_refused(self) -> None:
        with pytest.raises(InvalidInput):
            webhooks.signature_header([], VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY)

    @pytest.mark.parametrize("msg_id", ["", "msg.1", "msg 1", "msg_1\n"])
    def test_an_ambiguous_message_id_is_refused(self, msg_id: str) -> None:
        with pytest.raises(InvalidInput):
            webhooks.sign(VECTOR_SECRET, msg_id, VECTOR_TIMESTAMP, VECTOR_BODY)

    def test_a_negative_timestamp_is_refused(self) -> None:
        with pytest.raises(InvalidInput):
            webhooks.sign(VECTOR_SECRET, VECTOR_ID, -1, VECTOR_BODY)


class TestHeaders:
    def test_the_headers_are_the_standard_ones(self) -> None:
        sent = webhooks.headers([VECTOR_SECRET], VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY)
        assert sent == {
            "webhook-id": VECTOR_ID,
            "webhook-timestamp": str(VECTOR_TIMESTAMP),
            "webhook-signature": VECTOR_SIGNATURE,
            "content-type": "application/json",
            "user-agent": webhooks.USER_AGENT,
        }

    def test_a_retry_keeps_the_id_and_takes_its_own_timestamp(self) -> None:
        msg_id = webhooks.new_message_id()
        first = webhooks.headers([VECTOR_SECRET], msg_id, 1_800_000_000, BODY)
        retry = webhooks.headers([VECTOR_SECRET], msg_id, 1_800_000_005, BODY)
        assert first["webhook-id"] == retry["webhook-id"] == msg_id
        assert (first["webhook-timestamp"], retry["webhook-timestamp"]) == ("1800000000", "1800000005")
        assert first["webhook-signature"] != retry["webhook-signature"]

    def test_message_ids_are_msg_and_unique(self) -> None:
        ids = {webhooks.new_message_id() for _ in range(100)}
        assert len(ids) == 100
        assert all(i.startswith("msg_") for i in ids)


class TestVerifiedByTheOfficialLibrary:
    def test_a_message_verifies_and_parses(self) -> None:
        secret = webhooks.new_secret()
        sent = webhooks.headers([secret], webhooks.new_message_id(), _now(), BODY)
        assert Webhook(secret).verify(BODY, sent) == {
            "type": "watch.alert.opened",
            "data": {"titre": "Échéance NIS 2 — à traiter"},
        }

    def test_a_tampered_body_is_refused(self) -> None:
        secret = webhooks.new_secret()
        sent = webhooks.headers([secret], webhooks.new_message_id(), _now(), BODY)
        with pytest.raises(WebhookVerificationError):
            Webhook(secret).verify(BODY.replace(b"NIS 2", b"NIS 3"), sent)

    def test_another_secret_is_refused(self) -> None:
        sent = webhooks.headers([webhooks.new_secret()], webhooks.new_message_id(), _now(), BODY)
        with pytest.raises(WebhookVerificationError):
            Webhook(webhooks.new_secret()).verify(BODY, sent)

    def test_a_stale_timestamp_is_refused_by_receivers(self) -> None:
        secret = webhooks.new_secret()
        sent = webhooks.headers([secret], webhooks.new_message_id(), _now() - 3600, BODY)
        with pytest.raises(WebhookVerificationError):
            Webhook(secret).verify(BODY, sent)


class TestRotation:
    def _endpoint(self) -> Endpoint:
        return Endpoint.create(
            endpoint_id="wep_1", account_id="acc_1", url="https://hooks.example.com/", at=T0
        )

    def test_during_the_overlap_both_secrets_verify(self) -> None:
        endpoint = self._endpoint()
        old = endpoint.secret
        new = endpoint.rotate(T0 + timedelta(days=1))
        signing = endpoint.signing_secrets(T0 + timedelta(days=1, hours=23))
        sent = webhooks.headers(signing, webhooks.new_message_id(), _now(), BODY)
        assert signing == [new, old]
        assert Webhook(old).verify(BODY, sent) is not None
        assert Webhook(new).verify(BODY, sent) is not None

    def test_after_the_overlap_only_the_new_secret_verifies(self) -> None:
        endpoint = self._endpoint()
        old = endpoint.secret
        new = endpoint.rotate(T0, keep_previous_for=timedelta(hours=24))
        signing = endpoint.signing_secrets(T0 + timedelta(hours=24))
        sent = webhooks.headers(signing, webhooks.new_message_id(), _now(), BODY)
        assert Webhook(new).verify(BODY, sent) is not None
        with pytest.raises(WebhookVerificationError):
            Webhook(old).verify(BODY, sent)
