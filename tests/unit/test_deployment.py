"""The container deployment (docker-compose.yml and deploy/) fits the services as they are.

No Docker daemon is needed: the files are parsed and checked against the code (service names,
the prefixes the apps serve, the settings' environment variables).
"""

from __future__ import annotations

import re
import shlex
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from dimm.platform import SERVICES, build_service

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
NGINX_CONF = ROOT / "deploy" / "nginx.conf"
PROMETHEUS_CONF = ROOT / "deploy" / "prometheus" / "prometheus.yml"
ALERTMANAGER_CONF = ROOT / "deploy" / "alertmanager" / "alertmanager.yml"
ENV_EXAMPLE = ROOT / "deploy" / ".env.example"

SERVICE_NAMES = sorted(SERVICES)
SERVICE_PORT = 8000
METRICS_PORT = 9464
INFRASTRUCTURE = ("kafka", "mongo", "gateway", "prometheus", "alertmanager", "alert-sink", "jaeger")
ALERT_SINK_PORT = 9095

LOCATION = re.compile(r"location\s+(?:(?P<modifier>=|\^~|~\*?)\s*)?(?P<path>[^\s{]+)\s*\{(?P<body>[^{}]*)\}")
QUOTED_OR_COMMENT = re.compile(r"'[^']*'|\"[^\"]*\"|#[^\n]*")
PROXY_PASS = re.compile(r"proxy_pass\s+(?P<target>[^;\s]+)\s*;")
SET = re.compile(r"\bset\s+\$(?P<name>\w+)\s+(?P<value>[^;\s]+)\s*;")
RESOLVER = re.compile(r"^\s*resolver\s+(?P<arguments>[^;]+);", re.MULTILINE)


# --- reading the files -------------------------------------------------------------------------


@cache
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    return data


def compose_service(name: str) -> dict[str, Any]:
    service: dict[str, Any] = compose()["services"][name]
    return service


def environment_of(name: str) -> dict[str, str]:
    """Return a compose service's environment as a mapping, whichever form the file uses."""
    raw = compose_service(name).get("environment") or {}
    if isinstance(raw, list):
        pairs = (item.split("=", 1) for item in raw)
        return {key: value for key, value in pairs}
    return {key: "" if value is None else str(value) for key, value in raw.items()}


def command_of(name: str) -> list[str]:
    raw = compose_service(name).get("command") or []
    return shlex.split(raw) if isinstance(raw, str) else [str(part) for part in raw]


def healthcheck_command_of(name: str) -> str:
    test = compose_service(name).get("healthcheck", {}).get("test") or []
    return test if isinstance(test, str) else " ".join(str(part) for part in test)


def depends_on_of(name: str) -> dict[str, str]:
    """Map each dependency of a compose service to its condition (short form: started)."""
    raw = compose_service(name).get("depends_on") or {}
    if isinstance(raw, list):
        return dict.fromkeys(raw, "service_started")
    return {dep: (spec or {}).get("condition", "service_started") for dep, spec in raw.items()}


def service_with_image(prefix: str) -> str:
    """Name the one compose service running an image whose name starts with `prefix`."""
    names = [
        name for name, spec in compose()["services"].items() if str(spec.get("image", "")).startswith(prefix)
    ]
    assert len(names) == 1, f"expected one service running {prefix}*, found {names}"
    return names[0]


@cache
def nginx_text() -> str:
    """nginx.conf without comments, its quoted strings blanked, in one left-to-right pass (a comment
    may hold an apostrophe, a `return 200 '{...}'` holds braces)."""
    return QUOTED_OR_COMMENT.sub(
        lambda m: "" if m[0].startswith("#") else '""', NGINX_CONF.read_text(encoding="utf-8")
    )


@cache
def nginx_proxy_passes() -> list[tuple[str, str, dict[str, str]]]:
    """List each location's path, its proxy_pass as written and the variables it sets."""
    found = []
    for match in LOCATION.finditer(nginx_text()):
        proxy = PROXY_PASS.search(match["body"])
        if proxy is not None:
            variables = {m["name"]: m["value"] for m in SET.finditer(match["body"])}
            found.append((match["path"], proxy["target"], variables))
    return found


