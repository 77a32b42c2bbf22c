"""The demo's watch helpers: the 2.1.0 edition, the notices it publishes, the webhook receiver."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path

import pytest

from dimm.demo_watch import (
    MODEL_NOTICE,
    NOTICES,
    RECEIVER_URL,
    edition,
    message_file,
    message_record,
    receiving,
)
from services.watch.domain.catalogue import load_catalogue
from services.watch.service_layer.notices import model_notice_id
from shared.model.diff import diff_models
from shared.model.editions import shipped_edition
from shared.model.validation import parse_model


class TestTheEdition:
    def test_it_is_a_valid_2_1_0_whose_only_change_is_the_accessibility_target(self) -> None:
        model = parse_model(edition())
        changes = diff_models(shipped_edition("2.0.0"), model)
        assert model.version == "2.1.0"
        assert [(c.indicator, c.field, c.before, c.after) for c in changes.changes] == [
            ("TIO2", "default_target", 3, 4)
        ]

    def test_its_notice_is_the_one_the_watch_service_publishes(self) -> None:
        assert model_notice_id("dimm", "2.0.0", "2.1.0") == MODEL_NOTICE

    def test_building_it_leaves_the_shipped_2_0_0_alone(self) -> None:
        edition()
        assert parse_model(edition()).content_hash != shipped_edition("2.0.0").content_hash
        assert shipped_edition("2.0.0").version == "2.0.0"


class TestTheNotices:
    def test_every_published_notice_is_in_the_shipped_catalogue_with_the_eaa_first(self) -> None:
        shipped = {notice.id for notice in load_catalogue()}
        assert NOTICES[0] == "ntc_eaa_2025"
        assert set(NOTICES) <= shipped

    def test_the_receiver_is_on_loopback(self) -> None:
        assert RECEIVER_URL.startswith("http://127.0.0.1:")


class TestReceivedMessages:
    def test_a_file_is_named_by_its_webhook_id_and_never_leaves_the_folder(self, tmp_path: Path) -> None:
        assert message_file(tmp_path, "msg_2Kx9").name == "msg_2Kx9.json"
        escaped = message_file(tmp_path, "../../etc/passwd")
        assert escaped.parent == tmp_path
        assert "/" not in escaped.name

    def test_the_record_keeps_the_signature_headers_and_the_json_body(self) -> None:
        headers = {"webhook-id": "msg_1", "webhook-signature": "v1,abc", "user-agent": "x"}
        record = message_record(headers, b'{"type": "watch.organisation.affected"}')
        assert record == {
            "headers": {"webhook-id": "msg_1", "webhook-signature": "v1,abc"},
            "body": {"type": "watch.organisation.affected"},
        }

    def test_a_body_that_is_not_json_is_kept_as_text(self) -> None:
        assert message_record({}, b"plain")["body"] == "plain"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _post(port: int, webhook_id: str, body: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = f"POST /webhooks HTTP/1.1\r\nwebhook-id: {webhook_id}\r\nContent-Length: {len(body)}\r\n\r\n"
    writer.write(head.encode() + body)
    await writer.drain()
    answer = await reader.read()
    writer.close()
    return answer


class TestTheReceiver:
    @pytest.mark.asyncio
    async def test_each_message_is_written_to_its_file_and_answered_204(self, tmp_path: Path) -> None:
        port = _free_port()
        async with receiving(tmp_path / "hooks", port=port) as receiver:
            answer = await _post(port, "msg_a", b'{"n": 1}')
            await _post(port, "msg_a", b'{"n": 1}')  # a retry overwrites, never duplicates
        assert answer.startswith(b"HTTP/1.1 204")
        assert receiver.received == 2
        assert [p.name for p in (tmp_path / "hooks").iterdir()] == ["msg_a.json"]
        written = json.loads((tmp_path / "hooks" / "msg_a.json").read_text())
        assert written["body"] == {"n": 1}

    @pytest.mark.asyncio
    async def test_a_taken_port_is_left_to_the_receiver_already_there(self, tmp_path: Path) -> None:
        port = _free_port()
        async with receiving(tmp_path / "first", port=port), receiving(tmp_path / "second", port=port):
            await _post(port, "msg_b", b"{}")
        assert (tmp_path / "first" / "msg_b.json").exists()
        assert not (tmp_path / "second").exists()
