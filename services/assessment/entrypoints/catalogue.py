"""HTTP routes of the model catalogue."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Response, status

from services.assessment.domain.catalogue import latest
from services.assessment.entrypoints.catalogue_schemas import (
    DiffView,
    IndicatorView,
    ModelList,
    ModelListing,
    ModelVersionView,
    Named,
    ProfileView,
    VersionView,
    profile_view,
)
from services.assessment.entrypoints.dependencies import Models, UoW, require_operator
from services.assessment.service_layer import catalogue as cases
from shared.errors import InvalidInput
from shared.http import problem_responses

router = APIRouter(prefix="/v1/models", tags=["model catalogue"])

_PROBLEM = problem_responses(401, 404, 409, 422)
Version = Annotated[str, Path(description="A semantic version, or `latest`.", examples=["2.0.0", "latest"])]
ModelId = Annotated[str, Path(description="The model's id.", examples=["dimm"])]
Code = Annotated[str, Path(description="An indicator or profile code.", examples=["SP1", "pme-10-priorites"])]


def _listing(model_id: str, versions: list[Any]) -> ModelListing:
    newest = latest(versions)
    return ModelListing(
        model_id=model_id,
        latest=newest.version if newest else "",
        versions=[VersionView.of(v) for v in versions],
    )


@router.get("", response_model=ModelList, operation_id="listModels")
async def list_models(uow: UoW) -> ModelList:
    """List the models of the catalogue and their versions."""
    grouped = await cases.list_versions(None, uow=uow)
    return ModelList(models=[_listing(model_id, versions) for model_id, versions in grouped.items()])


@router.get("/{model_id}", response_model=ModelListing, responses=_PROBLEM, operation_id="listModelVersions")
async def get_model_versions(model_id: ModelId, uow: UoW) -> ModelListing:
    """List the versions of one model."""
    grouped = await cases.list_versions(model_id, uow=uow)
    return _listing(model_id, grouped[model_id])


@router.get(
    "/{model_id}/versions/{version}",
    response_model=ModelVersionView,
    responses=_PROBLEM,
    operation_id="getModelVersion",
)
async def get_version(model_id: ModelId, version: Version, uow: UoW, models: Models) -> ModelVersionView:
    """Return a full version: levers, groupements, indicators, levels and criteria."""
    summary, model = await cases.get_model(model_id, version, uow=uow, cache=models)
    return ModelVersionView(version=VersionView.of(summary), model=model)


@router.get(
    "/{model_id}/versions/{version}/indicators/{code}",
    response_model=IndicatorView,
    responses=_PROBLEM,
    operation_id="getIndicator",
)
async def get_indicator(
    model_id: ModelId, version: Version, code: Code, uow: UoW, models: Models
) -> IndicatorView:
    """Return one indicator with its lever and groupement."""
    model, place = await cases.get_indicator(model_id, version, code, uow=uow, cache=models)
    lever = next(lv for lv in model.levers if lv.code == place.lever)
    groupement = next(g for g in lever.groupements if g.code == place.groupement)
    return IndicatorView(
        model_id=model.model_id,
        version=model.version,
        lever=Named(code=lever.code, name=lever.name),
        groupement=Named(code=groupement.code, name=groupement.name),
        indicator=place.indicator,
    )


@router.get(
    "/{model_id}/versions/{version}/profiles/{code}",
    response_model=ProfileView,
    responses=_PROBLEM,
    operation_id="getProfile",
)
async def get_profile(
    model_id: ModelId, version: Version, code: Code, uow: UoW, models: Models
) -> ProfileView:
    """Return a profile (a named subset of indicators, e.g. the SME quick diagnostic)."""
    model, profile = await cases.get_profile(model_id, version, code, uow=uow, cache=models)
    return profile_view(model, profile)


@router.get("/{model_id}/diff", response_model=DiffView, responses=_PROBLEM, operation_id="diffModelVersions")
async def diff(
    model_id: ModelId,
    uow: UoW,
    models: Models,
    from_version: Annotated[str, Query(alias="from", description="The older version.")],
    to_version: Annotated[str, Query(alias="to", description="The newer version.")] = cases.LATEST,
) -> DiffView:
    """List what changed between two versions of a model."""
    result = await cases.diff_versions(model_id, from_version, to_version, uow=uow, cache=models)
    return DiffView.of(result)


@router.put(
    "/{model_id}/versions/{version}",
    response_model=VersionView,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": VersionView, "description": "Identical content was already published"},
        **_PROBLEM,
        **problem_responses(403),
    },
    dependencies=[Depends(require_operator)],
    operation_id="publishModelVersion",
)
async def publish(
    model_id: str,
    version: str,
    document: Annotated[
        dict[str, Any], Body(description="The model document (see GET …/versions/{version}).")
    ],
    response: Response,
    uow: UoW,
    models: Models,
) -> VersionView:
    """Publish a version (operators): 201 new, 200 identical, 409 different content, 422 invalid."""
    if document.get("model_id") != model_id or document.get("version") != version:
        raise InvalidInput(
            "The document's model_id and version must match the URL.",
            errors=[
                {"path": "model_id", "message": f"expected {model_id!r}"},
                {"path": "version", "message": f"expected {version!r}"},
            ],
        )
    result = await cases.publish_model(document, uow=uow, cache=models)
    if not result.created:
        response.status_code = status.HTTP_200_OK
    return VersionView.of(result.version)
