"""The gateway's configuration in a real nginx (Debian's, `make gateway`): it starts while no service
name resolves, and follows a service whose address changes, as a recreated container's does.

Docker's resolver (127.0.0.11) is played by a small DNS server of the test's own; the services by
two HTTP servers on two loopback addresses. Only the addresses, ports and file paths of
deploy/nginx.conf are changed, and `valid=` shortened so the test waits less.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import struct
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import cast

import httpx
import pytest
import pytest_asyncio

from dimm.embedded import free_port, stop_process

pytestmark = pytest.mark.asyncio(loop_scope="module")
ROOT = Path(__file__).resolve().parents[2]
NGINX_CONF = ROOT / "deploy" / "nginx.conf"
EXTRACTED = ROOT / ".tools" / "nginx"
SERVICE_PORT = 8000
FIRST, SECOND = "127.0.0.2", "127.0.0.3"


def _nginx() -> tuple[Path, Path]:
    """Return nginx and its mime.types: extracted by `make gateway`, else installed (or skip)."""
    if (EXTRACTED / "usr" / "sbin" / "nginx").is_file():
        return EXTRACTED / "usr" / "sbin" / "nginx", EXTRACTED / "etc" / "nginx" / "mime.types"
    found = shutil.which("nginx")
    if found is None or not Path("/etc/nginx/mime.types").is_file():
        pytest.skip("nginx not found: `make gateway` fetches it (Debian's package)")
    return Path(found), Path("/etc/nginx/mime.types")


def runnable(conf: str, work: Path, mime_types: Path) -> str:
    """Make deploy/nginx.conf runnable by a user in a folder: no user switch, files under `work`."""
    conf = re.sub(r"(?m)^user\s+\S+;\n", "", conf)
    conf = conf.replace("include /etc/nginx/mime.types;", f"include {mime_types};")
    conf = re.sub(r"(?m)^pid\s+\S+;", f"pid {work / 'nginx.pid'};", conf)
    temporary = "".join(
        f"    {kind}_temp_path {work / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return conf.replace("http {\n", "http {\n" + temporary, 1)


def nginx_test(nginx: Path, conf_path: Path, work: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(nginx), "-t", "-e", "stderr", "-p", f"{work}/", "-c", str(conf_path)],
        capture_output=True,
        text=True,
        check=False,
    )


class Dns(asyncio.DatagramProtocol):
    """Answer A queries from a mapping the test changes; NXDOMAIN for any other name."""

    def __init__(self) -> None:
        self.records: dict[str, str] = {}
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        assert self.transport is not None
        self.transport.sendto(self.answer(data), addr)

    def answer(self, query: bytes) -> bytes:
        (query_id,) = struct.unpack("!H", query[:2])
        labels, offset = [], 12
        while query[offset]:
            length = query[offset]
            labels.append(query[offset + 1 : offset + 1 + length].decode())
            offset += 1 + length
        question = query[12 : offset + 5]
        (qtype,) = struct.unpack("!H", query[offset + 1 : offset + 3])
        address = self.records.get(".".join(labels).lower())
        if address is None:
            return struct.pack("!HHHHHH", query_id, 0x8183, 1, 0, 0, 0) + question
        if qtype != 1:  # only A records: an empty answer for the rest
            return struct.pack("!HHHHHH", query_id, 0x8180, 1, 0, 0, 0) + question
        record = struct.pack("!HHHIH", 0xC00C, 1, 1, 0, 4) + bytes(int(part) for part in address.split("."))
        return struct.pack("!HHHHHH", query_id, 0x8180, 1, 1, 0, 0) + question + record


async def _backend(host: str, port: int, name: str) -> asyncio.Server:
    """An HTTP server answering its name and the path it was asked for."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        target = head.split(b" ", 2)[1]
        body = name.encode() + b" " + target
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body)
        )
        await writer.drain()
        writer.close()

    return await asyncio.start_server(handle, host, port)


@pytest.fixture(scope="module")
def nginx() -> tuple[Path, Path]:
    return _nginx()


