"""Use cases of assessment on in-memory fakes: a unit of work with the shipped editions published."""

from __future__ import annotations

import pytest
import pytest_asyncio

from services.assessment.adapters.memory import MemoryAssessmentUnitOfWork
from services.assessment.service_layer.catalogue import ModelCache, publish_model
from shared.model.editions import shipped_editions


@pytest.fixture
def models() -> ModelCache:
    return ModelCache()


@pytest_asyncio.fixture
async def uow(models: ModelCache) -> MemoryAssessmentUnitOfWork:
    unit = MemoryAssessmentUnitOfWork()
    for model in shipped_editions():
        await publish_model(model.model_dump(mode="json"), uow=unit, cache=models)
    unit.events.clear()
    return unit
