"""Where a running `dimm up` says where it is, so client commands find it from any directory.

`dimm up` writes one small JSON file per running platform under the state directory
(`$DIMM_STATE_DIR`, else `$XDG_STATE_HOME/dimm`, else `~/.local/state/dimm`): its URL, its data
directory (absolute), its database and its process id; it removes the file when it stops.
`dimm doctor`, `dimm demo` and `dimm replay` read it: the platform at the `--url` given (or the
only one running) gives them its operator token file and data directory. They never create a file
in the directory they are run from; what the demo keeps goes to the platform's data directory, or
to the state directory when no platform of this machine is known.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

STATE_DIR_ENV = "DIMM_STATE_DIR"
DEFAULT_URL = "http://127.0.0.1:8000"
TOKEN_FILE = "admin-token"
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "0.0.0.0", "::", ""})


def state_dir() -> Path:
    """Return the directory of the running platforms' files (XDG Base Directory's state home)."""
    if os.environ.get(STATE_DIR_ENV):
        return Path(os.environ[STATE_DIR_ENV])
    xdg = os.environ.get("XDG_STATE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "state") / "dimm"


def client_url(host: str, port: int) -> str:
    """Return the URL a client on this machine reaches a server at (`0.0.0.0` is no address to call)."""
    reachable = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
    return f"http://{f'[{reachable}]' if ':' in reachable else reachable}:{port}"


@dataclass(frozen=True)
class RunningPlatform:
    """A platform `dimm up` runs on this machine."""

    url: str
    data_dir: Path
    pid: int
    mongodb_url: str | None = None

    @property
    def token_file(self) -> Path:
        """Return the file holding its operator token."""
        return self.data_dir / TOKEN_FILE

    def serves(self, url: str) -> bool:
        """Tell whether a client's URL reaches this platform (loopback names are one place)."""
        mine, theirs = urlsplit(self.url), urlsplit(url.rstrip("/"))
        same_host = mine.hostname == theirs.hostname or {mine.hostname, theirs.hostname} <= _LOOPBACK
        return same_host and mine.port == (theirs.port or (443 if theirs.scheme == "https" else 80))


def _path_of(url: str) -> Path:
    parts = urlsplit(url)
    return state_dir() / "platforms" / f"{parts.hostname}-{parts.port}.json"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def announced(platform: RunningPlatform) -> Iterator[Path]:
    """Record a running platform for the time of a block (its file is removed after, if still ours)."""
    path = _path_of(platform.url)
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "url": platform.url,
        "data_dir": str(platform.data_dir.resolve()),
        "pid": platform.pid,
        "mongodb_url": platform.mongodb_url,
    }
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    try:
        yield path
    finally:
        current = _read(path)
        if current is not None and current.pid == platform.pid:
            path.unlink(missing_ok=True)


def _read(path: Path) -> RunningPlatform | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return RunningPlatform(
            url=str(data["url"]),
            data_dir=Path(data["data_dir"]),
            pid=int(data["pid"]),
            mongodb_url=data.get("mongodb_url"),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def running_platforms() -> list[RunningPlatform]:
    """List the platforms whose `dimm up` is still alive (files left by a killed one are ignored)."""
    found = (_read(path) for path in sorted((state_dir() / "platforms").glob("*.json")))
    return [platform for platform in found if platform is not None and _alive(platform.pid)]


def find_platform(url: str | None) -> RunningPlatform | None:
    """Return the running platform at `url`, or the only one running when no URL is given."""
    platforms = running_platforms()
    if url is not None:
        return next((platform for platform in platforms if platform.serves(url)), None)
    return platforms[0] if len(platforms) == 1 else None
