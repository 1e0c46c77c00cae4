"""Moving step outputs in and out of an artifact store through their materializers."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from runstack.components import BaseArtifactStore
from runstack.errors import NotFoundError, RunstackError
from runstack.installed import installed
from runstack.materializers.base import Materializer, type_name
from runstack.names import is_uuid, name_problem
from runstack.runs import ArtifactRecord
from runstack.stacks import new_id, now

if TYPE_CHECKING:
    from runstack.store.base import Store


class UnreadableArtifactError(RunstackError):
    """An artifact's files are there but its materializer cannot load them (damaged content)."""

    def __init__(self, message: str, artifact_id: str) -> None:
        super().__init__(message)
        self.artifact_id = artifact_id


def output_uri(pipeline: str, run_id: str, invocation: str, output: str) -> str:
    """Where an output lives in the store: `<pipeline>/<run id>/<step>/<output>/`."""
    return f"{pipeline}/{run_id}/{invocation}/{output}"


def saved_uri() -> str:
    """Where a value saved outside any step lives (`save_artifact`, an external input): a
    folder of its own under `saved/`, which deleting runs never removes."""
    return f"saved/{new_id()}"


def run_folder(pipeline: str, run_id: str) -> str:
    """The folder that holds every output of one run: `<pipeline>/<run id>/`."""
    return f"{pipeline}/{run_id}/"


def recorded_run(uri: str) -> tuple[str, str] | None:
    """The (pipeline, run id) whose folder a recorded output path lies in, or None when
    the path is not one `output_uri` makes: records written before names were checked
    may hold a step or output name that climbs out of the run's folder."""
    parts = uri.split("/")
    if len(parts) != 4 or any(name_problem(part) for part in parts) or not is_uuid(parts[1]):
        return None
    return parts[0], parts[1]


def materializer_for(annotation: Any, chosen: type[Materializer] | None = None) -> str:
    """The materializer an output saves with, for the cache key: the one chosen for it, else
    the one its annotation selects (`auto` when unannotated)."""
    if chosen is not None:
        return installed().materializers.recorded_name(chosen)
    if not isinstance(annotation, type):
        return "auto"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return installed().materializers.select(annotation, None).name


def version_taken(store: Store, name: str, version: str) -> bool:
    """Whether artifact `name` has `version` already: asked before any file is written, since
    the store refuses a taken version only when the record is added, after the writing."""
    try:
        store.artifacts.get_version(name, version)
    except NotFoundError:
        return False
    return True


def save_output(
    store: BaseArtifactStore,
    value: Any,
    annotation: Any,
    *,
    name: str,
    uri: str,
    producer_step_run_id: str,
    version: str = "",
    tags: tuple[str, ...] = (),
    artifact_type: str = "DataArtifact",
    chosen: type[Materializer] | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> ArtifactRecord:
    """Write one value with the materializer chosen for it, else the one its type selects, and
    describe what was written (with no `version`, the store gives it the next number of its
    name), with the `metadata` logged for it."""
    registry = installed().materializers
    materializer = registry.select(annotation, value) if chosen is None else chosen()
    materializer.save(value, store, uri)
    files = store.file_sizes(uri)
    return ArtifactRecord(
        id=new_id(),
        name=name,
        version=version,
        uri=uri,
        type_name=type_name(type(value)),
        materializer=registry.recorded_name(type(materializer)),
        size=sum(files.values()),
        artifact_store_id=store.id,
        producer_step_run_id=producer_step_run_id,
        created=now(),
        files=files,
        tags=tags,
        artifact_type=artifact_type,
        metadata=dict(metadata or {}),
    )


def load_artifact(store: BaseArtifactStore, artifact: ArtifactRecord) -> Any:
    """Read an artifact back as the type it was saved as; a vanished file is a clear error."""
    if not store.exists(artifact.uri):
        raise NotFoundError(
            f"artifact {artifact.name} (version {artifact.version}, id {artifact.id}) is missing "
            f"from the artifact store: {store.path(artifact.uri)} no longer exists"
        )
    materializer = installed().materializers.get(artifact.materializer)
    try:
        return materializer.load(store, artifact.uri, artifact.type_name)
    except Exception as error:
        raise UnreadableArtifactError(
            f"artifact {artifact.name} (version {artifact.version}, id {artifact.id}) cannot be "
            f"loaded by materializer {artifact.materializer!r}: {type(error).__name__}: {error}",
            artifact.id,
        ) from error