@cache
def nginx_locations() -> list[tuple[str, str, str | None]]:
    """List nginx's locations as (modifier, path, proxy_pass target or None), variables expanded."""
    locations = []
    for match in LOCATION.finditer(nginx_text()):
        proxy = PROXY_PASS.search(match["body"])
        target = proxy["target"] if proxy else None
        for variable in SET.finditer(match["body"]):
            target = target and target.replace(f"${variable['name']}", variable["value"])
        locations.append((match["modifier"] or "", match["path"], target))
    return locations


def prefix_locations(path: str) -> list[str | None]:
    """The proxy_pass targets of the plain prefix locations `location <path> {…}`."""
    return [target for modifier, loc, target in nginx_locations() if not modifier and loc == path]


def nginx_route(path: str) -> str | None:
    """Tell where nginx sends a request path, following nginx's location selection order."""
    locations = nginx_locations()
    for modifier, loc, target in locations:
        if modifier == "=" and loc == path:
            return target
    prefixes = [
        (modifier, loc, target)
        for modifier, loc, target in locations
        if modifier in ("", "^~") and path.startswith(loc)
    ]
    longest = max(prefixes, key=lambda item: len(item[1]), default=None)
    if longest is None or longest[0] != "^~":
        for modifier, loc, target in locations:
            flags = re.IGNORECASE if modifier == "~*" else 0
            if modifier in ("~", "~*") and re.search(loc, path, flags):
                return target
    return None if longest is None else longest[2]


@cache
def prometheus() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(PROMETHEUS_CONF.read_text(encoding="utf-8"))
    return data


@cache
def alertmanager() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(ALERTMANAGER_CONF.read_text(encoding="utf-8"))
    return data


def mounts_of(name: str) -> dict[str, str]:
    """Map each container path of a compose service's volumes to its source (options dropped)."""
    mounts = (str(volume).split(":") for volume in compose_service(name).get("volumes", []))
    return {parts[1]: parts[0] for parts in mounts}


def flag_of(command: list[str], flag: str) -> str | None:
    """Return the value of a `--flag=value` or `--flag value` option of a command, if present."""
    for index, part in enumerate(command):
        if part.startswith(f"{flag}="):
            return part.split("=", 1)[1]
        if part == flag and index + 1 < len(command):
            return command[index + 1]
    return None


@cache
def dockerfile_instructions() -> list[tuple[str, str]]:
    """List the Dockerfile's instructions as (KEYWORD, arguments), continuation lines joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    instructions = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            keyword, _, arguments = stripped.partition(" ")
            instructions.append((keyword.upper(), arguments.strip()))
    return instructions


@cache
def served_paths(name: str) -> frozenset[str]:
    """Every path a service's public app answers (configured as compose runs it: metrics apart)."""
    app = build_service(name, environment="development", metrics_port=METRICS_PORT)
    paths = {route.path for route in app.routes if hasattr(route, "path")}
    paths |= set(app.openapi().get("paths", {}))
    return frozenset(paths)


def first_segment(path: str) -> str:
    return path.strip("/").split("/", 1)[0]


# --- the compose file --------------------------------------------------------------------------


class TestComposeDeclaresTheWholePlatform:
    def test_infrastructure_and_every_service_are_declared(self) -> None:
        declared = set(compose()["services"])
        missing = (set(INFRASTRUCTURE) | set(SERVICE_NAMES)) - declared
        assert not missing, f"docker-compose.yml lacks {sorted(missing)}"

    def test_the_platform_knows_the_same_four_services_as_the_messaging_layer(self) -> None:
        from shared.messaging.topics import SERVICES as TOPIC_SERVICES

        assert set(SERVICES) == set(TOPIC_SERVICES)

    def test_stateful_services_keep_their_data_in_named_volumes(self) -> None:
        volumes = set(compose().get("volumes") or {})
        stateful = (
            ("mongo", "/data/db"),
            ("prometheus", "/prometheus"),
            ("alertmanager", "/alertmanager"),
            ("alert-sink", "/data"),
        )
        for name, target in stateful:
            mounts = [str(m) for m in compose_service(name).get("volumes", [])]
            named = [m for m in mounts if m.split(":")[0] in volumes and m.split(":")[1] == target]
            assert named, f"{name} does not keep {target} in a named volume"


