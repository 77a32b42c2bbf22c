"""`dimm up`: the four services in one process, with the broker and database they need beside them.

Every port is checked before anything starts (dimm/ports.py); the hints printed carry the URL in
use; the running platform is announced in the state directory (dimm/state.py) for client commands.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx
import typer
from cryptography.hazmat.primitives import serialization

from dimm import mail_sink
from dimm.client import TOKEN_ENV
from dimm.demo import DemoLinks, demo_complete
from dimm.embedded import LOOPBACK, EmbeddedStack
from dimm.ports import Port, check_ports
from dimm.state import TOKEN_FILE, RunningPlatform, announced, client_url
from shared.auth import generate_key_pair, load_private_key
from shared.logging import configure_logging
from shared.messaging.topics import SERVICES as SERVICE_NAMES
from shared.messaging.topics import TopicSpec, platform_topics, provision_topics
from shared.settings import ServiceSettings

logger = logging.getLogger("dimm")

BENCHMARK_TOKEN_ENV = "DIMM_BENCHMARK_ADMIN_TOKEN"
WATCH_TOKEN_ENV = "DIMM_WATCH_ADMIN_TOKEN"
WATCH_ALLOW_HOSTS_ENV = "DIMM_WATCH_WEBHOOK_ALLOW_HOSTS"
WATCH_PUBLIC_URL_ENV = "DIMM_WATCH_PUBLIC_URL"
ENVIRONMENT_ENV = "DIMM_ENVIRONMENT"
PRIVATE_KEY_ENV = "DIMM_ASSESSMENT_JWT_PRIVATE_KEY"
PUBLIC_KEY_ENV = "DIMM_JWT_PUBLIC_KEY"
KAFKA_ENV = "KAFKA_BOOTSTRAP_SERVERS"
MONGODB_ENV = "MONGODB_URL"


@dataclass(frozen=True)
class UpOptions:
    """Where `dimm up` listens and keeps its data (the command's options)."""

    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = Path("var")
    kafka_port: int = 19092
    mongo_port: int = 27117
    metrics_host: str = "127.0.0.1"
    metrics_port: int = 9464
    #: The local mail sink's port (without an SMTP server configured); None: the watch's setting.
    mail_sink_port: int | None = None
    monitoring: bool = False
    prometheus_port: int = 9090
    alertmanager_port: int = 9093
    alert_sink_port: int = 9095

    @property
    def url(self) -> str:
        """Return the URL a client on this machine calls the platform at."""
        return client_url(self.host, self.port)


def needed_ports(options: UpOptions, environ: Mapping[str, str]) -> list[Port]:
    """List every port this run will listen on, each with the option that changes it."""
    ports = [
        Port("the platform's HTTP API", options.host, options.port, "--port (make run PORT=…)"),
        Port("the internal metrics", options.metrics_host, options.metrics_port, "--metrics-port"),
    ]
    if not environ.get(KAFKA_ENV):
        kafka = "--kafka-port (make run KAFKA_PORT=…)"
        ports.append(Port("the embedded Kafka broker", LOOPBACK, options.kafka_port, kafka))
    if not environ.get(MONGODB_ENV):
        mongo = "--mongo-port (make run MONGO_PORT=…)"
        ports.append(Port("the embedded database", LOOPBACK, options.mongo_port, mongo))
    if not environ.get(mail_sink.SMTP_HOST_ENV):
        smtp = options.mail_sink_port or int(environ.get(mail_sink.SMTP_PORT_ENV, mail_sink.DEFAULT_PORT))
        sink = "--mail-sink-port (make run MAIL_SINK_PORT=…)"
        ports.append(Port("the local mail sink", LOOPBACK, smtp, sink))
    if options.monitoring:
        ports += [
            Port("Prometheus", options.host, options.prometheus_port, "--prometheus-port"),
            Port("Alertmanager", options.host, options.alertmanager_port, "--alertmanager-port"),
            Port("the alert sink", options.host, options.alert_sink_port, "--alert-sink-port"),
        ]
    return ports


def platform_topic_specs() -> list[TopicSpec]:
    """Return the platform's topics with the partitions and retention the settings give."""
    settings = ServiceSettings(service_name="platform")
    return platform_topics(
        partitions=settings.topic_partitions, retention_hours=settings.topic_retention_hours
    )


def hints(options: UpOptions, *, kafka: str) -> list[str]:
    """Return what `dimm up` prints once started: every URL is the one in use."""
    base = options.url
    lines = [f"DIMM platform on {base}  (Kafka {kafka})"]
    lines += [f"  {name:<11} {base}/{name}/docs" for name in SERVICE_NAMES]
    metrics = client_url(options.metrics_host, options.metrics_port)
    lines.append(f"  metrics     {metrics}/<service>/metrics  (internal)")
    lines.append(
        f"  operator token in {options.data_dir / TOKEN_FILE}; check the platform with: "
        f"dimm doctor --url {base}"
    )
    return lines


def admin_token(data_dir: Path) -> str:
    """Return the operator token: from the environment, or kept (made once) under the data directory."""
    if os.environ.get(TOKEN_ENV):
        return os.environ[TOKEN_ENV]
    path = data_dir / TOKEN_FILE
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    path.write_text(token + "\n")
    path.chmod(0o600)
    return token


def signing_keys(data_dir: Path) -> None:
    """Put the token signing key pair in the environment: given, or kept under the data directory."""
    if os.environ.get(PRIVATE_KEY_ENV):
        if not os.environ.get(PUBLIC_KEY_ENV):
            public = load_private_key(os.environ[PRIVATE_KEY_ENV]).public_key()
            os.environ[PUBLIC_KEY_ENV] = public.public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            ).decode()
        return
    private_path, public_path = data_dir / "jwt-ed25519.pem", data_dir / "jwt-ed25519.pub.pem"
    if not private_path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        private_pem, public_pem = generate_key_pair()
        private_path.write_text(private_pem)
        private_path.chmod(0o600)
        public_path.write_text(public_pem)
    os.environ[PRIVATE_KEY_ENV] = private_path.read_text()
    os.environ[PUBLIC_KEY_ENV] = public_path.read_text()


