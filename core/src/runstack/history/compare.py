"""Two runs side by side: parameters, each step's status and duration, and outputs that differ.

Outputs are compared by content: two artifacts with different ids may hold the same
bytes (a step that ran again and made the same model), which is what a person
comparing runs wants to know.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from runstack.history.results import Artifact, PipelineRun, StepRun

_CHUNK = 1 << 20


@dataclass(frozen=True)
class ParameterDifference:
    name: str
    a: Any
    b: Any
    in_a: bool
    in_b: bool

    @property
    def differs(self) -> bool:
        return (self.in_a, self.a) != (self.in_b, self.b)


@dataclass(frozen=True)
class StepComparison:
    """One step in both runs (`None` where a run has no such step) and its outputs' verdicts."""

    name: str
    a: StepRun | None
    b: StepRun | None
    outputs: dict[str, str]

    @property
    def differs(self) -> bool:
        return any(verdict != "same" for verdict in self.outputs.values())


@dataclass(frozen=True)
class RunComparison:
    a: PipelineRun
    b: PipelineRun
    parameters: list[ParameterDifference]
    steps: list[StepComparison]


def compare_runs(a: PipelineRun, b: PipelineRun) -> RunComparison:
    """Compare run `a` with run `b`, steps in `a`'s order then those only `b` has."""
    names = sorted(a.record.parameters.keys() | b.record.parameters.keys())
    parameters = [
        ParameterDifference(
            name,
            a.record.parameters.get(name),
            b.record.parameters.get(name),
            name in a.record.parameters,
            name in b.record.parameters,
        )
        for name in names
    ]
    steps = [*a.steps, *(name for name in b.steps if name not in a.steps)]
    return RunComparison(
        a,
        b,
        parameters,
        [_compare_step(name, a.steps.get(name), b.steps.get(name)) for name in steps],
    )


def _compare_step(name: str, a: StepRun | None, b: StepRun | None) -> StepComparison:
    a_outputs = a.outputs if a else {}
    b_outputs = b.outputs if b else {}
    verdicts = {}
    for output in [*a_outputs, *(o for o in b_outputs if o not in a_outputs)]:
        if output not in b_outputs:
            verdicts[output] = "only in A"
        elif output not in a_outputs:
            verdicts[output] = "only in B"
        else:
            same = _same_content(a_outputs[output], b_outputs[output])
            verdicts[output] = "same" if same else "different"
    return StepComparison(name, a, b, verdicts)


def _same_content(a: Artifact, b: Artifact) -> bool:
    if a.id == b.id:
        return True
    if a.record.materializer != b.record.materializer or a.record.size != b.record.size:
        return False
    return content_digest(a) == content_digest(b)


def content_digest(artifact: Artifact) -> str:
    """SHA-256 over an artifact's files (names and bytes), read from its artifact store."""
    store = artifact.artifact_store
    names = (
        sorted(artifact.record.files)
        if artifact.record.files is not None
        else sorted(store.file_sizes(artifact.uri))
    )
    digest = hashlib.sha256()
    for name in names:
        digest.update(name.encode() + b"\0")
        with store.open(f"{artifact.uri}/{name}") as stream:
            while chunk := stream.read(_CHUNK):
                digest.update(chunk)
    return digest.hexdigest()
