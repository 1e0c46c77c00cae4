"""Whether a stored output is still what was written: checked before the cache reuses it.

A cache hit costs one stat per recorded file (sizes, never contents); content
damaged without a change of size shows when a materializer fails to load it,
and the artifact is then marked damaged so the cache never serves it again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from runstack.errors import NotFoundError

if TYPE_CHECKING:
    from runstack.components import BaseArtifactStore
    from runstack.runs import ArtifactRecord
    from runstack.store.base import Store

MISSING = "cached artifact missing"
DAMAGED = "cached output damaged"


def output_problem(store: BaseArtifactStore, artifact: ArtifactRecord, run_name: str) -> str:
    """Why an output of run `run_name` cannot be reused ("" when it can), for the step's reason."""
    if artifact.damaged:
        return f"{DAMAGED}: {artifact.damaged}"
    if artifact.files is None:  # saved before runstack kept the files: existence is all we know
        return "" if store.exists(artifact.uri) else MISSING
    for name, written in artifact.files.items():
        try:
            found = store.size(f"{artifact.uri}/{name}")
        except FileNotFoundError:
            if not store.exists(artifact.uri):
                return MISSING
            return f"{DAMAGED}: file {name!r} of {artifact.name} (run {run_name}) is missing"
        if found != written:
            return (
                f"{DAMAGED}: file {name!r} of {artifact.name} (run {run_name}) has {found} "
                f"bytes, {written} were written"
            )
    return ""


def record_unreadable(store: Store, artifact_id: str, error: str) -> str:
    """Mark an artifact its materializer could not load as damaged; the error, naming its maker."""
    artifact = store.artifacts.get_many([artifact_id])[artifact_id]
    try:
        producer = store.step_runs.get(artifact.producer_step_run_id)
        made_by = f"step {producer.invocation!r} of run {store.step_runs.run_name(producer.id)!r}"
    except NotFoundError:
        made_by = "a run since deleted"  # other runs used it, so the artifact was kept
    store.artifacts.mark_damaged(artifact_id, error.strip())
    return (
        f"{error.strip()}; it was made by {made_by} and is now marked damaged, "
        "so the cache will not reuse it: the next run makes it again"
    )