@pytest.mark.parametrize("name", SERVICE_NAMES)
class TestEachServiceRunsFromTheSharedImage:
    def test_it_builds_from_deploy_dockerfile_with_the_repository_as_context(self, name: str) -> None:
        build = compose_service(name).get("build")
        assert isinstance(build, dict), f"{name} has no build section"
        assert (ROOT / build.get("context", ".")).resolve() == ROOT
        assert (ROOT / build["dockerfile"]).resolve() == DOCKERFILE

    def test_it_runs_its_own_module(self, name: str) -> None:
        assert command_of(name) == ["python", "-m", f"services.{name}"]

    def test_it_restarts_unless_stopped(self, name: str) -> None:
        assert compose_service(name).get("restart") == "unless-stopped"


@pytest.mark.parametrize("name", SERVICE_NAMES)
class TestEachServiceReachesTheComposeBrokerAndDatabase:
    def test_kafka_bootstrap_servers_point_at_the_kafka_service(self, name: str) -> None:
        kafka = service_with_image("apache/kafka")
        servers = environment_of(name).get("KAFKA_BOOTSTRAP_SERVERS", "")
        hosts = {server.rsplit(":", 1)[0] for server in servers.split(",") if server}
        assert hosts == {kafka}, f"{name} bootstraps from {servers!r}, not the {kafka} service"
        advertised = environment_of(kafka).get("KAFKA_ADVERTISED_LISTENERS", "")
        for server in servers.split(","):
            assert f"//{server}" in advertised, f"{kafka} does not advertise {server}"

    def test_mongodb_url_points_at_the_mongo_replica_set(self, name: str) -> None:
        mongo = service_with_image("mongo")
        url = urlsplit(environment_of(name).get("MONGODB_URL", ""))
        assert url.scheme == "mongodb"
        assert url.hostname == mongo
        assert "replicaSet=rs0" in url.query

    def test_it_listens_on_all_interfaces_at_the_service_port(self, name: str) -> None:
        env = environment_of(name)
        prefix = f"DIMM_{name.upper()}_"
        assert env.get(f"{prefix}HTTP_HOST") == "0.0.0.0"
        assert env.get(f"{prefix}HTTP_PORT") == str(SERVICE_PORT)


@pytest.mark.parametrize("name", SERVICE_NAMES)
class TestEachServiceProvisionsTheSameTopics:
    @pytest.mark.parametrize(
        ("variable", "field"),
        [
            ("DIMM_TOPIC_PARTITIONS", "topic_partitions"),
            ("DIMM_TOPIC_RETENTION_HOURS", "topic_retention_hours"),
        ],
    )
    def test_the_topic_settings_come_from_the_env_file_with_the_settings_default(
        self, name: str, variable: str, field: str
    ) -> None:
        match = COMPOSE_DEFAULT.fullmatch(environment_of(name)[variable])
        assert match, f"{name}: {variable} is not read from the env file"
        assert match["name"] == variable
        assert match["default"] == str(SERVICES[name].settings().model_dump()[field])
        assert f"# {variable}=" in ENV_EXAMPLE.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", SERVICE_NAMES)
class TestEachServiceIsHealthCheckedOnItsOwnPrefix:
    def test_the_healthcheck_requests_its_own_healthz(self, name: str) -> None:
        command = healthcheck_command_of(name)
        assert f":{SERVICE_PORT}/{name}/healthz" in command
        others = [other for other in SERVICE_NAMES if other != name]
        assert not any(f"/{other}/" in command for other in others)

    def test_the_healthcheck_needs_no_curl_on_the_slim_image(self, name: str) -> None:
        command = healthcheck_command_of(name)
        assert "python" in command
        assert "curl" not in command


@pytest.mark.parametrize("name", SERVICE_NAMES)
class TestEachServiceWaitsForAHealthyBrokerAndDatabase:
    def test_it_depends_on_kafka_and_mongo_being_healthy(self, name: str) -> None:
        depends = depends_on_of(name)
        assert depends.get("kafka") == "service_healthy"
        assert depends.get("mongo") == "service_healthy"


class TestKafkaRunsAsASingleKraftNode:
    def test_it_is_broker_and_controller_without_zookeeper(self) -> None:
        env = environment_of("kafka")
        assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
        assert "KAFKA_ZOOKEEPER_CONNECT" not in env
        node_id = env["KAFKA_NODE_ID"]
        assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"].startswith(f"{node_id}@kafka:")

    def test_its_healthcheck_asks_the_broker_itself(self) -> None:
        command = healthcheck_command_of("kafka")
        assert "kafka-broker-api-versions.sh" in command or "kafka-topics.sh" in command


