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


DRIVERS = {"pymongo", "bson", "motor", "aiokafka", "kafka", "faststream"}
COLLECTION_METHODS = {
    "find",
    "find_one",
    "insert_one",
    "insert_many",
    "update_one",
    "update_many",
    "replace_one",
    "delete_one",
    "delete_many",
    "aggregate",
    "bulk_write",
    "count_documents",
    "find_one_and_update",
    "find_one_and_delete",
    "find_one_and_replace",
    "distinct",
    "create_index",
    "drop_collection",
}
OUTSIDE_REPOSITORIES = ("domain", "service_layer", "entrypoints")
PURE_SHARED = ("aggregate.py", "unit_of_work.py", "errors.py", "probe.py", "replicas.py", "events", "model")


def _is_runtime(node: ast.expr) -> bool:
    return (isinstance(node, ast.Name) and node.id == "runtime") or (
        isinstance(node, ast.Attribute) and node.attr == "runtime"
    )


def _collection_access(path: Path) -> set[str]:
    """Name every place a file reads or writes a collection itself (not through a repository)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "db"
        ):
            found.add(f"{path.name}:{node.lineno}: .db[...]")
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == "db":
            found.add(f"{path.name}:{node.lineno}: db[...]")
        if isinstance(node, ast.Attribute) and node.attr in {"db", "client"} and _is_runtime(node.value):
            found.add(f"{path.name}:{node.lineno}: runtime.{node.attr}")
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in COLLECTION_METHODS
        ):
            found.add(f"{path.name}:{node.lineno}: .{node.func.attr}()")
    return found


def _layer_files(service: str) -> list[Path]:
    root = ROOT / "services" / service
    files = [p for layer in OUTSIDE_REPOSITORIES for p in _python_files(root / layer)]
    return files + [root / name for name in ("app.py", "bootstrap.py") if (root / name).exists()]


class TestPortsAndAdapters:
    @pytest.mark.parametrize("service", SERVICES)
    def test_the_service_layer_depends_on_ports_never_on_adapters(self, service: str) -> None:
        offenders = {
            f"{path.relative_to(ROOT)}: {name}"
            for path in _python_files(ROOT / "services" / service / "service_layer")
            for name in _imports(path)
            if name.startswith(f"services.{service}.adapters") or name.split(".")[0] in DRIVERS
        }
        assert not offenders

    @pytest.mark.parametrize("service", SERVICES)
    def test_entrypoints_and_domain_use_no_database_or_broker_driver(self, service: str) -> None:
        root = ROOT / "services" / service
        offenders = {
            f"{path.relative_to(ROOT)}: {name}"
            for layer in ("domain", "entrypoints")
            for path in _python_files(root / layer)
            for name in _imports(path)
            if name.split(".")[0] in DRIVERS
        }
        assert not offenders

    @pytest.mark.parametrize("service", SERVICES)
    def test_no_collection_is_read_or_written_outside_a_repository(self, service: str) -> None:
        offenders = {f"{service}/{hit}" for path in _layer_files(service) for hit in _collection_access(path)}
        assert not offenders

    def test_the_shared_ports_and_rules_are_pure(self) -> None:
        files = [
            p
            for name in PURE_SHARED
            for p in (
                [ROOT / "shared" / name] if name.endswith(".py") else _python_files(ROOT / "shared" / name)
            )
        ]
        offenders = {
            f"{path.relative_to(ROOT)}: {name}"
            for path in files
            for name in _imports(path)
            if name.split(".")[0] in IO_LIBRARIES
        }
        assert not offenders
        assert not {hit for path in files for hit in _collection_access(path)}

    def test_the_rules_see_a_violation(self, tmp_path: Path) -> None:
        bad = tmp_path / "use_case.py"
        bad.write_text(
            "async def f(uow, runtime):\n"
            "    await runtime.db['answers'].update_one({}, {})\n"
            "    return uow.db['revoked_keys']\n"
        )
        hits = _collection_access(bad)
        assert {h.split(": ")[1] for h in hits} == {".db[...]", "runtime.db", ".update_one()"}
