"""Step caching: the cache key of a step run, reuse of an earlier run's outputs, and why not.

A key is made of parts (code, parameters, inputs, output materializers) kept with
each step run, so a later miss can name the part that changed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from runstack.errors import NotFoundError
from runstack.history.artifacts import materializer_for
from runstack.history.integrity import MISSING, output_problem

if TYPE_CHECKING:
    from runstack.components import BaseArtifactStore
    from runstack.pipelines.steps import Step
    from runstack.runs import ArtifactRecord, StepRunRecord
    from runstack.store.base import Store

# Which key part, when it differs from the previous run's, explains a miss.
_MISS_REASONS = (
    ("code", "code changed"),
    ("parameters", "parameter changed"),
    ("inputs", "input changed"),
    ("outputs", "output materializer changed"),
)


def digest(data: Any) -> str:
    """A stable hash of JSON-like data."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class CacheHit:
    """An earlier step run whose outputs a step reuses, the run they were first made in, and
    the metadata that step run has (a cached step run shows it too)."""

    origin_step_run_id: str
    origin_run_name: str
    outputs: dict[str, ArtifactRecord]
    metadata: dict[str, Any]


class StepCache:
    """The cache of one run: keys for its steps, lookups in its store and artifact store."""

    def __init__(self, store: Store, artifact_store: BaseArtifactStore, pipeline: str) -> None:
        self.store = store
        self.artifact_store = artifact_store
        self.pipeline = pipeline
        self._output_digests: dict[Step, str] = {}

    def key_parts(
        self, step: Step, parameters: dict[str, Any], inputs: dict[str, ArtifactRecord]
    ) -> dict[str, str]:
        """The hashes that make a step run's cache key."""
        return {
            "code": step.source_hash,
            "parameters": digest(parameters),
            "inputs": digest({key: artifact.id for key, artifact in sorted(inputs.items())}),
            "outputs": self._outputs_digest(step),
        }

    def _outputs_digest(self, step: Step) -> str:
        """The output names and materializers of a step (the same for all its uses in a run)."""
        found = self._output_digests.get(step)
        if found is None:
            found = digest(
                [[o.name, materializer_for(o.annotation, o.materializer)] for o in step.outputs]
            )
            self._output_digests[step] = found
        return found

    def lookup(self, step_run: StepRunRecord) -> CacheHit | str:
        """The earlier run to reuse, or why there is none."""
        hit = self.store.step_runs.find_cached(
            step_run.cache_key, self.artifact_store.id, self.pipeline, step_run.invocation
        )
        if hit is None:
            return self._why_not_cached(step_run)
        artifacts = self.store.artifacts.get_many(list(hit.outputs.values()))
        origin_id = hit.cached_from or hit.id
        try:
            origin_run_name = self.store.step_runs.run_name(origin_id)
        except NotFoundError:  # that run was deleted; the run that reused its outputs keeps them
            origin_id = hit.id
            origin_run_name = self.store.step_runs.run_name(origin_id)
        for artifact_id in hit.outputs.values():
            problem = output_problem(self.artifact_store, artifacts[artifact_id], origin_run_name)
            if problem:
                return problem
        return CacheHit(
            origin_step_run_id=origin_id,
            origin_run_name=origin_run_name,
            outputs={name: artifacts[i] for name, i in hit.outputs.items()},
            metadata=hit.metadata,
        )

    def _why_not_cached(self, step_run: StepRunRecord) -> str:
        previous = self.store.step_runs.previous(
            self.pipeline, step_run.invocation, self.artifact_store.id
        )
        if previous is None:
            return "no earlier run"
        for part, reason in _MISS_REASONS:
            if previous.cache_parts.get(part) != step_run.cache_parts[part]:
                return reason + _what_changed(part, previous, step_run)
        return MISSING


def _what_changed(part: str, previous: StepRunRecord, current: StepRunRecord) -> str:
    """`: rate 0.5 -> 0.1` for a changed parameter, `: values` for a changed input."""
    if part == "parameters":
        changes = [
            f"{name} {_shown(previous.parameters, name)} -> {_shown(current.parameters, name)}"
            for name in sorted(previous.parameters.keys() | current.parameters.keys())
            if previous.parameters.get(name, _ABSENT) != current.parameters.get(name, _ABSENT)
        ]
    elif part == "inputs":
        changes = [
            name
            for name in sorted(previous.inputs.keys() | current.inputs.keys())
            if previous.inputs.get(name) != current.inputs.get(name)
        ]
    else:
        return ""
    return f": {', '.join(changes)}" if changes else ""


_ABSENT = object()


def _shown(parameters: dict[str, Any], name: str) -> str:
    """A parameter's value as JSON, shortened; `(unset)` where the run did not have it."""
    if name not in parameters:
        return "(unset)"
    text = json.dumps(parameters[name], default=str)
    return text if len(text) <= 40 else text[:39] + "…"