class TestMongoRunsAsAOneNodeReplicaSet:
    def test_it_starts_mongod_with_a_replica_set_on_all_interfaces(self) -> None:
        command = command_of("mongo")
        assert "--replSet" in command
        assert command[command.index("--replSet") + 1] == "rs0"
        assert "--bind_ip_all" in command

    def test_its_healthcheck_initiates_the_set_and_waits_for_a_primary(self) -> None:
        command = healthcheck_command_of("mongo")
        assert "mongosh" in command
        assert "rs.initiate" in command
        assert "'rs0'" in command or '"rs0"' in command
        assert "isWritablePrimary" in command

    def test_its_member_is_named_as_the_services_reach_it(self) -> None:
        assert "host: 'mongo:27017'" in healthcheck_command_of("mongo")

    def test_compose_interpolation_leaves_the_script_alone(self) -> None:
        assert "$" not in healthcheck_command_of("mongo")


class TestAssessmentRequiresAnAdminToken:
    def test_the_token_comes_from_the_env_file_and_is_mandatory(self) -> None:
        token = environment_of("assessment").get("DIMM_ASSESSMENT_ADMIN_TOKEN", "")
        assert re.fullmatch(r"\$\{DIMM_ADMIN_TOKEN:\?[^}]+\}", token), token

    def test_the_env_example_documents_the_token_without_a_value(self) -> None:
        lines = ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
        assert "DIMM_ADMIN_TOKEN=" in lines


# --- the gateway -------------------------------------------------------------------------------


class TestGatewayRoutesEveryServicePrefix:
    def test_it_mounts_deploy_nginx_conf_and_publishes_port_8000(self) -> None:
        gateway = compose_service("gateway")
        assert str(gateway["image"]).startswith("nginx:")
        assert any(str(v).startswith("./deploy/nginx.conf:") for v in gateway.get("volumes", []))
        assert any(str(p).split(":")[0] == "8000" for p in gateway.get("ports", []))

    @pytest.mark.parametrize("name", SERVICE_NAMES)
    def test_each_service_has_exactly_one_prefix_location(self, name: str) -> None:
        matches = prefix_locations(f"/{name}/")
        assert len(matches) == 1, f"expected one `location /{name}/`, found {len(matches)}"

    @pytest.mark.parametrize("name", SERVICE_NAMES)
    def test_the_prefix_is_proxied_to_its_service_unchanged(self, name: str) -> None:
        # No URI part after host:port, so nginx passes /<name>/… through as it came.
        assert prefix_locations(f"/{name}/") == [f"http://{name}:{SERVICE_PORT}"]

    def test_it_resolves_service_names_with_docker_s_dns_and_keeps_answers_briefly(self) -> None:
        (resolver,) = RESOLVER.findall(nginx_text())
        arguments = resolver.split()
        assert arguments[0] == "127.0.0.11", "Docker's embedded DNS server knows the compose services"
        (valid,) = [argument for argument in arguments if argument.startswith("valid=")]
        assert re.fullmatch(r"valid=([1-9]|[1-5]\d)s", valid), f"{valid}: a moved service is found again late"

    @pytest.mark.parametrize("name", SERVICE_NAMES)
    def test_each_service_name_is_resolved_per_request_not_at_start(self, name: str) -> None:
        # A host name written in proxy_pass is resolved once, when nginx starts; one in a variable is
        # resolved through the resolver when requests come (a recreated container is followed).
        ((target, variables),) = [(t, v) for path, t, v in nginx_proxy_passes() if path == f"/{name}/"]
        assert re.fullmatch(r"\$\w+", target), f"proxy_pass {target} is resolved once, at start"
        assert variables[target[1:]] == f"http://{name}:{SERVICE_PORT}"

    def test_no_proxy_pass_names_a_host_directly(self) -> None:
        for path, target, _ in nginx_proxy_passes():
            assert target.startswith("$"), f"location {path}: proxy_pass {target} is resolved once"

    def test_no_location_strips_or_rewrites_a_prefix(self) -> None:
        for _, path, target in nginx_locations():
            if target is not None:
                assert urlsplit(target).path == "", f"location {path} rewrites to {target}"
        assert "rewrite " not in NGINX_CONF.read_text(encoding="utf-8")

    @pytest.mark.parametrize("name", SERVICE_NAMES)
    def test_every_path_the_service_serves_reaches_it(self, name: str) -> None:
        prefixes = {first_segment(path) for path in served_paths(name)}
        assert name in prefixes
        for path in sorted(served_paths(name)):
            target = nginx_route(path)
            assert target is not None, f"no gateway location routes {path} (served by {name})"
            if first_segment(path) == name:
                assert target == f"http://{name}:{SERVICE_PORT}", f"{path} goes to {target}"

    def test_it_answers_its_own_healthz(self) -> None:
        exact = [path for modifier, path, _ in nginx_locations() if modifier == "="]
        assert "/healthz" in exact
        assert nginx_route("/healthz") is None, "the gateway's /healthz is proxied away"
        assert "/healthz" in healthcheck_command_of("gateway")

    def test_it_passes_correlation_and_forwarding_headers(self) -> None:
        text = NGINX_CONF.read_text(encoding="utf-8")
        for header in ("X-Correlation-ID", "X-Forwarded-For", "X-Forwarded-Proto", "Host"):
            assert re.search(rf"proxy_set_header\s+{header}\s", text), header

    def test_the_forwarded_address_is_the_one_nginx_saw_not_one_the_caller_wrote(self) -> None:
        # Appending ($proxy_add_x_forwarded_for) would keep a forged left-most entry, which is what
        # uvicorn believes with FORWARDED_ALLOW_IPS="*": a caller could pick its throttled address.
        text = NGINX_CONF.read_text(encoding="utf-8")
        assert re.search(r"proxy_set_header\s+X-Forwarded-For\s+\$remote_addr;", text)
        assert "$proxy_add_x_forwarded_for" not in text

    def test_its_body_limit_matches_the_services(self) -> None:
        from shared.settings import DEFAULT_MAX_BODY_BYTES

        match = re.search(r"client_max_body_size\s+(\d+)([km]?);", NGINX_CONF.read_text(encoding="utf-8"))
        assert match, "no client_max_body_size: nginx's default is 1 MB"
        size = int(match[1]) * {"": 1, "k": 1024, "m": 1024 * 1024}[match[2]]
        assert size == DEFAULT_MAX_BODY_BYTES

    def test_its_own_answers_say_nosniff(self) -> None:
        text = NGINX_CONF.read_text(encoding="utf-8")
        assert re.search(r"add_header\s+X-Content-Type-Options\s+nosniff\s+always;", text)
        assert "server_tokens off;" in text


