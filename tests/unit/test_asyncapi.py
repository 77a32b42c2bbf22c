"""Each service's AsyncAPI document, built from its registries without I/O, against the wire format."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dimm.cli import app
from dimm.platform import SERVICES, build_service
from shared.aggregate import Recorded
from shared.events.contracts import build_registry
from shared.events.contracts.assessment import DiagnosticSubmitted
from shared.events.contracts.scoring import SCORED_EXAMPLE, DiagnosticScored
from shared.events.envelope import Event, encode, event_source, new_envelope, subject_fields
from shared.events.trace_context import TraceContext
from shared.messaging.asyncapi_dead_letters import DEAD_LETTERED_EVENT, DEAD_LETTERED_RECORD
from shared.messaging.dead_letters import DeadLetters
from shared.messaging.topics import dead_letter_topic, events_topic, producer_of
from shared.runtime import ServiceRuntime
from tests.contracts import with_additions
from tests.wire import Documented, Record, asyncapi, message_named, spec_validator

PARSER = Path(__file__).parents[2] / ".tools" / "asyncapi-parser"
DEAD_LETTER_HEADERS = (
    "dlq_reason",
    "dlq_error",
    "dlq_attempts",
    "dlq_group",
    "dlq_topic",
    "dlq_partition",
    "dlq_offset",
    "dlq_failed_at",
)
TRACE = TraceContext("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")


def _runtime(service: str, **settings: Any) -> ServiceRuntime[Any]:
    runtime: ServiceRuntime[Any] = build_service(service, environment="development", **settings).state.runtime
    return runtime


def _consumed(service: str) -> list[type[Event]]:
    subscription = _runtime(service).subscription
    return subscription.events if subscription is not None else []


def _record(event: Event, service: str) -> tuple[list[tuple[str, bytes]], bytes | None, bytes]:
    envelope = new_envelope(
        event,
        source=event_source(service),
        subject=event.contract_subject(),
        correlation_id="corr-42",
        trace=TRACE,
    )
    record = encode(envelope)
    return record.headers, record.key, record.value


class TestTheDocumentIsValidAsyncApi:
    @pytest.mark.parametrize("service", SERVICES)
    def test_it_validates_against_the_official_3_0_0_schema(self, service: str) -> None:
        document = asyncapi(service)
        assert document["asyncapi"] == "3.0.0"
        assert [e.message for e in spec_validator().iter_errors(document)] == []

    def test_the_schema_check_can_fail(self) -> None:
        document = asyncapi("scoring")
        document["channels"]["dimm.scoring.events"]["bindings"]["kafka"]["partitions"] = 0
        assert list(spec_validator().iter_errors(document))

    def test_the_asyncapi_parser_reports_no_error_or_warning(self, tmp_path: Path) -> None:
        node = shutil.which("node")
        if node is None or not (PARSER / "node_modules" / "@asyncapi" / "parser").is_dir():
            pytest.skip("node or the AsyncAPI parser is missing: `make asyncapi-parser` installs it")
        paths = []
        for service in SERVICES:
            paths.append(tmp_path / f"{service}.json")
            paths[-1].write_text(json.dumps(asyncapi(service)))
        done = subprocess.run(
            [node, "validate.mjs", *map(str, paths)], cwd=PARSER, capture_output=True, text=True, check=True
        )
        diagnostics = json.loads(done.stdout)
        # Severity 0 is an error, 1 a warning; 2 and 3 are information and hints.
        serious = {p: [d for d in found if d["severity"] <= 1] for p, found in diagnostics.items()}
        assert serious == {str(path): [] for path in paths}


class TestEveryMessageIsDocumented:
    @pytest.mark.parametrize("service", SERVICES)
    def test_what_a_service_publishes_and_consumes_are_messages_on_their_topics(self, service: str) -> None:
        runtime = _runtime(service)
        document = asyncapi(service)
        channels = document["channels"]
        for event in runtime.publishes:
            assert event.__name__ in channels[events_topic(service)]["messages"]
        for event in _consumed(service):
            assert event.__name__ in channels[events_topic(producer_of(event.event_type))]["messages"]

    def test_consumed_messages_carry_their_contract_as_payload(self) -> None:
        document = asyncapi("benchmark")
        message = document["components"]["messages"]["DiagnosticScored"]
        schema = document["components"]["schemas"][message["payload"]["$ref"].rsplit("/", 1)[1]]
        assert set(schema["properties"]) == set(DiagnosticScored.model_fields)
        assert "additionalProperties" not in schema  # a tolerant reader ignores what it does not know
        [example] = message["examples"]
        assert DiagnosticScored.model_validate(example["payload"]) == DiagnosticScored.model_validate(
            SCORED_EXAMPLE
        )

    @pytest.mark.parametrize("service", SERVICES)
    def test_each_message_has_cloudevents_headers_a_key_a_correlation_id_and_an_example(
        self, service: str
    ) -> None:
        document = asyncapi(service)
        assert document["components"]["correlationIds"]["correlationId"]["location"] == (
            "$message.header#/ce_correlationid"
        )
        for name, message in document["components"]["messages"].items():
            headers = set(message["headers"]["properties"])
            assert "key" in message["bindings"]["kafka"], name
            assert message["examples"], name
            if name == DEAD_LETTERED_RECORD:
                assert headers == set(DEAD_LETTER_HEADERS)
                continue
            assert {"ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_subject"} <= headers
            assert {"content-type", "ce_correlationid", "ce_traceparent", "ce_tracestate"} <= headers
            if name == DEAD_LETTERED_EVENT:
                assert set(DEAD_LETTER_HEADERS) <= headers
            else:
                assert message["correlationId"] == {"$ref": "#/components/correlationIds/correlationId"}

    @pytest.mark.parametrize("service", SERVICES)
    def test_every_example_matches_its_message(self, service: str) -> None:
        document = asyncapi(service)
        for name in document["components"]["messages"]:
            assert Documented(document, name).example_errors() == [], name


class TestRecordsAsTheyTravel:
    def test_a_record_the_relay_writes_matches_the_producers_message(self) -> None:
        document = asyncapi("scoring")
        scored = DiagnosticScored.model_validate(SCORED_EXAMPLE)
        assert Documented(document, "DiagnosticScored").errors(*_record(scored, "scoring")) == []

    def test_the_producers_message_refuses_a_field_or_header_the_contract_lacks(self) -> None:
        document = asyncapi("scoring")
        scored = DiagnosticScored.model_validate(SCORED_EXAMPLE)
        headers, key, value = _record(scored, "scoring")
        added = json.dumps({**json.loads(value), "x_added": 1}).encode()
        errors = Documented(document, "DiagnosticScored").errors([*headers, ("x-other", b"1")], key, added)
        assert len(errors) == 2

    def test_a_readers_message_takes_what_a_newer_producer_adds(self) -> None:
        document = asyncapi("scoring")
        submitted = DiagnosticSubmitted.model_validate(DiagnosticSubmitted.model_json_schema()["examples"][0])
        headers, value = with_additions(submitted)
        headers = [(k, b"/dimm/assessment" if k == "ce_source" else v) for k, v in headers]
        assert Documented(document, "DiagnosticSubmitted").errors(headers, b"org-1", value) == []

    @pytest.mark.parametrize("service", SERVICES)
    def test_each_published_example_encodes_to_a_record_of_its_message(self, service: str) -> None:
        document = asyncapi(service)
        for event in _runtime(service).publishes:
            example = event.model_validate(event.model_json_schema()["examples"][0])
            documented = Documented(document, message_named(document, event.event_type))
            assert documented.errors(*_record(example, service)) == [], event.event_type


class TestTopicsAndGroups:
    def test_channels_carry_the_partitions_and_retention_the_service_provisions(self) -> None:
        document = _runtime("scoring", topic_partitions=5, topic_retention_hours=24).asyncapi()
        own = document["channels"]["dimm.scoring.events"]["bindings"]["kafka"]
        assert (own["partitions"], own["topicConfiguration"]["retention.ms"]) == (5, 24 * 3_600_000)
        read = document["channels"]["dimm.assessment.events"]["bindings"]["kafka"]
        assert read["partitions"] == 5
        dlq = document["channels"]["dimm.scoring.dlq"]["bindings"]["kafka"]
        assert (dlq["partitions"], dlq["topicConfiguration"]["retention.ms"]) == (1, 30 * 24 * 3_600_000)

    @pytest.mark.parametrize("service", SERVICES)
    def test_receive_operations_name_the_consumer_group_and_its_dead_letter_topic(self, service: str) -> None:
        runtime = _runtime(service)
        document = runtime.asyncapi()
        group = runtime.settings.consumer_group
        receives = [op for op in document["operations"].values() if op["action"] == "receive"]
        assert receives
        groups = [op["bindings"]["kafka"]["groupId"] for op in receives]
        assert groups == [{"type": "string", "enum": [group]}] * len(receives)
        assert f"send.{dead_letter_topic(group)}" in document["operations"]

    @pytest.mark.parametrize("service", SERVICES)
    def test_a_service_publishes_only_types_named_after_it(self, service: str) -> None:
        # The documents place a consumed type on its producer's topic by this naming rule.
        assert {producer_of(e.event_type) for e in _runtime(service).publishes} == {service}


class _Sender:
    """Keep what is sent; the broker acknowledges at once."""

    def __init__(self) -> None:
        self.sent: list[tuple[list[tuple[str, bytes]], bytes | None, bytes]] = []

    async def send(
        self, topic: str, value: bytes, *, key: bytes | None, headers: list[tuple[str, bytes]]
    ) -> asyncio.Future[Any]:
        self.sent.append((headers, key, value))
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


class TestDeadLetters:
    @pytest.mark.asyncio
    async def test_what_the_group_dead_letters_matches_the_documented_messages(self) -> None:
        document = asyncapi("scoring")
        sender = _Sender()
        letters = DeadLetters(sender, topic="dimm.scoring.dlq", group="dimm.scoring")
        example = DiagnosticSubmitted.model_json_schema()["examples"][0]
        headers, key, value = _record(DiagnosticSubmitted.model_validate(example), "assessment")
        event = Record("dimm.assessment.events", 2, 17, key, value, headers)
        poison = Record("dimm.assessment.events", 0, 3, None, b"\x00not json", [("ce_id", b"x")])
        await letters.send(event, reason="permanent-error", error="a rule refuses it", attempts=1)
        await letters.send(poison, reason="invalid-event", error="missing CloudEvents attributes", attempts=1)
        dead_event, dead_record = sender.sent
        assert Documented(document, DEAD_LETTERED_EVENT).errors(*dead_event) == []
        assert Documented(document, DEAD_LETTERED_RECORD).errors(*dead_record) == []
        assert Documented(document, DEAD_LETTERED_EVENT).errors(*dead_record)

    def test_a_dead_letter_header_the_document_lacks_is_refused(self) -> None:
        documented = Documented(asyncapi("scoring"), DEAD_LETTERED_RECORD)
        headers = documented.message["examples"][0]["headers"]
        record = [(name, value.encode()) for name, value in headers.items()]
        assert documented.errors(record, None, b"x") == []
        assert documented.errors([*record, ("dlq_retried_by", b"someone")], None, b"x")


class TestContracts:
    def test_every_contract_declares_its_key_and_a_valid_example(self) -> None:
        for event in build_registry().models():
            assert event.subject_template, event.event_type
            assert subject_fields(event) <= set(event.model_fields), event.event_type
            [example] = event.model_json_schema()["examples"]
            assert event.model_validate(example).contract_subject(), event.event_type

    def test_an_event_recorded_under_a_subject_its_contract_does_not_give_is_refused(self) -> None:
        scored = DiagnosticScored.model_validate(SCORED_EXAMPLE)
        assert Recorded(scored, scored.organisation_id).subject == "org_8a2b4c6d8e0f1a2b"
        with pytest.raises(ValueError, match=re.escape("keyed by '{organisation_id}'")):
            Recorded(scored, scored.account_id)


class TestCommand:
    def test_dimm_asyncapi_prints_the_services_document(self) -> None:
        result = CliRunner().invoke(app, ["asyncapi", "watch"])
        assert result.exit_code == 0, result.output
        document = json.loads(result.stdout)
        assert document["operations"].keys() == asyncapi("watch")["operations"].keys()
        assert "DeadLetteredRecord" in document["components"]["messages"]
