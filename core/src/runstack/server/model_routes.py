"""The API of models: `/api/v1/models` and `/api/v1/model-versions`."""

from __future__ import annotations

from fastapi import APIRouter

from runstack.models import ModelLink, ModelRecord, ModelSpec, ModelVersionRecord
from runstack.server.access import Caller
from runstack.server.answers import ERROR_ANSWERS
from runstack.store.wire import API_PREFIX, StageChange

router = APIRouter(prefix=API_PREFIX, responses=ERROR_ANSWERS, tags=["models"])


@router.post("/model-versions")
def prepare_model_version(store: Caller, spec: ModelSpec) -> ModelVersionRecord:
    """The version a run runs under, made when the spec asks for a new one."""
    return store.models.prepare_version(spec)


@router.get("/models")
def list_models(store: Caller) -> list[ModelRecord]:
    return store.models.list()


@router.get("/models/{name_or_id}")
def get_model(store: Caller, name_or_id: str) -> ModelRecord:
    return store.models.get(name_or_id)


@router.get("/models/{name_or_id}/versions")
def list_model_versions(store: Caller, name_or_id: str) -> list[ModelVersionRecord]:
    return store.models.versions(name_or_id)


@router.get("/models/{name_or_id}/version")
def get_model_version(
    store: Caller, name_or_id: str, version: str | None = None
) -> ModelVersionRecord:
    """One version by id, name, number or stage; none given: the newest."""
    return store.models.get_version(name_or_id, version)


@router.put("/model-versions/{version_id}/stage")
def set_model_stage(store: Caller, version_id: str, body: StageChange) -> ModelVersionRecord:
    return store.models.set_stage(version_id, body.stage, body.force)


@router.get("/model-versions/{version_id}/links")
def model_version_links(store: Caller, version_id: str) -> list[ModelLink]:
    return store.models.links(version_id)