def _environment(options: UpOptions) -> None:
    """Give the services, through the environment, what this run decided: tokens, keys, URLs."""
    os.environ[TOKEN_ENV] = admin_token(options.data_dir)
    # The benchmark's and the watch's operator routes take the same operator token.
    os.environ.setdefault(BENCHMARK_TOKEN_ENV, os.environ[TOKEN_ENV])
    os.environ.setdefault(WATCH_TOKEN_ENV, os.environ[TOKEN_ENV])
    # The links of the watch's e-mails lead to this platform, on the port it really uses.
    os.environ.setdefault(WATCH_PUBLIC_URL_ENV, options.url)
    if options.mail_sink_port is not None and mail_sink.wanted():
        # The watch sends its e-mails to the local sink, which listens there.
        os.environ[mail_sink.SMTP_PORT_ENV] = str(options.mail_sink_port)
    if os.environ.get(ENVIRONMENT_ENV, "development") == "development":
        # The demo's webhook receiver listens on 127.0.0.1, which the SSRF guard refuses unless
        # allowed; only in development, as the watch refuses this setting in production.
        os.environ.setdefault(WATCH_ALLOW_HOSTS_ENV, '["127.0.0.1"]')
    signing_keys(options.data_dir)


def run(options: UpOptions) -> None:
    """Check every port, start what is not configured, then serve the four services until Ctrl-C.

    Raise PortError (nothing started) or StackError (what had started is stopped).
    """
    level = os.environ.get("DIMM_LOG_LEVEL", "INFO")
    configure_logging(service="platform", level=level)
    check_ports(needed_ports(options, os.environ))
    stack = EmbeddedStack(
        data_dir=options.data_dir, kafka_port=options.kafka_port, mongo_port=options.mongo_port
    )
    with contextlib.ExitStack() as exits:
        exits.callback(stack.stop)
        if not os.environ.get(KAFKA_ENV):
            os.environ[KAFKA_ENV] = stack.start_kafka()
        if not os.environ.get(MONGODB_ENV):
            os.environ[MONGODB_ENV] = stack.start_mongo()
        _environment(options)
        provision_topics(os.environ[KAFKA_ENV], platform_topic_specs())
        from dimm.platform import build_platform
        from shared.serve import run_servers
        from shared.tracing import configure_tracing

        # One tracer provider for the four services of this process; set before their apps exist.
        endpoint = ServiceSettings(service_name="platform").otel_exporter_otlp_endpoint
        configure_tracing(service="platform", otlp_endpoint=endpoint)
        platform = build_platform(metrics_port=options.metrics_port, metrics_host=options.metrics_host)
        # FastStream installs its own log handler when imported: route its lines through ours again.
        configure_logging(service="platform", level=level)
        for line in hints(options, kafka=os.environ[KAFKA_ENV]):
            typer.echo(line)
        _companions(exits, options, embedded_database="secantus" in stack.processes)
        running = RunningPlatform(options.url, options.data_dir, os.getpid(), os.environ[MONGODB_ENV])
        exits.enter_context(announced(running))
        run_servers(
            platform,
            host=options.host,
            port=options.port,
            metrics=platform.metrics(),
            metrics_host=options.metrics_host,
            metrics_port=options.metrics_port,
        )


