"""Layering rules: pure domains, and services that never import one another."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = sorted(p.name for p in (ROOT / "services").iterdir() if (p / "__init__.py").exists())
IO_LIBRARIES = {
    "pymongo",
    "bson",
    "motor",
    "faststream",
    "fastapi",
    "starlette",
    "apscheduler",
    "httpx",
    "aiokafka",
    "kafka",
    "uvicorn",
    "prometheus_client",
    "requests",
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _python_files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


class TestDomainPurity:
    @pytest.mark.parametrize("service", SERVICES)
    def test_domain_imports_no_io_library(self, service: str) -> None:
        offenders = {
            f"{path.relative_to(ROOT)}: {name}"
            for path in _python_files(ROOT / "services" / service / "domain")
            for name in _imports(path)
            if name.split(".")[0] in IO_LIBRARIES
        }
        assert not offenders

    def test_the_rule_sees_a_violation(self, tmp_path: Path) -> None:
        bad = tmp_path / "bad.py"
        bad.write_text("from pymongo import AsyncMongoClient\n")
        assert "pymongo" in _imports(bad)


class TestModelKernelPurity:
    def test_the_model_and_its_engine_import_only_numpy_pydantic_and_the_standard_library(self) -> None:
        allowed = {"numpy", "pydantic"} | set(sys.stdlib_module_names)
        offenders = {
            f"{path.relative_to(ROOT)}: {name}"
            for path in _python_files(ROOT / "shared" / "model")
            for name in _imports(path)
            if name.split(".")[0] not in allowed and not name.startswith("shared.model")
        }
        assert not offenders


class TestServiceIsolation:
    @pytest.mark.parametrize("service", SERVICES)
    def test_a_service_imports_no_other_service(self, service: str) -> None:
        offenders = {
            f"{path.relative_to(ROOT)}: {name}"
            for path in _python_files(ROOT / "services" / service)
            for name in _imports(path)
            if name.startswith("services.") and name.split(".")[1] != service
        }
        assert not offenders

    def test_shared_imports_no_service(self) -> None:
        offenders = {
            f"{path.relative_to(ROOT)}: {name}"
            for path in _python_files(ROOT / "shared")
            for name in _imports(path)
            if name.split(".")[0] in {"services", "dimm"}
        }
        assert not offenders

    def test_the_four_services_exist(self) -> None:
        assert SERVICES == ["assessment", "benchmark", "scoring", "watch"]
