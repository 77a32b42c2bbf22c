"""Use case of an organisation opting out of (or back into) the benchmark's statistics."""

from __future__ import annotations

from services.benchmark.domain.members import Member, owned
from services.benchmark.service_layer.unit_of_work import BenchmarkUnitOfWork
from shared.auth import Principal
from shared.unit_of_work import transactional


@transactional
async def set_contribution(
    principal: Principal, organisation_id: str, contributing: bool, *, uow: BenchmarkUnitOfWork
) -> Member:
    """Record whether the organisation's diagnostics count; it still sees the benchmark either way."""
    principal.require("organisations:write")
    async with uow:
        member = owned(await uow.members.get(organisation_id), principal.account_id, organisation_id)
        member.set_contributing(contributing)
        await uow.members.save(member)
        await uow.commit()
    return member
