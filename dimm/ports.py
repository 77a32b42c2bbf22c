"""The ports `dimm up` needs, all checked before anything starts.

A port another program holds would otherwise be found by the broker, the database or uvicorn one
after the other, with the first ones already running (and the demo then talking to the other
program). One sentence names the busy port, what it was for and the option that changes it.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Port:
    """A port `dimm up` listens on: for what, and which option chooses it."""

    what: str
    host: str
    port: int
    option: str


class PortError(RuntimeError):
    """A port `dimm up` needs is busy or given twice."""


def bind_error(host: str, port: int) -> OSError | None:
    """Return why a server could not listen on host:port now (None: it could), binding as uvicorn does."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            return exc
    return None


def check_ports(ports: Iterable[Port]) -> None:
    """Raise PortError naming the first port given twice or already in use; return if all are free."""
    seen: dict[int, Port] = {}
    for need in ports:
        if need.port in seen:
            first = seen[need.port]
            raise PortError(
                f"port {need.port} is given both for {first.what} ({first.option}) and for {need.what} "
                f"({need.option}): choose another one with {need.option}."
            )
        seen[need.port] = need
        error = bind_error(need.host, need.port)
        if error is None:
            continue
        if error.errno == errno.EADDRINUSE:
            raise PortError(
                f"port {need.port} for {need.what} is already in use on {need.host}: stop what listens "
                f"there or choose another port with {need.option}."
            )
        raise PortError(
            f"cannot listen on {need.host}:{need.port} for {need.what} ({error.strerror}): "
            f"choose another address or port with {need.option}."
        )
