"""The `dimm` command line: run the platform, check it, measure it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import threading
import time
from pathlib import Path
from typing import Annotated

import httpx
import typer
from cryptography.hazmat.primitives import serialization

from dimm import mail_sink
from dimm.demo import DemoLinks, demo_complete
from dimm.embedded import EmbeddedStack, StackError
from dimm.model_cli import app as model_app
from shared.auth import generate_key_pair, load_private_key
from shared.logging import configure_logging
from shared.messaging.topics import platform_topics, provision_topics

app = typer.Typer(help="DIMM digital-maturity platform.", no_args_is_help=True, add_completion=False)
bench_app = typer.Typer(help="Reproducible benchmarks that print figures.", no_args_is_help=True)
app.add_typer(bench_app, name="bench")
app.add_typer(model_app, name="model")

logger = logging.getLogger("dimm")

TOKEN_ENV = "DIMM_ASSESSMENT_ADMIN_TOKEN"
BENCHMARK_TOKEN_ENV = "DIMM_BENCHMARK_ADMIN_TOKEN"
WATCH_TOKEN_ENV = "DIMM_WATCH_ADMIN_TOKEN"
WATCH_ALLOW_HOSTS_ENV = "DIMM_WATCH_WEBHOOK_ALLOW_HOSTS"
ENVIRONMENT_ENV = "DIMM_ENVIRONMENT"
PRIVATE_KEY_ENV = "DIMM_ASSESSMENT_JWT_PRIVATE_KEY"
PUBLIC_KEY_ENV = "DIMM_JWT_PUBLIC_KEY"
DEFAULT_DATA_DIR = Path("var")


def _admin_token(data_dir: Path) -> str:
    """Return the operator token: from the environment, or kept under the data directory."""
    if os.environ.get(TOKEN_ENV):
        return os.environ[TOKEN_ENV]
    path = data_dir / "admin-token"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    path.write_text(token + "\n")
    path.chmod(0o600)
    return token


def _signing_keys(data_dir: Path) -> None:
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


def _first_demo(base: str, data_dir: Path) -> None:
    """On a fresh embedded database, wait for the platform and seed the demo (`dimm demo`)."""
    from dimm.demo import DemoError, run_demo

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if all(
                httpx.get(f"{base}/{s}/readyz", timeout=2).status_code == 200
                for s in ("assessment", "scoring", "benchmark", "watch")
            ):
                break
        except httpx.TransportError:
            pass
        time.sleep(0.5)

    async def seed() -> DemoLinks:
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            return await run_demo(http, _admin_token(data_dir), data_dir)

    try:
        links = asyncio.run(seed())
    except (DemoError, httpx.TransportError) as exc:
        logger.warning("the demo could not be created: %s", exc)
        return
    typer.echo(f"\nDemo data created in {links.seconds:.0f} s. To open in a browser:")
    typer.echo(f"  a report with its peers: {base}{links.report}")
    typer.echo(f"  a national study:        {base}{links.study}")
    _echo_watch(base, links)
    _receive_webhooks(data_dir)


def _echo_watch(base: str, links: DemoLinks) -> None:
    """Print where the demo's alerts are: two routes read with the token, and the webhooks' folder."""
    bearer = f'curl -H "Authorization: Bearer {links.token}"'
    typer.echo(f"  {links.watch.alerts} open alerts; an organisation's Veille page and the inbox:")
    typer.echo(f"    {base}{links.watch.veille}?access_token={links.token}")
    typer.echo(f"    {bearer} {base}{links.watch.inbox}")
    typer.echo(f"  webhooks received by the demo's receiver: {links.watch.webhooks}/")


def _receive_webhooks(data_dir: Path) -> None:
    """Keep the demo's webhook receiver for as long as `dimm up` runs (later alerts land there too)."""
    from dimm.demo_watch import receive_forever

    asyncio.run(receive_forever(data_dir))


