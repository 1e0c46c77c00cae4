"""Removing the files of a deleted run: only artifacts it recorded, only inside run folders.

Records written before names were checked may hold a path that climbs out of its
run's folder (up to the store's root, or into another run's folder); such files
are left in place with a warning, never removed.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

from runstack.component_types import ComponentType
from runstack.errors import NotFoundError, RunstackError
from runstack.history.artifacts import recorded_run, run_folder

if TYPE_CHECKING:
    from runstack.components import BaseArtifactStore
    from runstack.history.artifact_stores import ArtifactStores
    from runstack.runs import ArtifactRecord, RunRecord, StepRunRecord
    from runstack.store.base import Store


def remove_run_files(
    artifact_stores: ArtifactStores,
    run: RunRecord,
    own_step_runs: set[str],
    orphans: list[ArtifactRecord],
) -> None:
    """Remove the files of `orphans`, the artifacts deleting `run` left unused.

    Those the run made must lie in its own folder; those it reused from the cache, in
    the folder of a run that no longer exists.
    """
    by_store: dict[str, list[ArtifactRecord]] = {}
    for artifact in orphans:
        by_store.setdefault(artifact.artifact_store_id, []).append(artifact)
    for store_id, artifacts in by_store.items():
        store = _open(artifact_stores, store_id, f"{len(artifacts)} artifact(s)")
        if store is None:
            continue
        for artifact in artifacts:
            made_here = artifact.producer_step_run_id in own_step_runs
            problem = _outside(artifact_stores.store, run, artifact, made_here) or _remove(
                store, artifact.uri
            )
            if problem:
                warnings.warn(
                    f"left the files of artifact {artifact.id} in place: {problem}", stacklevel=2
                )


def remove_run_logs(
    artifact_stores: ArtifactStores, run: RunRecord, step_runs: list[StepRunRecord]
) -> None:
    """Remove the logs of a deleted run's steps, each only if it lies in the run's folder."""
    uris = [step_run.log_uri for step_run in step_runs if step_run.log_uri]
    if not uris:
        return
    store = _open(artifact_stores, run.artifact_store_id, f"{len(uris)} step log(s)")
    if store is None:
        return
    for uri in uris:
        inside = recorded_run(uri) == (run.pipeline_name, run.id)
        problem = _remove(store, uri) if inside else "it is not inside the run's own folder"
        if problem:
            warnings.warn(f"left the step log {uri!r} in place: {problem}", stacklevel=2)


def _open(artifact_stores: ArtifactStores, store_id: str, what: str) -> BaseArtifactStore | None:
    """The artifact store, or None (with a warning saying why) when its files cannot be reached."""
    not_removed = f"the files of {what} were not removed"
    try:
        component = artifact_stores.store.components.get(ComponentType.ARTIFACT_STORE, store_id)
    except NotFoundError:
        warnings.warn(
            f"{not_removed}: the artifact store (id {store_id}) no longer exists", stacklevel=2
        )
        return None
    try:
        store = artifact_stores.get(component.id)
    except RunstackError as error:
        warnings.warn(f"{not_removed}: {error}", stacklevel=2)
        return None
    if not store.exists("."):
        warnings.warn(
            f"the folder of the artifact store {component.name!r} ({store.root}) is gone; "
            "no files were removed",
            stacklevel=2,
        )
        return None
    return store


def _remove(store: BaseArtifactStore, uri: str) -> str:
    """Remove an artifact's (or a log's) files; why they could not be ("" if they were, or were
    gone).

    The run's records are deleted already: one artifact that cannot be removed (a folder
    swapped for a link out of the store, a permission) must not keep the others."""
    try:
        if store.exists(uri):
            store.rm(uri, recursive=True)
    except (RunstackError, OSError) as error:
        return str(error)
    return ""


def _outside(records: Store, run: RunRecord, artifact: ArtifactRecord, made_here: bool) -> str:
    """Why an artifact's recorded path is not one this deletion may remove ("" if it is)."""
    own = (run.pipeline_name, run.id)
    found = recorded_run(artifact.uri)
    if found == own:
        return ""
    path = f"its recorded path {artifact.uri!r}"
    if found is None or made_here:
        return f"{path} is not inside the run's own folder {run_folder(*own)!r}"
    try:
        other = records.runs.get(found[1])
    except NotFoundError:
        return ""
    return f"{path} lies in the folder of run {other.name!r}, which still exists"
