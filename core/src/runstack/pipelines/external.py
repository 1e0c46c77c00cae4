"""Step inputs from outside the pipeline: ZenML's `ExternalArtifact(value=...)`, and an artifact
version from the client, passed to a step in a pipeline function.

Either is an input artifact of the step (loaded as its value, recorded in its lineage, part of
its cache key by id). An external value is saved once per distinct content and artifact store,
so a run given the same value again reuses that artifact, and its step, from the cache.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from runstack.errors import ConfigError

if TYPE_CHECKING:
    from runstack.components import BaseArtifactStore
    from runstack.history.results import Artifact
    from runstack.runs import ArtifactRecord
    from runstack.store.base import Store


class ExternalArtifact:
    """A value given to a step from outside the pipeline: `trainer(data=ExternalArtifact(
    value=df))`; it is saved as an artifact named `external_<digest of its content>`."""

    def __init__(self, value: Any) -> None:
        if value is None:
            raise ConfigError("ExternalArtifact needs a value: ExternalArtifact(value=...)")
        self.value = value

    def __repr__(self) -> str:
        return f"<ExternalArtifact {type(self.value).__name__}>"

    @functools.cached_property
    def name(self) -> str:
        """The artifact name of its content: equal values share it (and so their versions)."""
        import hashlib

        import cloudpickle

        return f"external_{hashlib.sha256(cloudpickle.dumps(self.value)).hexdigest()[:16]}"


def input_artifact(
    given: ExternalArtifact | Artifact, store: Store, artifact_store: BaseArtifactStore
) -> ArtifactRecord:
    """The artifact a step reads for an input given from outside: the version passed, or the
    external value's artifact in this artifact store, saved the first time."""
    from runstack.history.artifacts import save_output, saved_uri

    if not isinstance(given, ExternalArtifact):
        if given.record.artifact_store_id != artifact_store.id:
            raise ConfigError(
                f"artifact {given.name!r} version {given.version} lies in another artifact "
                f"store than this run's {artifact_store.name!r}; pass it on a stack with that "
                "artifact store, or save its value again with save_artifact"
            )
        return given.record
    for record in store.artifacts.list(name=given.name):
        if record.artifact_store_id == artifact_store.id and not record.damaged:
            return record
    value = given.value
    saved = save_output(
        artifact_store,
        value,
        type(value),
        name=given.name,
        uri=saved_uri(),
        producer_step_run_id="",
    )
    return store.artifacts.create(saved)