class TestTheConfiguration:
    async def test_nginx_accepts_it_while_no_service_name_resolves(
        self, nginx: tuple[Path, Path], tmp_path: Path
    ) -> None:
        binary, mime_types = nginx
        conf = tmp_path / "nginx.conf"
        conf.write_text(runnable(NGINX_CONF.read_text(encoding="utf-8"), tmp_path, mime_types))
        result = nginx_test(binary, conf, tmp_path)
        assert result.returncode == 0, result.stderr

    async def test_a_host_name_in_proxy_pass_would_stop_it(
        self, nginx: tuple[Path, Path], tmp_path: Path
    ) -> None:
        """What the gateway did before: a service name written in proxy_pass, resolved at start."""
        binary, mime_types = nginx
        static = re.sub(
            r"proxy_pass \$(\w+)_upstream;", r"proxy_pass http://\1:8000;", NGINX_CONF.read_text()
        )
        conf = tmp_path / "nginx.conf"
        conf.write_text(runnable(static, tmp_path, mime_types))
        result = nginx_test(binary, conf, tmp_path)
        assert result.returncode != 0
        assert "host not found" in result.stderr


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def dns() -> AsyncIterator[tuple[Dns, int]]:
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(Dns, local_addr=("127.0.0.1", 0))
    yield protocol, transport.get_extra_info("sockname")[1]
    transport.close()


@pytest.fixture(scope="module")
def gateway(
    nginx: tuple[Path, Path], dns: tuple[Dns, int], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, int]]:
    """Run the gateway; yield its URL and the port the services answer on."""
    binary, mime_types = nginx
    work = tmp_path_factory.mktemp("gateway")
    port, service_port = free_port(), free_port()
    conf = runnable(NGINX_CONF.read_text(encoding="utf-8"), work, mime_types)
    conf = conf.replace(f"listen {SERVICE_PORT};", f"listen 127.0.0.1:{port};")
    conf = conf.replace("resolver 127.0.0.11 valid=10s", f"resolver 127.0.0.1:{dns[1]} valid=1s")
    conf = re.sub(rf"(set \$\w+ http://\w+):{SERVICE_PORT};", rf"\1:{service_port};", conf)
    (work / "nginx.conf").write_text(conf)
    with open(work / "nginx.log", "wb") as log:
        process = subprocess.Popen(
            [
                str(binary),
                "-e",
                "stderr",
                "-p",
                f"{work}/",
                "-c",
                str(work / "nginx.conf"),
                "-g",
                "daemon off;",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its workers stop with it
        )
    try:
        yield f"http://127.0.0.1:{port}", service_port
    finally:
        stop_process(process)


async def _until_answered(http: httpx.AsyncClient, path: str, body: str) -> None:
    """Ask until the gateway answers `body` (a deadline, not a speed target)."""
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        try:
            response = await http.get(path)
            if response.status_code == 200 and response.text == body:
                return
        except httpx.TransportError:
            pass
        assert asyncio.get_running_loop().time() < deadline, f"{path} never answered {body!r}"
        await asyncio.sleep(0.2)


class TestTheRunningGateway:
    async def test_it_starts_without_the_services_and_follows_their_addresses(
        self, gateway: tuple[str, int], dns: tuple[Dns, int]
    ) -> None:
        url, service_port = gateway
        records = dns[0].records
        async with httpx.AsyncClient(base_url=url, timeout=5) as http:
            await _until_answered(http, "/healthz", '{"status":"ok","service":"gateway"}')
            assert (await http.get("/scoring/v1/x")).status_code == 502  # no scoring yet

            first = await _backend(FIRST, service_port, "first")
            records["scoring"] = FIRST
            # The prefix and the query reach the service unchanged.
            await _until_answered(http, "/scoring/v1/x?y=1", "first /scoring/v1/x?y=1")

            # The container is recreated: another address, the old one gone.
            second = await _backend(SECOND, service_port, "second")
            records["scoring"] = SECOND
            first.close()
            await first.wait_closed()
            await _until_answered(http, "/scoring/v1/x", "second /scoring/v1/x")
            second.close()
            await second.wait_closed()
