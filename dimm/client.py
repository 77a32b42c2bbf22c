"""What a client command (`dimm doctor`, `dimm demo`) needs: the URL, the operator token, a folder.

Each comes from an option first, then the environment, then the running `dimm up` the state
directory names (dimm/state.py). Nothing here creates a file: a missing token is an error that
says where to find one, never a new token that no platform knows.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from dimm.state import DEFAULT_URL, RunningPlatform, find_platform, state_dir

TOKEN_ENV = "DIMM_ASSESSMENT_ADMIN_TOKEN"
URL_ENV = "DIMM_URL"
TOKEN_FILE_ENV = "DIMM_TOKEN_FILE"


class ClientError(RuntimeError):
    """A client command cannot tell which platform to talk to, or with which token."""


@dataclass(frozen=True)
class Target:
    """The platform a client command talks to, and the running `dimm up` behind it if known."""

    url: str
    platform: RunningPlatform | None

    @classmethod
    def find(cls, url: str | None) -> Target:
        """Take the URL given, else the running platform's, else the default one."""
        platform = find_platform(url)
        chosen = url or (platform.url if platform is not None else DEFAULT_URL)
        return cls(url=chosen.rstrip("/"), platform=platform)

    def token(self, *, token: str | None = None, token_file: Path | None = None) -> str:
        """Return the operator token: given, in a given file, in the environment, or the platform's."""
        if token:
            return token
        if token_file is not None:
            return _read_token(token_file)
        if os.environ.get(TOKEN_ENV):
            return os.environ[TOKEN_ENV]
        if self.platform is not None and self.platform.token_file.is_file():
            return _read_token(self.platform.token_file)
        raise ClientError(
            f"no operator token for {self.url}: pass --token-file with the admin-token file of the "
            f"data directory of its `dimm up`, or set {TOKEN_ENV}"
        )

    def data_dir(self, given: Path | None = None) -> Path:
        """Return where the demo keeps what it remembers: given, the platform's, else the state directory."""
        if given is not None:
            return given
        if self.platform is not None:
            return self.platform.data_dir
        return state_dir() / "demo"


def _read_token(path: Path) -> str:
    try:
        token = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ClientError(f"cannot read the operator token file {path}: {exc.strerror}") from exc
    if not token:
        raise ClientError(f"the operator token file {path} is empty")
    return token
