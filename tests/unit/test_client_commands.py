"""Client commands (`dimm doctor`, `dimm demo`) find the running platform from any directory, take
`--url` and `--token-file`, and never create a file where they are run."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dimm.cli import app
from dimm.client import ClientError, Target
from dimm.embedded import free_port
from dimm.state import RunningPlatform, announced, find_platform, running_platforms, state_dir

TOKEN = "operator-token-of-the-test-platform"


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A state directory of the test's own, no token in the environment, run from an empty folder."""
    monkeypatch.setenv("DIMM_STATE_DIR", str(tmp_path / "state"))
    for name in ("DIMM_ASSESSMENT_ADMIN_TOKEN", "DIMM_URL", "DIMM_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    yield elsewhere
    assert list(elsewhere.iterdir()) == [], "a client command created files where it was run"


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[RunningPlatform]:
    """A `dimm up` announced in the state directory (nobody answers on its port)."""
    data_dir = tmp_path / "platform-var"
    data_dir.mkdir()
    (data_dir / "admin-token").write_text(TOKEN + "\n")
    running = RunningPlatform(f"http://127.0.0.1:{free_port()}", data_dir, os.getpid())
    with announced(running):
        yield running


class TestTheStateDirectory:
    def test_a_running_platform_is_found_by_its_url_or_as_the_only_one(
        self, platform: RunningPlatform
    ) -> None:
        port = platform.url.rsplit(":", 1)[1]
        assert find_platform(None) == platform
        assert find_platform(f"http://localhost:{port}/") == platform
        assert find_platform("http://127.0.0.1:1") is None

    def test_it_is_forgotten_when_dimm_up_stops(self, tmp_path: Path) -> None:
        with announced(RunningPlatform("http://127.0.0.1:8123", tmp_path, os.getpid())):
            assert len(running_platforms()) == 1
        assert running_platforms() == []

    def test_the_file_of_a_killed_dimm_up_is_ignored(self, tmp_path: Path) -> None:
        gone = RunningPlatform("http://127.0.0.1:8123", tmp_path, pid=2**22 + 12345)
        with announced(gone):
            assert running_platforms() == []

    def test_it_follows_xdg_without_an_explicit_directory(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("DIMM_STATE_DIR")
        monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
        assert state_dir() == tmp_path / "xdg" / "dimm"


class TestTheOperatorToken:
    def test_the_running_platform_s_token_file_is_read(self, platform: RunningPlatform) -> None:
        assert Target.find(None).token() == TOKEN

    def test_an_option_wins_over_the_environment_and_the_platform(
        self, platform: RunningPlatform, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        given = tmp_path / "token"
        given.write_text("from-a-file\n")
        monkeypatch.setenv("DIMM_ASSESSMENT_ADMIN_TOKEN", "from-the-environment")
        target = Target.find(None)
        assert target.token(token_file=given) == "from-a-file"
        assert target.token() == "from-the-environment"

    def test_no_token_anywhere_is_an_error_never_a_new_token(self) -> None:
        with pytest.raises(ClientError, match="--token-file"):
            Target.find(None).token()


class TestTheDemoFolder:
    def test_it_is_the_platform_s_data_directory(self, platform: RunningPlatform) -> None:
        assert Target.find(None).data_dir() == platform.data_dir

    def test_without_a_platform_it_is_under_the_state_directory(self) -> None:
        assert Target.find("http://example.org:8000").data_dir() == state_dir() / "demo"


class TestDoctorAndDemo:
    @pytest.mark.parametrize("command", ["doctor", "demo"])
    def test_without_a_token_they_say_where_to_find_one(self, command: str) -> None:
        result = CliRunner().invoke(app, [command])
        assert result.exit_code == 2
        assert "--token-file" in result.output

    @pytest.mark.parametrize("command", ["doctor", "demo"])
    def test_they_talk_to_the_running_platform_with_its_token(
        self, command: str, platform: RunningPlatform
    ) -> None:
        result = CliRunner().invoke(app, [command])
        assert result.exit_code == 1
        # Nobody answers there: the message names the platform's URL, not the default one.
        assert platform.url in result.output
        assert "FAILED" in result.output

    def test_url_and_token_file_options_are_taken(self, tmp_path: Path) -> None:
        token_file = tmp_path / "token"
        token_file.write_text("t\n")
        url = f"http://127.0.0.1:{free_port()}"
        result = CliRunner().invoke(app, ["doctor", "--url", url, "--token-file", str(token_file)])
        assert result.exit_code == 1
        assert f"assessment does not answer at {url}" in result.output