@app.command()
def up(
    host: Annotated[str, typer.Option(help="Address to serve on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of the four services.")] = 8000,
    data_dir: Annotated[
        Path, typer.Option(help="Where the embedded database and logs live.")
    ] = DEFAULT_DATA_DIR,
    kafka_port: Annotated[int, typer.Option(help="Port of the embedded Tansu broker.")] = 19092,
    mongo_port: Annotated[int, typer.Option(help="Port of the embedded SecantusDB server.")] = 27117,
    metrics_host: Annotated[str, typer.Option(help="Address of the internal metrics port.")] = "127.0.0.1",
    metrics_port: Annotated[
        int, typer.Option(help="Internal port of /<service>/metrics (never on the public port).")
    ] = 9464,
    monitoring: Annotated[
        bool,
        typer.Option(
            "--monitoring",
            help="Also run Prometheus (our alert rules), Alertmanager and the operator's alert sink "
            "(`make monitoring` fetches the binaries).",
        ),
    ] = False,
) -> None:
    """Start the platform: embedded broker and database unless configured, then the four services."""
    configure_logging(service="platform", level=os.environ.get("DIMM_LOG_LEVEL", "INFO"))
    stack = EmbeddedStack(data_dir=data_dir, kafka_port=kafka_port, mongo_port=mongo_port)
    exits = contextlib.ExitStack()
    try:
        if not os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
            os.environ["KAFKA_BOOTSTRAP_SERVERS"] = stack.start_kafka()
        if not os.environ.get("MONGODB_URL"):
            os.environ["MONGODB_URL"] = stack.start_mongo()
        os.environ[TOKEN_ENV] = _admin_token(data_dir)
        # The benchmark's operator routes (studies, snapshots) take the same operator token.
        os.environ.setdefault(BENCHMARK_TOKEN_ENV, os.environ[TOKEN_ENV])
        # So do the watch service's (change notices).
        os.environ.setdefault(WATCH_TOKEN_ENV, os.environ[TOKEN_ENV])
        if os.environ.get(ENVIRONMENT_ENV, "development") == "development":
            # The demo's webhook receiver listens on 127.0.0.1, which the SSRF guard refuses unless
            # allowed; only in development, as the watch refuses this setting in production.
            os.environ.setdefault(WATCH_ALLOW_HOSTS_ENV, '["127.0.0.1"]')
        _signing_keys(data_dir)
        provision_topics(
            os.environ["KAFKA_BOOTSTRAP_SERVERS"], platform_topics(partitions=3, retention_hours=168)
        )
        from dimm.platform import SERVICES, build_platform
        from shared.serve import run_servers
        from shared.settings import ServiceSettings
        from shared.tracing import configure_tracing

        # One tracer provider for the four services of this process; set before their apps exist.
        endpoint = ServiceSettings(service_name="platform").otel_exporter_otlp_endpoint
        configure_tracing(service="platform", otlp_endpoint=endpoint)
        platform = build_platform(metrics_port=metrics_port, metrics_host=metrics_host)
        # FastStream installs its own log handler when imported: route its lines through ours again.
        configure_logging(service="platform", level=os.environ.get("DIMM_LOG_LEVEL", "INFO"))
        base = f"http://{host}:{port}"
        typer.echo(f"DIMM platform on {base}  (Kafka {os.environ['KAFKA_BOOTSTRAP_SERVERS']})")
        for name in SERVICES:
            typer.echo(f"  {name:<11} {base}/{name}/docs")
        typer.echo(f"  metrics     http://{metrics_host}:{metrics_port}/<service>/metrics  (internal)")
        typer.echo(f"  operator token in {data_dir / 'admin-token'}; check the platform with: dimm doctor")
        if mail_sink.wanted():
            # No SMTP server configured: the watch's e-mails land in files under the data directory.
            threading.Thread(
                target=asyncio.run, args=(mail_sink.sink_forever(data_dir),), daemon=True
            ).start()
            typer.echo(f"  e-mails of the watch service: {data_dir / mail_sink.MAIL_DIR}/*.eml")
        if monitoring:
            _start_monitoring(exits, data_dir, host=host, metrics=f"{metrics_host}:{metrics_port}")
        if "secantus" in stack.processes and not demo_complete(data_dir):
            threading.Thread(target=_first_demo, args=(base, data_dir), daemon=True).start()
        elif "secantus" in stack.processes:
            threading.Thread(target=_receive_webhooks, args=(data_dir,), daemon=True).start()
        run_servers(
            platform,
            host=host,
            port=port,
            metrics=platform.metrics(),
            metrics_host=metrics_host,
            metrics_port=metrics_port,
        )
    except StackError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    finally:
        exits.close()
        stack.stop()


