"""ZenML's `save_artifact` and `load_artifact`: values kept as named, versioned artifacts.

Outside a step they use the active stack's artifact store; inside a running step, the run's,
and the step run is linked to what its code saved (as an output) and loaded (as an input), so
its lineage shows them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from runstack.components import StepContext
from runstack.components.step_context import running_step_context
from runstack.errors import AlreadyExistsError
from runstack.history.artifacts import version_taken
from runstack.names import check_name
from runstack.pipelines.artifact_config import (
    ArtifactType,
    checked_tags,
    checked_type,
    checked_version,
)
from runstack.stacks import new_id

if TYPE_CHECKING:
    from runstack.client import Client
    from runstack.components import BaseArtifactStore
    from runstack.history.results import Artifact
    from runstack.runs import ArtifactRecord


def save_artifact(
    data: Any,
    name: str,
    version: str | int | None = None,
    tags: Sequence[str] | None = None,
    artifact_type: ArtifactType | str | None = None,
) -> Artifact:
    """Save `data` as the next version of artifact `name` (or as `version`, which the name must
    not have yet): `save_artifact(model, "iris_model", tags=["sklearn"])`."""
    from runstack.client import Client

    check_name(name, "artifact")
    chosen = checked_version(version)
    client = Client()
    if chosen is not None and version_taken(client.store, name, chosen):
        raise AlreadyExistsError(
            f"artifact {name!r} has a version {chosen!r} already; give another version, or "
            "none for the next number"
        )
    context = running_step_context()
    record = _saved(
        data,
        name,
        chosen,
        checked_tags(tags),
        checked_type(artifact_type),
        context,
        client,
    )
    if context is None:
        record = client.store.artifacts.create(record)
    else:
        context.saved_artifacts.append(record)
    return client.artifacts.artifact(record)


def load_artifact(name_or_id: str, version: str | int | None = None) -> Any:
    """The value of a version of artifact `name_or_id` (its newest when `version` is None), or of
    the artifact with that id; inside a step, the step run is linked to it as an input."""
    from runstack.client import Client

    artifact = Client().get_artifact_version(name_or_id, version)
    value = artifact.load()
    context = running_step_context()
    if context is not None:
        context.loaded_artifacts.setdefault(artifact.name, artifact.id)
    return value


def _saved(
    data: Any,
    name: str,
    version: str | None,
    tags: tuple[str, ...],
    artifact_type: ArtifactType,
    context: StepContext | None,
    client: Client,
) -> ArtifactRecord:
    """Write `data` where it belongs: beside the running step's outputs (removed with its
    run), or in the active stack's artifact store (kept), and describe it."""
    from runstack.components import BaseArtifactStore
    from runstack.history.artifacts import output_uri, save_output, saved_uri

    if context is None:
        built = client.build_component(client.active_stack.artifact_store)
        assert isinstance(built, BaseArtifactStore)
        store: BaseArtifactStore = built
        uri, producer = saved_uri(), ""
    else:
        store = context.stack.artifact_store
        uri = output_uri(context.pipeline_name, context.run_id, context.step_name, new_id())
        producer = context.step_run_id
    return save_output(
        store,
        data,
        type(data),
        name=name,
        uri=uri,
        producer_step_run_id=producer,
        version=version or "",
        tags=tags,
        artifact_type=artifact_type.value,
    )