def _companions(exits: contextlib.ExitStack, options: UpOptions, *, embedded_database: bool) -> None:
    """Start what runs beside the services: the mail sink, the monitoring, the demo or its receiver."""
    data_dir = options.data_dir
    if mail_sink.wanted():
        # No SMTP server configured: the watch's e-mails land in files under the data directory.
        threading.Thread(target=asyncio.run, args=(mail_sink.sink_forever(data_dir),), daemon=True).start()
        typer.echo(f"  e-mails of the watch service: {data_dir / mail_sink.MAIL_DIR}/*.eml")
    if options.monitoring:
        metrics = f"{options.metrics_host}:{options.metrics_port}"
        start_monitoring(exits, options, metrics=metrics)
    if embedded_database and not demo_complete(data_dir):
        threading.Thread(target=_first_demo, args=(options.url, data_dir), daemon=True).start()
    elif embedded_database:
        threading.Thread(target=receive_webhooks, args=(data_dir,), daemon=True).start()


def start_monitoring(exits: contextlib.ExitStack, options: UpOptions, *, metrics: str) -> None:
    """Start Prometheus, Alertmanager and the alert sink beside the platform, and print their URLs."""
    from dimm.monitoring import local_monitoring

    # Every service's metrics are on the one internal metrics port, each under its own prefix.
    targets = dict.fromkeys(SERVICE_NAMES, metrics)
    try:
        urls = exits.enter_context(
            local_monitoring(
                options.data_dir,
                targets,
                host=options.host,
                prometheus_port=options.prometheus_port,
                alertmanager_port=options.alertmanager_port,
                sink_port=options.alert_sink_port,
            )
        )
    except (LookupError, RuntimeError, OSError) as exc:
        typer.echo(f"  monitoring not started: {exc}", err=True)
        return
    typer.echo(f"  Prometheus   {urls.prometheus}/alerts  (rules of deploy/prometheus/rules)")
    typer.echo(f"  Alertmanager {urls.alertmanager}")
    typer.echo(f"  operator alerts {urls.sink}/  (and {options.data_dir / 'operator-alerts.jsonl'})")


def _first_demo(base: str, data_dir: Path) -> None:
    """On a fresh embedded database, wait for the platform and seed the demo (`dimm demo`)."""
    from dimm.demo import DemoError, run_demo

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if all(httpx.get(f"{base}/{s}/readyz", timeout=2).status_code == 200 for s in SERVICE_NAMES):
                break
        except httpx.TransportError:
            pass
        time.sleep(0.5)

    async def seed() -> DemoLinks:
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            return await run_demo(http, admin_token(data_dir), data_dir)

    try:
        links = asyncio.run(seed())
    except (DemoError, httpx.TransportError) as exc:
        logger.warning("the demo could not be created: %s", exc)
        return
    typer.echo(f"\nDemo data created in {links.seconds:.0f} s. To open in a browser:")
    typer.echo(f"  a report with its peers: {base}{links.report}")
    typer.echo(f"  a national study:        {base}{links.study}")
    echo_watch(base, links)
    receive_webhooks(data_dir)


def echo_watch(base: str, links: DemoLinks) -> None:
    """Print where the demo's alerts are: two routes read with the token, and the webhooks' folder."""
    bearer = f'curl -H "Authorization: Bearer {links.token}"'
    typer.echo(f"  {links.watch.alerts} open alerts; an organisation's Veille page and the inbox:")
    typer.echo(f"    {base}{links.watch.veille}?access_token={links.token}")
    typer.echo(f"    {bearer} {base}{links.watch.inbox}")
    typer.echo(f"  webhooks received by the demo's receiver: {links.watch.webhooks}/")


def receive_webhooks(data_dir: Path) -> None:
    """Keep the demo's webhook receiver for as long as `dimm up` runs (later alerts land there too)."""
    from dimm.demo_watch import receive_forever

    asyncio.run(receive_forever(data_dir))