# --- monitoring --------------------------------------------------------------------------------


class TestPrometheusScrapesEveryService:
    def test_it_mounts_deploy_prometheus_prometheus_yml_and_publishes_port_9090(self) -> None:
        service = compose_service("prometheus")
        assert str(service["image"]).startswith("prom/prometheus")
        mounts = [str(v) for v in service.get("volumes", [])]
        assert any(v.startswith("./deploy/prometheus/prometheus.yml:") for v in mounts)
        assert any(str(p).split(":")[0] == "9090" for p in service.get("ports", []))

    @pytest.mark.parametrize("name", SERVICE_NAMES)
    def test_the_service_metrics_are_scraped_under_its_prefix_on_the_metrics_port(self, name: str) -> None:
        jobs = [
            job for job in prometheus()["scrape_configs"] if job.get("metrics_path") == f"/{name}/metrics"
        ]
        assert len(jobs) == 1, f"expected one job scraping /{name}/metrics, found {len(jobs)}"
        targets = [t for config in jobs[0]["static_configs"] for t in config["targets"]]
        assert targets == [f"{name}:{METRICS_PORT}"]

    @pytest.mark.parametrize("name", SERVICE_NAMES)
    def test_the_scraped_path_is_served_on_the_metrics_port_not_the_public_one(self, name: str) -> None:
        app = build_service(name, environment="development", metrics_port=METRICS_PORT)
        internal = {route.path for route in app.state.metrics_app.routes}
        assert internal == {f"/{name}/metrics"}
        assert f"/{name}/metrics" not in served_paths(name)


