"""The `dimm` command line: run the platform, check it, measure it."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import Annotated

import httpx
import typer

from dimm.client import TOKEN_FILE_ENV, URL_ENV, ClientError, Target
from dimm.demo import DemoLinks
from dimm.model_cli import app as model_app
from dimm.state import find_platform
from shared.auth import generate_key_pair
from shared.logging import configure_logging

app = typer.Typer(help="DIMM digital-maturity platform.", no_args_is_help=True, add_completion=False)
bench_app = typer.Typer(help="Reproducible benchmarks that print figures.", no_args_is_help=True)
app.add_typer(bench_app, name="bench")
app.add_typer(model_app, name="model")

logger = logging.getLogger("dimm")

DEFAULT_DATA_DIR = Path("var")
URL_HELP = "Where the platform answers (default: the running `dimm up`, else http://127.0.0.1:8000)."
TOKEN_HELP = "Operator token (better in a file, --token-file, or in DIMM_ASSESSMENT_ADMIN_TOKEN)."
TOKEN_FILE_HELP = "File holding the operator token (default: the running `dimm up`'s admin-token)."


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
    mail_sink_port: Annotated[
        int | None,
        typer.Option(
            help="Port of the local mail sink receiving the watch's e-mails (default: "
            "DIMM_WATCH_SMTP_PORT, else 2525); unused when DIMM_WATCH_SMTP_HOST names a server.",
            show_default=False,
        ),
    ] = None,
    monitoring: Annotated[
        bool,
        typer.Option(
            "--monitoring",
            help="Also run Prometheus (our alert rules), Alertmanager and the operator's alert sink "
            "(`make monitoring` fetches the binaries).",
        ),
    ] = False,
    prometheus_port: Annotated[int, typer.Option(help="Port of Prometheus (with --monitoring).")] = 9090,
    alertmanager_port: Annotated[int, typer.Option(help="Port of Alertmanager (with --monitoring).")] = 9093,
    alert_sink_port: Annotated[
        int, typer.Option(help="Port of the operator's alert sink (with --monitoring).")
    ] = 9095,
) -> None:
    """Start the platform: embedded broker and database unless configured, then the four services."""
    from dimm.embedded import StackError
    from dimm.ports import PortError
    from dimm.up import UpOptions, run

    options = UpOptions(
        host=host,
        port=port,
        data_dir=data_dir,
        kafka_port=kafka_port,
        mongo_port=mongo_port,
        metrics_host=metrics_host,
        metrics_port=metrics_port,
        mail_sink_port=mail_sink_port,
        monitoring=monitoring,
        prometheus_port=prometheus_port,
        alertmanager_port=alertmanager_port,
        alert_sink_port=alert_sink_port,
    )
    try:
        run(options)
    except (PortError, StackError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc


def _target(url: str | None, token: str | None, token_file: Path | None) -> tuple[Target, str]:
    """Return the platform a client command talks to and its operator token, or exit saying why not."""
    target = Target.find(url)
    try:
        return target, target.token(token=token, token_file=token_file)
    except ClientError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


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
        str | None,
        typer.Option(
            help="The services' MongoDB (default: MONGODB_URL, else the running `dimm up`'s, else the "
            "embedded one at --mongo-port)."
        ),
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
    running = find_platform(None)
    url = (
        mongodb_url
        or os.environ.get("MONGODB_URL")
        or (running.mongodb_url if running is not None else None)
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
    url: Annotated[str | None, typer.Option(envvar=URL_ENV, help=URL_HELP, show_default=False)] = None,
    token: Annotated[str | None, typer.Option(help=TOKEN_HELP, show_default=False)] = None,
    token_file: Annotated[
        Path | None, typer.Option(envvar=TOKEN_FILE_ENV, help=TOKEN_FILE_HELP, show_default=False)
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for every answer.")] = 10.0,
) -> None:
    """Send a probe through every service and print each round-trip time."""
    from dimm.doctor import DoctorError, render, run_doctor

    target, operator_token = _target(url, token, token_file)
    try:
        report = asyncio.run(run_doctor(target.url, operator_token, timeout=timeout))
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
    url: Annotated[str | None, typer.Option(envvar=URL_ENV, help=URL_HELP, show_default=False)] = None,
    token: Annotated[str | None, typer.Option(help=TOKEN_HELP, show_default=False)] = None,
    token_file: Annotated[
        Path | None, typer.Option(envvar=TOKEN_FILE_ENV, help=TOKEN_FILE_HELP, show_default=False)
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            help="Where the demo remembers its account (default: the running `dimm up`'s data directory, "
            "else the state directory; never the current one).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Create (once) a premium demo account, its organisations, a benchmark and a study; print the links."""
    from dimm.demo import DemoError, run_demo
    from dimm.up import echo_watch

    target, operator_token = _target(url, token, token_file)
    base, folder = target.url, target.data_dir(data_dir)

    async def seed() -> DemoLinks:
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            return await run_demo(http, operator_token, folder)

    try:
        links = asyncio.run(seed())
    except httpx.TransportError as exc:
        typer.echo(f"FAILED: the platform does not answer at {base}: {exc}", err=True)
        raise typer.Exit(1) from exc
    except DemoError as exc:
        typer.echo(f"FAILED: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"demo data {'created' if links.created else 'already there'} ({links.seconds:.0f} s)")
    typer.echo(f"  access token (valid 15 min): {links.token}")
    typer.echo(f"  report (open it in a browser): {base}{links.report}")
    typer.echo(f"  national study results: {base}{links.study}")
    echo_watch(base, links)


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
