"""`dimm up` and `make run`: other ports, every port checked before anything starts, hints with the
URL in use, the topic settings honoured."""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dimm import up
from dimm.cli import app
from dimm.embedded import free_port
from dimm.ports import Port, PortError, check_ports
from dimm.up import UpOptions, hints, needed_ports, platform_topic_specs
from services.watch.settings import WatchSettings
from shared.messaging.topics import events_topic

ROOT = Path(__file__).resolve().parents[2]
PORT_VARIABLES = ("PORT", "KAFKA_PORT", "MONGO_PORT", "METRICS_PORT", "MAIL_SINK_PORT")


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port another program listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def _make_run(*assignments: str) -> list[str]:
    """The `dimm up` command line `make run` would run, with these variables."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    env = {key: value for key, value in os.environ.items() if key not in PORT_VARIABLES}
    result = subprocess.run(
        ["make", "-n", "-C", str(ROOT), "run", *assignments],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    (line,) = [line for line in result.stdout.splitlines() if "dimm up" in line]
    return shlex.split(line)[2:]


class TestMakeRun:
    def test_it_passes_the_ports_given_to_dimm_up(self) -> None:
        arguments = _make_run(
            "PORT=8123", "KAFKA_PORT=19999", "MONGO_PORT=27999", "METRICS_PORT=9999", "MAIL_SINK_PORT=2999"
        )
        assert arguments == [
            "--port",
            "8123",
            "--kafka-port",
            "19999",
            "--mongo-port",
            "27999",
            "--metrics-port",
            "9999",
            "--mail-sink-port",
            "2999",
        ]
        # Options dimm up knows (an unknown one would be refused before --help).
        result = CliRunner().invoke(app, ["up", *arguments, "--help"])
        assert result.exit_code == 0, result.output

    def test_without_variables_it_runs_dimm_up_with_its_defaults(self) -> None:
        assert _make_run() == []


class TestPortChecks:
    def test_every_port_of_the_run_is_listed_with_its_option(self) -> None:
        options = UpOptions(monitoring=True)
        listed = {port.option.split()[0]: port.port for port in needed_ports(options, {})}
        assert listed == {
            "--port": 8000,
            "--metrics-port": 9464,
            "--kafka-port": 19092,
            "--mongo-port": 27117,
            "--mail-sink-port": 2525,
            "--prometheus-port": 9090,
            "--alertmanager-port": 9093,
            "--alert-sink-port": 9095,
        }

    def test_a_configured_broker_database_or_mail_server_needs_no_port_here(self) -> None:
        environ = {
            "KAFKA_BOOTSTRAP_SERVERS": "kafka:9092",
            "MONGODB_URL": "mongodb://db",
            "DIMM_WATCH_SMTP_HOST": "mail",
        }
        listed = [port.option.split()[0] for port in needed_ports(UpOptions(), environ)]
        assert listed == ["--port", "--metrics-port"]

    def test_a_busy_port_is_named_with_the_option_that_changes_it(self, busy_port: int) -> None:
        with pytest.raises(PortError) as raised:
            check_ports([Port("the HTTP API", "127.0.0.1", busy_port, "--port")])
        message = str(raised.value)
        assert f"port {busy_port} for the HTTP API is already in use" in message
        assert message.endswith("choose another port with --port.")

    def test_a_port_given_twice_is_refused(self) -> None:
        port = free_port()
        with pytest.raises(PortError, match=f"port {port} is given both for a .* and for b"):
            check_ports([Port("a", "127.0.0.1", port, "--a"), Port("b", "127.0.0.1", port, "--b")])

    def test_free_ports_pass(self) -> None:
        check_ports([Port("a", "127.0.0.1", free_port(), "--a")])


class _Started(AssertionError):
    """Something was started although a port was busy."""


OPTIONS = ("--port", "--metrics-port", "--kafka-port", "--mongo-port", "--mail-sink-port")


@pytest.mark.parametrize("option", OPTIONS)
class TestDimmUpOnABusyPort:
    def test_it_fails_with_one_sentence_and_starts_nothing(
        self, option: str, busy_port: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def refuse(*_: object, **__: object) -> None:
            raise _Started("the embedded stack was started")

        monkeypatch.setattr(up, "EmbeddedStack", refuse)
        monkeypatch.setattr(up, "configure_logging", lambda **_: None)  # the runner's stderr closes after
        ports = {
            name: str(free_port()) for name in ("--port", "--metrics-port", "--kafka-port", "--mongo-port")
        }
        ports[option] = str(busy_port)
        data_dir = tmp_path / "var"
        env = {
            "KAFKA_BOOTSTRAP_SERVERS": None,
            "MONGODB_URL": None,
            "DIMM_WATCH_SMTP_HOST": None,
            "DIMM_STATE_DIR": str(tmp_path / "state"),
        }
        arguments = ["up", "--data-dir", str(data_dir), *[part for pair in ports.items() for part in pair]]
        result = CliRunner().invoke(app, arguments, env=env)

        assert result.exit_code == 1, result.output
        assert not isinstance(result.exception, _Started)
        (line,) = result.output.strip().splitlines()
        assert line.startswith(f"error: port {busy_port} for ")
        assert f"choose another port with {option}" in line
        assert line.count(". ") == 0
        assert line.endswith(".")
        assert not data_dir.exists()
        assert not (tmp_path / "state").exists()


class TestHints:
    def test_every_url_printed_is_the_one_in_use(self) -> None:
        lines = hints(UpOptions(port=8123, metrics_port=9999), kafka="127.0.0.1:19092")
        text = "\n".join(lines)
        assert "http://127.0.0.1:8123/scoring/docs" in text
        assert "http://127.0.0.1:9999/<service>/metrics" in text
        assert "dimm doctor --url http://127.0.0.1:8123" in text
        assert ":8000" not in text
        assert ":9464" not in text

    def test_a_server_on_every_interface_is_called_on_loopback(self) -> None:
        assert UpOptions(host="0.0.0.0", port=8123).url == "http://127.0.0.1:8123"

    def test_the_watch_s_e_mail_links_and_mail_sink_follow_the_ports_in_use(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        for name in (
            up.TOKEN_ENV,
            up.BENCHMARK_TOKEN_ENV,
            up.WATCH_TOKEN_ENV,
            up.WATCH_PUBLIC_URL_ENV,
            up.WATCH_ALLOW_HOSTS_ENV,
            up.PRIVATE_KEY_ENV,
            up.PUBLIC_KEY_ENV,
            "DIMM_WATCH_SMTP_HOST",
            "DIMM_WATCH_SMTP_PORT",
        ):
            monkeypatch.delenv(name, raising=False)
        up._environment(UpOptions(port=8123, data_dir=tmp_path, mail_sink_port=2999))
        settings = WatchSettings()
        assert settings.public_url == "http://127.0.0.1:8123"
        assert settings.smtp_port == 2999


class TestTopicSettings:
    def test_dimm_up_provisions_the_partitions_and_retention_of_the_settings(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("DIMM_TOPIC_PARTITIONS", "5")
        monkeypatch.setenv("DIMM_TOPIC_RETENTION_HOURS", "48")
        specs = {spec.name: spec for spec in platform_topic_specs()}
        events = specs[events_topic("scoring")]
        assert (events.partitions, events.retention_hours) == (5, 48)
        assert specs["dimm.scoring.dlq"].partitions == 1
