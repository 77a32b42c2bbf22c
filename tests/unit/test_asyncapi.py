"""Each service's AsyncAPI document, generated from its publishers and subscribers without I/O."""

from __future__ import annotations

from typing import Any

from dimm.platform import build_service
from shared.events.contracts.benchmark import (
    SNAPSHOT_EXAMPLE,
    STUDY_EXAMPLE,
    SnapshotPublished,
    StudyPublished,
)
from shared.events.contracts.scoring import SCORED_EXAMPLE, DiagnosticScored
from shared.events.contracts.watch import (
    AFFECTED_EXAMPLE,
    NOTICE_EXAMPLE,
    AlertChanged,
    NoticePublished,
    NoticeWithdrawn,
    OrganisationAffected,
    WebhookEndpointDisabled,
)


def _document(service: str) -> dict[str, Any]:
    document: dict[str, Any] = build_service(service, environment="development").state.runtime.asyncapi()
    return document


class TestAsyncApi:
    def test_the_scored_event_is_documented_with_a_valid_example(self) -> None:
        document = _document("scoring")
        assert document["asyncapi"] == "3.0.0"
        assert DiagnosticScored.event_type in document["channels"]
        schema = document["components"]["schemas"]["DiagnosticScored"]
        [example] = schema["examples"]
        assert DiagnosticScored.model_validate(example) == DiagnosticScored.model_validate(SCORED_EXAMPLE)

    def test_assessment_documents_every_event_it_publishes(self) -> None:
        channels = _document("assessment")["channels"]
        assert {
            "dimm.assessment.diagnostic.submitted.v1",
            "dimm.assessment.model.published.v1",
            "dimm.assessment.organisation.erased.v1",
            "dimm.assessment.account.opened.v1",
            "dimm.assessment.account.plan_changed.v1",
            "dimm.assessment.api_key.revoked.v1",
            "dimm.assessment.respondent.revoked.v1",
            "dimm.assessment.diagnostic.withdrawn.v1",
        } <= set(channels)
        assert {c["address"] for c in channels.values()} >= {"dimm.assessment.events", "dimm.scoring.events"}

    def test_the_benchmark_documents_its_snapshot_and_study_events_with_valid_examples(self) -> None:
        document = _document("benchmark")
        for event, example in ((SnapshotPublished, SNAPSHOT_EXAMPLE), (StudyPublished, STUDY_EXAMPLE)):
            assert event.event_type in document["channels"]
            [documented] = document["components"]["schemas"][event.__name__]["examples"]
            assert event.model_validate(documented) == event.model_validate(example)
        addresses = {c["address"] for c in document["channels"].values()}
        assert {"dimm.benchmark.events", "dimm.assessment.events", "dimm.scoring.events"} <= addresses

    def test_watch_documents_its_events_with_valid_examples(self) -> None:
        document = _document("watch")
        assert {
            NoticePublished.event_type,
            NoticeWithdrawn.event_type,
            OrganisationAffected.event_type,
            AlertChanged.event_type,
            WebhookEndpointDisabled.event_type,
        } <= set(document["channels"])
        schemas = document["components"]["schemas"]
        for event, example in ((NoticePublished, NOTICE_EXAMPLE), (OrganisationAffected, AFFECTED_EXAMPLE)):
            [documented] = schemas[event.__name__]["examples"]
            assert event.model_validate(documented) == event.model_validate(example)
