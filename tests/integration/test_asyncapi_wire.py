"""Records read from the real broker after a flow match the AsyncAPI documents the services serve."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_binary
from cloudevents.core.formats.json import JSONFormat
from fastapi import FastAPI

from shared.events.contracts.assessment import DiagnosticSubmitted
from shared.messaging.asyncapi_dead_letters import DEAD_LETTERED_EVENT, DEAD_LETTERED_RECORD
from shared.messaging.kafka import KafkaSender
from shared.messaging.lag import KafkaLagReader
from shared.messaging.topics import dead_letter_topic, events_topic
from shared.model.editions import SME_PROFILE
from tests.integration.bus import eventually, produce
from tests.integration.conftest import new_tenant, records_with_subject, scorecard_of, submitted_diagnostic
from tests.stack import Backend
from tests.wire import Documented, message_named

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]


async def _documents(http: httpx.AsyncClient, scoring_http: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    return {
        "assessment": (await http.get("/assessment/asyncapi.json")).json(),
        "scoring": (await scoring_http.get("/scoring/asyncapi.json")).json(),
    }


def _event_type(record: Any) -> str:
    return str(dict(record.headers)["ce_type"].decode())


def _errors(document: dict[str, Any], record: Any) -> list[str]:
    documented = Documented(document, message_named(document, _event_type(record)))
    return documented.errors(record.headers, record.key, record.value)


def _reads(document: dict[str, Any], event_type: str) -> bool:
    return any(m.get("name") == event_type for m in document["components"]["messages"].values())


def _as_cloudevent(record: Any) -> Any:
    message = KafkaMessage(headers=dict(record.headers), key=record.key, value=record.value)
    return from_binary(message, JSONFormat())


async def _scored(http: httpx.AsyncClient, scoring_http: httpx.AsyncClient, level: int) -> tuple[str, str]:
    """Submit a diagnostic of a new tenant and wait for its scorecard; return the account and organisation."""
    tenant = await new_tenant(http)
    org, diag = await submitted_diagnostic(tenant, dict.fromkeys(SME_PROFILE, level))
    await scorecard_of(scoring_http, tenant, diag)
    return tenant.account_id, org


class TestEventsOfAFlow:
    async def test_a_scored_diagnostics_records_match_their_producers_and_readers_documents(
        self, http: httpx.AsyncClient, scoring_http: httpx.AsyncClient, backend: Backend
    ) -> None:
        account, org = await _scored(http, scoring_http, 2)
        documents = await _documents(http, scoring_http)
        written = await records_with_subject(backend, events_topic("assessment"), org, expected=2)
        opened = await records_with_subject(backend, events_topic("assessment"), account)
        [scored] = await records_with_subject(backend, events_topic("scoring"), org)
        seen = [(r, "assessment", "scoring") for r in [*written, *opened]]
        seen.append((scored, "scoring", "assessment"))
        assert {_event_type(r) for r, _, _ in seen} >= {
            "dimm.assessment.account.opened.v1",
            "dimm.assessment.organisation.registered.v1",
            "dimm.assessment.diagnostic.submitted.v1",
            "dimm.scoring.diagnostic.scored.v1",
        }
        for record, producer, reader in seen:
            assert _errors(documents[producer], record) == [], _event_type(record)
            if _reads(documents[reader], _event_type(record)):
                assert _errors(documents[reader], record) == [], _event_type(record)

    async def test_the_cloudevents_sdk_reads_each_record_as_a_binary_mode_event(
        self, http: httpx.AsyncClient, scoring_http: httpx.AsyncClient, backend: Backend
    ) -> None:
        _, org = await _scored(http, scoring_http, 3)
        [scored] = await records_with_subject(backend, events_topic("scoring"), org)
        submitted = [
            r
            for r in await records_with_subject(backend, events_topic("assessment"), org, expected=2)
            if _event_type(r) == "dimm.assessment.diagnostic.submitted.v1"
        ]
        event = _as_cloudevent(scored)
        assert (event.get_specversion(), event.get_type()) == ("1.0", "dimm.scoring.diagnostic.scored.v1")
        assert (event.get_source(), event.get_subject()) == ("/dimm/scoring", org)
        assert event.get_datacontenttype() == "application/json"
        assert event.get_time().tzinfo is not None
        assert event.get_data() == json.loads(scored.value)
        assert event.get_extension("partitionkey") == org  # the SDK reads the record key as this extension
        # The scored event carries on the correlation id of the request that submitted the diagnostic.
        correlation_id = _as_cloudevent(submitted[0]).get_extension("correlationid")
        assert correlation_id
        assert event.get_extension("correlationid") == correlation_id


async def _committed_past(backend: Backend, group: str, topic: str, partition: int, offset: int) -> None:
    """Wait until a group has committed past a record, so no later test module's instance reads it again."""
    reader = KafkaLagReader(backend.kafka_bootstrap_servers, group=group, client_id="test-offsets")

    async def committed() -> bool:
        [lag] = [lag for lag in await reader.read([topic]) if lag.partition == partition]
        return lag.committed is not None and lag.committed > offset

    try:
        await eventually(committed)
    finally:
        await reader.close()


class TestDeadLetters:
    async def test_a_poison_record_dead_lettered_by_scoring_matches_the_documented_dead_letter(
        self, http: httpx.AsyncClient, scoring_http: httpx.AsyncClient, backend: Backend
    ) -> None:
        # On the benchmark's topic: only the groups running here (scoring, assessment) read it.
        topic, key = events_topic("benchmark"), f"poison-{uuid.uuid4().hex}"
        sender = KafkaSender(backend.kafka_bootstrap_servers, client_id="test-poison")
        await sender.start()
        try:
            queued = await sender.send(topic, b"\x00not json", key=key.encode(), headers=[("ce_id", b"x")])
            sent = await queued
        finally:
            await sender.stop()
        documents = await _documents(http, scoring_http)
        for service in ("scoring", "assessment"):
            group = f"dimm.{service}"
            [letter] = await records_with_subject(backend, dead_letter_topic(group), key)
            assert (
                Documented(documents[service], DEAD_LETTERED_RECORD).errors(
                    letter.headers, letter.key, letter.value
                )
                == []
            )
            assert dict(letter.headers)["dlq_reason"] == b"invalid-event"
            await _committed_past(backend, group, topic, sent.partition, sent.offset)

    async def test_an_event_given_up_on_matches_the_documented_dead_lettered_event(
        self, http: httpx.AsyncClient, scoring: FastAPI, scoring_http: httpx.AsyncClient, backend: Backend
    ) -> None:
        example = DiagnosticSubmitted.model_json_schema()["examples"][0]
        organisation = f"org_{uuid.uuid4().hex[:16]}"
        waiting = DiagnosticSubmitted.model_validate(
            {
                **example,
                "organisation_id": organisation,
                "model_version": "9.9.9",  # never published: scoring waits for it, then gives up
                "submitted_at": datetime.now(UTC).isoformat(),
            }
        )
        await produce(backend, events_topic("assessment"), [(waiting, organisation)], client_id="test-wait")
        [letter] = await records_with_subject(backend, dead_letter_topic("dimm.scoring"), organisation)
        [failed] = await records_with_subject(backend, events_topic("scoring"), organisation)
        documents = await _documents(http, scoring_http)
        documented = Documented(documents["scoring"], DEAD_LETTERED_EVENT)
        assert documented.errors(letter.headers, letter.key, letter.value) == []
        assert dict(letter.headers)["dlq_reason"] == b"dependency-timeout"
        assert _errors(documents["scoring"], failed) == []
        assert _errors(documents["assessment"], failed) == []