@pytest.mark.parametrize("name", SERVICE_NAMES)
class TestEachServiceServesItsMetricsOnTheComposeNetworkOnly:
    def test_it_listens_for_metrics_on_all_interfaces_at_the_metrics_port(self, name: str) -> None:
        env = environment_of(name)
        prefix = f"DIMM_{name.upper()}_"
        assert env.get(f"{prefix}METRICS_HOST") == "0.0.0.0"
        assert env.get(f"{prefix}METRICS_PORT") == str(METRICS_PORT)

    def test_the_settings_read_that_environment(self, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
        prefix = f"DIMM_{name.upper()}_"
        monkeypatch.setenv(f"{prefix}METRICS_PORT", environment_of(name)[f"{prefix}METRICS_PORT"])
        monkeypatch.setenv(f"{prefix}METRICS_HOST", environment_of(name)[f"{prefix}METRICS_HOST"])
        settings = SERVICES[name].settings(environment="development")
        assert (settings.metrics_host, settings.metrics_port) == ("0.0.0.0", METRICS_PORT)

    def test_the_port_is_exposed_to_the_network_and_never_published(self, name: str) -> None:
        service = compose_service(name)
        assert str(METRICS_PORT) in [str(port) for port in service.get("expose", [])]
        assert not service.get("ports"), f"{name} publishes a port"

    def test_the_gateway_refuses_it(self, name: str) -> None:
        for path in (f"/{name}/metrics", f"/{name}/metrics/", f"/{name}/metrics/x"):
            assert nginx_route(path) is None, f"the gateway proxies {path}"
        assert nginx_route(f"/{name}/healthz") == f"http://{name}:{SERVICE_PORT}"


class TestPrometheusSendsAlertsToAlertmanager:
    def test_the_rules_directory_is_mounted_read_only_where_rule_files_reads(self) -> None:
        mounts = [str(v) for v in compose_service("prometheus").get("volumes", [])]
        assert "./deploy/prometheus/rules:/etc/prometheus/rules:ro" in mounts
        assert prometheus()["rule_files"] == ["/etc/prometheus/rules/*.yml"]

    def test_it_points_at_the_alertmanager_service(self) -> None:
        (manager,) = prometheus()["alerting"]["alertmanagers"]
        targets = [t for config in manager["static_configs"] for t in config["targets"]]
        assert targets == ["alertmanager:9093"]
        assert str(compose_service("alertmanager")["image"]).startswith("prom/alertmanager:")


class TestAlertmanagerRunsWithTheRepositoryConfiguration:
    def test_it_reads_the_mounted_deploy_alertmanager_yml(self) -> None:
        config = flag_of(command_of("alertmanager"), "--config.file") or "/etc/alertmanager/alertmanager.yml"
        assert mounts_of("alertmanager").get(config) == "./deploy/alertmanager/alertmanager.yml"

    def test_it_stores_silences_where_its_volume_is(self) -> None:
        assert flag_of(command_of("alertmanager"), "--storage.path") == "/alertmanager"

    def test_its_ui_and_api_are_published_on_the_loopback_interface_only(self) -> None:
        assert compose_service("alertmanager").get("ports") == ["127.0.0.1:9093:9093"]

    def test_every_receiver_posts_to_the_alert_sink_service(self) -> None:
        urls = [
            webhook["url"]
            for receiver in alertmanager()["receivers"]
            for webhook in receiver.get("webhook_configs", [])
        ]
        assert urls
        for url in urls:
            parts = urlsplit(url)
            assert (parts.hostname, parts.port, parts.path) == ("alert-sink", ALERT_SINK_PORT, "/alerts")


class TestTheAlertSinkRunsFromTheSharedImage:
    def test_it_builds_from_deploy_dockerfile(self) -> None:
        build = compose_service("alert-sink").get("build")
        assert isinstance(build, dict), "alert-sink has no build section"
        assert (ROOT / build["dockerfile"]).resolve() == DOCKERFILE

    def test_it_runs_dimm_alert_sink_on_all_interfaces_with_its_data_in_the_volume(self) -> None:
        command = command_of("alert-sink")
        assert command[:2] == ["dimm", "alert-sink"]
        assert flag_of(command, "--host") == "0.0.0.0"
        assert flag_of(command, "--port") == str(ALERT_SINK_PORT)
        assert flag_of(command, "--data-dir") == "/data"
        assert f":{ALERT_SINK_PORT}/healthz" in healthcheck_command_of("alert-sink")

    def test_the_command_is_one_the_cli_knows(self) -> None:
        from typer.testing import CliRunner

        from dimm.cli import app

        result = CliRunner().invoke(app, [*command_of("alert-sink")[1:2], "--help"])
        assert result.exit_code == 0, result.output
        for flag in ("--host", "--port", "--data-dir"):
            assert flag in result.output

    def test_the_image_gives_its_data_directory_to_the_non_root_user(self) -> None:
        runs = " ".join(args for keyword, args in dockerfile_instructions() if keyword == "RUN")
        assert re.search(r"chown\s+dimm(:dimm)?\s+/data(\s|$)", runs), "a volume on /data is root's"

    def test_its_token_is_optional_and_comes_from_the_env_file(self) -> None:
        token = environment_of("alert-sink").get("DIMM_ALERT_SINK_TOKEN", "")
        assert token == "${DIMM_ALERT_SINK_TOKEN:-}"


# --- traces ------------------------------------------------------------------------------------


class TestTracesGoToJaeger:
    def test_jaeger_receives_otlp_and_publishes_only_its_ui(self) -> None:
        service = compose_service("jaeger")
        assert str(service["image"]).startswith("jaegertracing/")
        published = [str(p).split(":")[0] for p in service.get("ports", [])]
        assert published == ["16686"], "only the UI is published; OTLP stays on the compose network"
        assert environment_of("jaeger").get("COLLECTOR_OTLP_ENABLED", "true") == "true"

    @pytest.mark.parametrize("name", SERVICE_NAMES)
    def test_the_service_exports_to_jaeger_over_otlp_http(self, name: str) -> None:
        value = environment_of(name).get("OTEL_EXPORTER_OTLP_ENDPOINT", "")
        default = re.fullmatch(r"\$\{OTEL_EXPORTER_OTLP_ENDPOINT:?-(?P<url>[^}]*)\}", value)
        url = urlsplit(default["url"] if default else value)
        assert (url.scheme, url.hostname, url.port) == ("http", "jaeger", 4318)

    @pytest.mark.parametrize("name", SERVICE_NAMES)
    def test_the_service_settings_accept_that_endpoint(self, name: str) -> None:
        settings = SERVICES[name].settings(otel_exporter_otlp_endpoint="http://jaeger:4318")
        assert settings.otel_exporter_otlp_endpoint == "http://jaeger:4318"


# --- the image ---------------------------------------------------------------------------------


class TestDockerfileBuildsTheLockedPlatform:
    def test_the_base_image_is_python_3_11(self) -> None:
        (base,) = [args for keyword, args in dockerfile_instructions() if keyword == "FROM"]
        assert re.fullmatch(r"python:3\.11(\.\d+)?(-slim\S*)?(\s+AS\s+\S+)?", base, re.I), base

    def test_it_installs_the_lock_without_resolving_then_the_project(self) -> None:
        runs = [args for keyword, args in dockerfile_instructions() if keyword == "RUN"]
        lock = [i for i, run in enumerate(runs) if "-r requirements.lock" in run]
        project = [i for i, run in enumerate(runs) if re.search(r"pip install --no-deps \.(\s|$)", run)]
        assert lock, "the Dockerfile does not install requirements.lock"
        assert "--no-deps" in runs[lock[0]]
        assert project, "the Dockerfile does not install the project"
        assert lock[0] < project[0]

    def test_it_copies_the_lock_and_every_package(self) -> None:
        copied = " ".join(args for keyword, args in dockerfile_instructions() if keyword == "COPY")
        for source in ("requirements.lock", "pyproject.toml", "dimm", "services", "shared"):
            assert re.search(rf"(^|\s){source}(\s|$)", copied), f"{source} is not copied"

    def test_it_runs_as_a_non_root_user_in_production(self) -> None:
        users = [args for keyword, args in dockerfile_instructions() if keyword == "USER"]
        assert users, "the image runs as root"
        assert users[-1].split(":")[0] not in {"root", "0"}
        envs = " ".join(args for keyword, args in dockerfile_instructions() if keyword == "ENV")
        assert "DIMM_ENVIRONMENT=production" in envs


# --- dashboards --------------------------------------------------------------------------------

GRAFANA_DIR = ROOT / "deploy" / "grafana"
GRAFANA_PROVISIONING = "/etc/grafana/provisioning"
GRAFANA_DASHBOARDS = "/var/lib/grafana/dashboards"
COMPOSE_DEFAULT = re.compile(r"\$\{(?P<name>\w+):-(?P<default>[^}]*)\}")


def bind_mounts_of(name: str) -> dict[str, tuple[Path, str]]:
    """Map each container path a service bind-mounts to (host path, options)."""
    mounts = {}
    for volume in compose_service(name).get("volumes", []):
        source, target, *options = str(volume).split(":")
        if source.startswith("."):
            mounts[target] = ((ROOT / source).resolve(), ",".join(options))
    return mounts


def provisioning(kind: str, file_name: str) -> dict[str, Any]:
    path = GRAFANA_DIR / "provisioning" / kind / file_name
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


class TestGrafanaShowsTheDashboards:
    def test_it_runs_a_pinned_official_image_and_publishes_port_3000(self) -> None:
        grafana = compose_service("grafana")
        assert re.fullmatch(r"grafana/grafana:1[12]\.\d+\.\d+", str(grafana["image"])), grafana["image"]
        assert any(str(p).split(":")[-2] == "3000" for p in grafana.get("ports", []))
        assert grafana.get("restart") == "unless-stopped"

    def test_it_mounts_the_provisioning_and_the_dashboards_read_only(self) -> None:
        mounts = bind_mounts_of("grafana")
        assert mounts[GRAFANA_PROVISIONING] == ((GRAFANA_DIR / "provisioning").resolve(), "ro")
        assert mounts[GRAFANA_DASHBOARDS] == ((GRAFANA_DIR / "dashboards").resolve(), "ro")

    def test_it_keeps_its_data_in_a_named_volume(self) -> None:
        volumes = set(compose().get("volumes") or {})
        mounts = [str(m).split(":") for m in compose_service("grafana").get("volumes", [])]
        assert any(m[0] in volumes and m[1] == "/var/lib/grafana" for m in mounts)

    def test_the_admin_password_comes_from_the_env_file_with_a_local_default(self) -> None:
        password = environment_of("grafana")["GF_SECURITY_ADMIN_PASSWORD"]
        match = COMPOSE_DEFAULT.fullmatch(password)
        assert match, f"the admin password is not read from a variable: {password!r}"
        assert match["default"], "no default password for a local run"
        assert f"# {match['name']}=" in ENV_EXAMPLE.read_text(encoding="utf-8")

    def test_anonymous_access_is_off_by_default_and_read_only(self) -> None:
        env = environment_of("grafana")
        enabled = env["GF_AUTH_ANONYMOUS_ENABLED"]
        match = COMPOSE_DEFAULT.fullmatch(enabled)
        assert (match["default"] if match else enabled).lower() == "false"
        assert env.get("GF_AUTH_ANONYMOUS_ORG_ROLE", "Viewer") == "Viewer"
        assert env.get("GF_USERS_ALLOW_SIGN_UP") == "false"

    def test_it_starts_after_prometheus_and_is_health_checked(self) -> None:
        assert "prometheus" in depends_on_of("grafana")
        assert ":3000/api/health" in healthcheck_command_of("grafana")

    def test_the_home_dashboard_is_a_provisioned_file(self) -> None:
        home = environment_of("grafana")["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
        assert home.startswith(GRAFANA_DASHBOARDS + "/")
        assert (GRAFANA_DIR / "dashboards" / home.rsplit("/", 1)[1]).is_file()


class TestGrafanaProvisioning:
    def test_prometheus_is_the_default_data_source_with_a_fixed_uid(self) -> None:
        (source,) = provisioning("datasources", "prometheus.yml")["datasources"]
        assert (source["name"], source["uid"], source["type"]) == ("Prometheus", "prometheus", "prometheus")
        assert source["isDefault"] is True

    def test_the_data_source_is_the_compose_prometheus(self) -> None:
        (source,) = provisioning("datasources", "prometheus.yml")["datasources"]
        url = urlsplit(source["url"])
        assert url.hostname == service_with_image("prom/prometheus")
        assert any(str(p).split(":")[-1] == str(url.port) for p in compose_service("prometheus")["ports"])

    def test_the_dashboards_provider_reads_the_mounted_directory(self) -> None:
        (provider,) = provisioning("dashboards", "dimm.yml")["providers"]
        assert provider["type"] == "file"
        assert provider["options"]["path"] == GRAFANA_DASHBOARDS
        assert list((GRAFANA_DIR / "dashboards").glob("*.json")), "no dashboard to provision"
