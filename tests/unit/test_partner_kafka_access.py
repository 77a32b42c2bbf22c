"""Compose keeps each partner on its own topic: a SASL listener, ACLs, and the script granting them.

No Docker engine runs here: the broker's configuration is read from docker-compose.yml, and the
script is run against stand-ins of Kafka's command-line tools that record what they are asked.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from shared.events.contracts.partner import partner_topic
from tests.unit.test_deployment import ROOT, compose_service, environment_of, mounts_of

SCRIPT = ROOT / "deploy" / "kafka-partner-access.sh"


class TestTheBroker:
    def test_partners_have_a_sasl_scram_listener_of_their_own_published_alone(self) -> None:
        env = environment_of("kafka")
        listeners = dict(item.split("://", 1) for item in env["KAFKA_LISTENERS"].split(","))
        protocols = dict(
            item.split(":", 1) for item in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(",")
        )
        assert protocols["PARTNER"] == "SASL_PLAINTEXT"
        assert protocols["PLAINTEXT"] == "PLAINTEXT"
        assert env["KAFKA_SASL_ENABLED_MECHANISMS"] == "SCRAM-SHA-512"
        assert "ScramLoginModule" in env["KAFKA_LISTENER_NAME_PARTNER_SCRAM___SHA___512_SASL_JAAS_CONFIG"]
        published = [str(p) for p in compose_service("kafka").get("ports", [])]
        assert published == [f"{listeners['PARTNER'].lstrip(':')}:{listeners['PARTNER'].lstrip(':')}"]

    def test_nothing_is_allowed_without_an_acl_but_the_services_inner_listener(self) -> None:
        env = environment_of("kafka")
        assert env["KAFKA_AUTHORIZER_CLASS_NAME"].endswith("StandardAuthorizer")
        assert env["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] == "false"
        # The services (and the controller) connect unauthenticated on the inner listeners only.
        assert env["KAFKA_SUPER_USERS"] == "User:ANONYMOUS"
        assert environment_of("watch")["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"

    def test_the_script_is_in_the_broker_container(self) -> None:
        assert mounts_of("kafka")["/opt/dimm/kafka-partner-access.sh"] == "./deploy/kafka-partner-access.sh"
        assert SCRIPT.exists()


@pytest.fixture
def tools(tmp_path: Path) -> Path:
    """Stand-ins of kafka-acls.sh and kafka-configs.sh that append their arguments to a log."""
    for name in ("kafka-acls.sh", "kafka-configs.sh"):
        stub = tmp_path / name
        stub.write_text(f'#!/bin/sh\necho "{name} $*" >> "{tmp_path}/calls.log"\n')
        stub.chmod(0o755)
    return tmp_path


def _run(tools: Path, *args: str, password: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KAFKA_BIN": str(tools), "KAFKA_BOOTSTRAP": "kafka:9092"}
    return subprocess.run(
        ["sh", str(SCRIPT), *args], input=password, capture_output=True, text=True, env=env, check=False
    )


def _calls(tools: Path) -> list[str]:
    log = tools / "calls.log"
    return log.read_text().splitlines() if log.exists() else []


class TestTheScript:
    def test_grant_makes_scram_credentials_and_acls_on_the_partners_topic_and_groups_only(
        self, tools: Path
    ) -> None:
        done = _run(tools, "grant", "ptn_bank", password="s3cret-from-stdin\n")
        assert done.returncode == 0, done.stderr
        configs, topic_acl, group_acl = _calls(tools)
        assert "--entity-name ptn_bank" in configs
        assert "SCRAM-SHA-512=[iterations=8192,password=s3cret-from-stdin]" in configs
        rights = "--allow-principal User:ptn_bank --operation Read --operation Describe"
        assert f"{rights} --topic {partner_topic('ptn_bank')}" in topic_acl
        assert "--add" in topic_acl
        assert "--group dimm.partner.ptn_bank. --resource-pattern-type prefixed" in group_acl
        assert "s3cret" not in done.stdout

    def test_revoke_removes_the_acls_and_the_credentials(self, tools: Path) -> None:
        done = _run(tools, "revoke", "ptn_bank")
        assert done.returncode == 0, done.stderr
        topic_acl, group_acl, configs = _calls(tools)
        assert "--remove" in topic_acl
        assert "--remove" in group_acl
        assert "--delete-config SCRAM-SHA-512" in configs

    @pytest.mark.parametrize(
        ("args", "password"),
        [(("grant", "ptn_bank"), ""), (("grant", "bank"), "x\n"), (("erase", "ptn_bank"), ""), ((), "")],
    )
    def test_a_wrong_call_changes_nothing(self, tools: Path, args: tuple[str, ...], password: str) -> None:
        done = _run(tools, *args, password=password)
        assert done.returncode == 2
        assert _calls(tools) == []
