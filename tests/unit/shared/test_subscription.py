"""Typed subscriptions: a handler that does not match its event is a type error mypy reports."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from mypy import api as mypy_api

from shared.events.contracts.assessment import DiagnosticSubmitted
from shared.events.contracts.catalogue import ModelPublished
from shared.messaging.subscription import Subscription
from shared.unit_of_work import MemoryUnitOfWork

ROOT = Path(__file__).resolve().parents[3]

SNIPPET = """
    from shared.events.contracts.assessment import DiagnosticSubmitted
    from shared.events.contracts.catalogue import ModelPublished
    from shared.messaging.subscription import Subscription
    from shared.unit_of_work import MemoryUnitOfWork


    async def on_model(event: ModelPublished, uow: MemoryUnitOfWork) -> None:
        return None


    subscription = Subscription[MemoryUnitOfWork]("dimm.assessment.events")
    subscription.on(ModelPublished, on_model)  # matches
    subscription.on(DiagnosticSubmitted, on_model)  # MISMATCH
"""


async def _on_submitted(event: DiagnosticSubmitted, uow: MemoryUnitOfWork) -> None:
    return None


class TestRoutes:
    def test_each_event_type_has_one_handler(self) -> None:
        subscription = Subscription[MemoryUnitOfWork]("t").on(DiagnosticSubmitted, _on_submitted)
        assert subscription.route(DiagnosticSubmitted.event_type) is not None
        assert subscription.route(ModelPublished.event_type) is None
        with pytest.raises(ValueError, match="already"):
            subscription.on(DiagnosticSubmitted, _on_submitted)


class TestTyping:
    def test_mypy_reports_a_handler_that_does_not_match_its_event(self, tmp_path: Path) -> None:
        module = tmp_path / "wiring.py"
        module.write_text(textwrap.dedent(SNIPPET))
        out, _, status = mypy_api.run(
            ["--strict", "--no-error-summary", "--cache-dir", str(ROOT / ".mypy_cache"), str(module)]
        )
        errors = [line for line in out.splitlines() if ": error:" in line]
        lines = textwrap.dedent(SNIPPET).splitlines()
        mismatch = next(n for n, line in enumerate(lines, start=1) if line.endswith("# MISMATCH"))
        assert status == 1
        assert [int(line.split(":")[1]) for line in errors] == [mismatch]
