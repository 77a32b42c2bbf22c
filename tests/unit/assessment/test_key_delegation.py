"""A key can only grant the scopes its creator holds; the operator may grant any."""

from __future__ import annotations

import pytest

from services.assessment.adapters.memory import MemoryAssessmentUnitOfWork
from services.assessment.service_layer import accounts
from shared.auth import SCOPES
from shared.errors import Forbidden

pytestmark = pytest.mark.asyncio

MANAGER = frozenset({"keys:manage"})


async def _account(uow: MemoryAssessmentUnitOfWork) -> str:
    return (await accounts.create_account("Cabinet", "free", uow=uow)).account_id


class TestKeyDelegation:
    async def test_a_scope_the_creator_lacks_is_refused_naming_it_and_nothing_is_stored(
        self, uow: MemoryAssessmentUnitOfWork
    ) -> None:
        account = await _account(uow)
        with pytest.raises(Forbidden) as refused:
            await accounts.create_api_key(
                account, "escalate", ["keys:manage", "organisations:write"], holder=MANAGER, uow=uow
            )
        assert "organisations:write" in refused.value.detail
        assert refused.value.errors == [{"path": "scopes", "message": "not held: ['organisations:write']"}]
        assert await uow.accounts.keys(account) == []

    async def test_asking_for_no_scope_gives_the_creators_scopes_not_every_scope(
        self, uow: MemoryAssessmentUnitOfWork
    ) -> None:
        account = await _account(uow)
        issued = await accounts.create_api_key(account, "default", None, holder=MANAGER, uow=uow)
        assert issued.key.scopes == ("keys:manage",)

    async def test_a_scope_the_creator_holds_is_granted(self, uow: MemoryAssessmentUnitOfWork) -> None:
        account = await _account(uow)
        holder = frozenset({"keys:manage", "diagnostics:read"})
        issued = await accounts.create_api_key(
            account, "reader", ["diagnostics:read"], holder=holder, uow=uow
        )
        assert issued.key.scopes == ("diagnostics:read",)

    async def test_the_operator_grants_any_scope(self, uow: MemoryAssessmentUnitOfWork) -> None:
        account = await _account(uow)
        issued = await accounts.create_api_key(account, "first", None, uow=uow)
        assert issued.key.scopes == tuple(sorted(SCOPES))