def _start_monitoring(exits: contextlib.ExitStack, data_dir: Path, *, host: str, metrics: str) -> None:
    """Start Prometheus, Alertmanager and the alert sink beside the platform, and print their URLs."""
    from dimm.monitoring import local_monitoring
    from dimm.platform import SERVICES

    # Every service's metrics are on the one internal metrics port, each under its own prefix.
    targets = dict.fromkeys(SERVICES, metrics)
    try:
        urls = exits.enter_context(local_monitoring(data_dir, targets, host=host))
    except (LookupError, RuntimeError, OSError) as exc:
        typer.echo(f"  monitoring not started: {exc}", err=True)
        return
    typer.echo(f"  Prometheus   {urls.prometheus}/alerts  (rules of deploy/prometheus/rules)")
    typer.echo(f"  Alertmanager {urls.alertmanager}")
    typer.echo(f"  operator alerts {urls.sink}/  (and {data_dir / 'operator-alerts.jsonl'})")


@app.command()
def serve(
    service: Annotated[str, typer.Argument(help="assessment, scoring, benchmark or watch.")],
    host: Annotated[str, typer.Option(help="Address to serve on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8000,
    metrics_host: Annotated[str, typer.Option(help="Address of the internal metrics port.")] = "127.0.0.1",
    metrics_port: Annotated[
        int | None,
        typer.Option(help="Internal port of /<service>/metrics (default: the setting; none: on the app)."),
    ] = None,
) -> None:
    """Run one service alone (Kafka and MongoDB from the environment)."""
    from dimm.platform import SERVICES
    from shared.serve import serve as serve_app

    if service not in SERVICES:
        typer.echo(f"error: unknown service {service!r}; choose from {', '.join(SERVICES)}", err=True)
        raise typer.Exit(2)
    spec = SERVICES[service]
    metrics = {"metrics_host": metrics_host, "metrics_port": metrics_port} if metrics_port else {}
    serve_app(spec.settings(http_host=host, http_port=port, **metrics), spec.create_app)


@app.command()
def replay(
    since: Annotated[str, typer.Option(help="A duration back from now (30m, 2h, 7d) or an ISO 8601 time.")],
    service: Annotated[
        list[str] | None, typer.Option(help="Only this service (repeatable; default: all four).")
    ] = None,
    event_type: Annotated[
        list[str] | None, typer.Option("--type", help="Only events of this type (repeatable).")
    ] = None,
    mongodb_url: Annotated[
        str | None, typer.Option(help="The services' MongoDB (default: MONGODB_URL, else the embedded one).")
    ] = None,
    mongo_port: Annotated[int, typer.Option(help="Port of the embedded SecantusDB server.")] = 27117,
) -> None:
    """Publish again the events the services published since a moment (kept in their outboxes)."""
    from dimm.platform import SERVICES
    from dimm.replay import parse_since
    from dimm.replay import replay as replay_outboxes

    chosen = service or list(SERVICES)
    unknown = sorted(set(chosen) - set(SERVICES))
    if unknown:
        typer.echo(
            f"error: unknown service {', '.join(unknown)}; choose from {', '.join(SERVICES)}", err=True
        )
        raise typer.Exit(2)
    try:
        moment = parse_since(since)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    url = (
        mongodb_url
        or os.environ.get("MONGODB_URL")
        or f"mongodb://127.0.0.1:{mongo_port}/?directConnection=true"
    )
    databases = {name: SERVICES[name].settings().mongodb_database for name in chosen}
    counts = asyncio.run(replay_outboxes(url, databases, since=moment, types=event_type or ()))
    for name, count in counts.items():
        typer.echo(
            f"  {name:<11} {count} events to publish again (since {moment.isoformat(timespec='seconds')})"
        )
    typer.echo("  each service's relay sends them in their original order; consumers skip what they have.")


@app.command()
def doctor(
    url: Annotated[str, typer.Option(help="Where the platform answers.")] = "http://127.0.0.1:8000",
    token: Annotated[
        str | None, typer.Option(help="Operator token (default: environment, then var/admin-token).")
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for every answer.")] = 10.0,
    data_dir: Annotated[Path, typer.Option(help="Data directory of `dimm up`.")] = DEFAULT_DATA_DIR,
) -> None:
    """Send a probe through every service and print each round-trip time."""
    from dimm.doctor import DoctorError, render, run_doctor

    try:
        report = asyncio.run(run_doctor(url, token or _admin_token(data_dir), timeout=timeout))
    except DoctorError as exc:
        typer.echo(f"FAILED: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(render(report))
    if not report.healthy:
        raise typer.Exit(1)


@app.command("alert-sink")
def alert_sink(
    host: Annotated[str, typer.Option(help="Address to serve on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port Alertmanager posts to.")] = 9095,
    data_dir: Annotated[Path, typer.Option(help="Where operator-alerts.jsonl is kept.")] = DEFAULT_DATA_DIR,
    token: Annotated[
        str | None,
        typer.Option(
            envvar="DIMM_ALERT_SINK_TOKEN",
            show_default=False,
            help="Bearer token Alertmanager must send (better in the environment than on a command line).",
        ),
    ] = None,
) -> None:
    """Receive Alertmanager's notifications: log them, keep them, show them on a page."""
    from dimm.alert_sink import serve_forever

    configure_logging(service="alert-sink", level=os.environ.get("DIMM_LOG_LEVEL", "INFO"))
    serve_forever(host, port, data_dir, token)


@app.command()
def keygen() -> None:
    """Print a new token signing key pair as .env lines (DIMM_JWT_PRIVATE_KEY, DIMM_JWT_PUBLIC_KEY)."""
    private_pem, public_pem = generate_key_pair()
    for name, pem in (("DIMM_JWT_PRIVATE_KEY", private_pem), ("DIMM_JWT_PUBLIC_KEY", public_pem)):
        escaped = pem.strip().replace("\n", "\\n")
        typer.echo(f'{name}="{escaped}"')


@app.command()
def asyncapi(
    service: Annotated[str, typer.Argument(help="assessment, scoring, benchmark or watch.")],
    output: Annotated[Path | None, typer.Option(help="File to write (default: standard output).")] = None,
) -> None:
    """Print a service's AsyncAPI 3 document, generated from its publishers and subscribers."""
    import json

    from dimm.platform import SERVICES, build_service

    if service not in SERVICES:
        typer.echo(f"error: unknown service {service!r}; choose from {', '.join(SERVICES)}", err=True)
        raise typer.Exit(2)
    document = json.dumps(build_service(service).state.runtime.asyncapi(), indent=2, ensure_ascii=False)
    if output is None:
        typer.echo(document)
    else:
        output.write_text(document + "\n")


@app.command()
def demo(
    url: Annotated[str, typer.Option(help="Where the platform answers.")] = "http://127.0.0.1:8000",
    token: Annotated[
        str | None, typer.Option(help="Operator token (default: environment, then var/admin-token).")
    ] = None,
    data_dir: Annotated[Path, typer.Option(help="Data directory of `dimm up`.")] = DEFAULT_DATA_DIR,
) -> None:
    """Create (once) a premium demo account, its organisations, a benchmark and a study; print the links."""
    from dimm.demo import DemoError, run_demo

    async def seed() -> DemoLinks:
        async with httpx.AsyncClient(base_url=url, timeout=60) as http:
            return await run_demo(http, token or _admin_token(data_dir), data_dir)

    try:
        links = asyncio.run(seed())
    except (DemoError, httpx.TransportError) as exc:
        typer.echo(f"FAILED: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"demo data {'created' if links.created else 'already there'} ({links.seconds:.0f} s)")
    typer.echo(f"  access token (valid 15 min): {links.token}")
    typer.echo(f"  report (open it in a browser): {url}{links.report}")
    typer.echo(f"  national study results: {url}{links.study}")
    _echo_watch(url, links)


@bench_app.command("bus")
def bench_bus(
    events: Annotated[int, typer.Option(help="Events per measurement.")] = 5000,
    batch: Annotated[int, typer.Option(help="Events per transaction on the producing side.")] = 50,
) -> None:
    """Measure the broker alone, the database writes alone, and outbox → relay → consumer."""
    from dimm.bench.bus import run_bus_bench

    asyncio.run(run_bus_bench(events=events, batch=batch, echo=typer.echo))


@bench_app.command("capture")
def bench_capture(
    respondents: Annotated[
        list[int] | None, typer.Option(help="Concurrency levels (repeat the option).")
    ] = None,
) -> None:
    """Concurrent respondents answering full diagnostics over HTTP: answers/s, p50/p99, submissions/s."""
    from dimm.bench.capture import run_capture_bench

    configure_logging(service="bench", level="WARNING")
    run_capture_bench(levels=respondents or [1, 10, 50], echo=typer.echo)


@bench_app.command("scoring")
def bench_scoring(
    events: Annotated[int, typer.Option(help="Submitted diagnostics sent through the pipeline.")] = 1000,
) -> None:
    """Score with the engine alone, then submitted → scored through the service, beside the broker."""
    from dimm.bench.scoring import run_scoring_bench

    run_scoring_bench(events=events, echo=typer.echo)


@bench_app.command("benchmark")
def bench_benchmark(
    events: Annotated[int, typer.Option(help="Scored events sent to the running benchmark service.")] = 2000,
    queries: Annotated[int, typer.Option(help="Timed queries of each kind per snapshot.")] = 200,
) -> None:
    """Build snapshots in memory and through the database, query cohorts at 1k and 1M, count updates."""
    from dimm.bench.benchmark import run_benchmark_bench

    run_benchmark_bench(events=events, queries=queries, echo=typer.echo)


@bench_app.command("watch")
def bench_watch(
    rows: Annotated[int, typer.Option(help="Diagnostics indexed and re-scored.")] = 1_000_000,
    scan_rows: Annotated[
        int | None, typer.Option(help="Rows the scan is timed on (default all; fewer are extrapolated).")
    ] = None,
    organisations: Annotated[int, typer.Option(help="Organisations alerted by webhook.")] = 10_000,
) -> None:
    """Index against scan at 1M diagnostics, impact projection rate, webhook fan-out to a local receiver."""
    from dimm.bench.watch import run_watch_bench

    run_watch_bench(rows=rows, scan_rows=scan_rows or rows, organisations=organisations, echo=typer.echo)


@bench_app.command("alerts")
def bench_alerts(
    faults: Annotated[
        str, typer.Option(help="Faults to inject, in order: poison, service, stalled, broker.")
    ] = "poison,service,stalled,broker",
    scrape_seconds: Annotated[
        float, typer.Option(help="Prometheus' scrape and evaluation interval.", min=1.0, max=60.0)
    ] = 5.0,
) -> None:
    """Inject faults and time the alert Prometheus fires for each (needs `make monitoring`)."""
    from dimm.bench.alerts import run_alerts_bench

    chosen = tuple(name.strip() for name in faults.split(",") if name.strip())
    try:
        run_alerts_bench(faults=chosen, scrape_seconds=scrape_seconds, echo=typer.echo)
    except (LookupError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


@bench_app.command("soak")
def bench_soak(
    minutes: Annotated[float, typer.Option(help="How long traffic runs.", min=2.0)] = 10.0,
    workers: Annotated[int, typer.Option(help="Concurrent clients.", min=1, max=50)] = 4,
) -> None:
    """Mixed traffic with faults on a schedule (kills, database, broker): what was lost, doubled, late."""
    from dimm.bench.soak import run_soak

    run_soak(minutes=minutes, workers=workers, echo=typer.echo)


def main() -> None:
    """Run the command line."""
    app()
