"""`client.runs` and `client.artifacts`: what ran, on which stack, making what."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from runstack.errors import ConfigError

if TYPE_CHECKING:
    from runstack.history.artifact_stores import ArtifactStores
    from runstack.history.results import Artifact, PipelineRun
    from runstack.runs import ArtifactRecord, PipelineSummary, RunRecord, RunStatus


class RunQueries:
    """Runs and the pipelines they ran: `client.runs.list()`, `.get(name)`, `.delete(name)`.

    `stack_id` turns a stack's name or id into its id, so filters accept either.
    """

    def __init__(self, artifact_stores: ArtifactStores, stack_id: Callable[[str], str]) -> None:
        self._artifact_stores = artifact_stores
        self._store = artifact_stores.store
        self._stack_id = stack_id

    def get(self, name_or_id: str) -> PipelineRun:
        """A run with its steps and their artifacts, by run name or id."""
        from runstack.history.results import PipelineRun

        return PipelineRun.load(self._artifact_stores, name_or_id)

    def list(
        self,
        *,
        pipeline: str | None = None,
        stack: str | None = None,
        status: str | RunStatus | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> builtins.list[RunRecord]:
        """Runs, newest first; filter by pipeline name, stack (name or id) and status, and page
        through them with `limit` and `offset` (how many of the newest to skip)."""
        if offset < 0:
            raise ConfigError(f"offset must be 0 or more, not {offset}")
        stack_id = None if stack is None else self._stack_id(stack)
        return self._store.runs.list(
            pipeline=pipeline,
            stack_id=stack_id,
            status=_status(status),
            limit=limit,
            offset=offset,
        )

    def count(
        self,
        *,
        pipeline: str | None = None,
        stack: str | None = None,
        status: str | RunStatus | None = None,
    ) -> int:
        """How many runs `list` would return without a limit."""
        stack_id = None if stack is None else self._stack_id(stack)
        return self._store.runs.count(pipeline=pipeline, stack_id=stack_id, status=_status(status))

    def delete(self, name_or_id: str, *, force: bool = False) -> RunRecord:
        """Delete a run's records, and the files of artifacts no other run uses.

        A run still marked running is deleted only with `force`. Files are removed
        only inside run folders; what is left in place, and why, is warned about.
        """
        from runstack.history.run_files import remove_run_files, remove_run_logs
        from runstack.runs import RunStatus

        run = self._store.runs.get(name_or_id)
        if run.status is RunStatus.RUNNING and not force:
            raise ConfigError(
                f"run {run.name!r} is still running; wait for it to finish, or pass --force "
                "to delete it anyway"
            )
        step_runs = self._store.step_runs.list(run.id)
        orphans = self._store.runs.delete(run.id)
        remove_run_files(self._artifact_stores, run, {s.id for s in step_runs}, orphans)
        remove_run_logs(self._artifact_stores, run, step_runs)
        return run

    def pipelines(self) -> builtins.list[PipelineSummary]:
        """Every pipeline that has run, with its run count and latest run."""
        return self._store.runs.pipelines()


class ArtifactQueries:
    """Step outputs and their lineage: `client.artifacts.get(id).load()`."""

    def __init__(self, artifact_stores: ArtifactStores) -> None:
        self._artifact_stores = artifact_stores
        self._store = artifact_stores.store

    def list(
        self,
        limit: int | None = None,
        *,
        run: str | None = None,
        pipeline: str | None = None,
        step: str | None = None,
        name: str | None = None,
    ) -> builtins.list[ArtifactRecord]:
        """Artifacts, newest first: all, the versions of one name, or the outputs of one run,
        pipeline or step (by the step that made them, or, in a run, that output them).

        A run's outputs include those its cached steps reused from earlier runs.
        """
        if run is None:
            return self._store.artifacts.list(limit, name=name, pipeline=pipeline, step=step)
        record = self._store.runs.get(run)
        ids = {
            artifact_id
            for s in self._store.step_runs.list(record.id)
            if pipeline in (None, record.pipeline_name) and step in (None, s.invocation)
            for artifact_id in s.outputs.values()
        }
        found = sorted(
            self._store.artifacts.get_many(sorted(ids)).values(),
            key=lambda artifact: artifact.created,
            reverse=True,
        )
        chosen = [a for a in found if name in (None, a.name)]
        return chosen[:limit] if limit is not None else chosen

    def get_version(self, name_id_or_prefix: str, version: str | int | None = None) -> Artifact:
        """A version of the artifacts of a name (the newest when `version` is None), or without
        a version, an artifact by id or unique id prefix when no artifact has that name."""
        from runstack.errors import NotFoundError

        store = self._store.artifacts
        if version is not None:
            return self.artifact(store.get_version(name_id_or_prefix, str(version)))
        try:
            found = store.get_version(name_id_or_prefix)
        except NotFoundError:
            try:
                found = store.get(name_id_or_prefix)
            except NotFoundError as by_id:
                raise NotFoundError(
                    f"no artifact named {name_id_or_prefix!r}, and {by_id}"
                ) from None
        return self.artifact(found)

    def find(self, reference: str) -> Artifact:
        """An artifact as the CLI names one: `NAME:VERSION`, `NAME` (its newest version), or an
        id or unique id prefix."""
        from runstack.errors import NotFoundError

        name, colon, version = reference.rpartition(":")
        if colon and name and version and not name.endswith(":"):  # `a::b::c` has no version
            try:
                return self.get_version(name, version)
            except NotFoundError:
                pass
        return self.get_version(reference)

    def versions(
        self, name: str | None = None, *, tag: str | None = None, limit: int | None = None
    ) -> builtins.list[Artifact]:
        """The versions of the artifacts of a name (of all names when None), those tagged `tag`
        when given, newest first."""
        found = self._store.artifacts.list(None if tag else limit, name=name)
        tagged = [record for record in found if tag is None or tag in record.tags]
        return [self.artifact(record) for record in tagged[:limit]]

    def artifact(self, record: ArtifactRecord) -> Artifact:
        """A record as the Python API gives it, to `load()`."""
        from runstack.history.results import Artifact

        return Artifact(record, self._artifact_stores)

    def get(self, artifact_id: str) -> Artifact:
        """An artifact by id (or a unique id prefix); `.load()` reads it back."""
        return self.artifact(self._store.artifacts.get(artifact_id))

    def lineage(self, artifact_id: str) -> dict[str, Any]:
        """Which step made an artifact, which cached steps reused it, which read it, by run."""
        artifact = self._store.artifacts.get(artifact_id)
        users = self._store.artifacts.users(artifact.id)

        def uses(wanted: str, role: str) -> builtins.list[dict[str, str]]:
            return [
                {"run": run, "step": step, role: name}
                for direction, run, step, name in users
                if direction == wanted
            ]

        return {
            "artifact": artifact.to_dict(),
            "produced_by": uses("output", "output"),
            "reused_by": uses("cached", "output"),
            "consumed_by": uses("input", "input"),
        }


def _status(status: str | RunStatus | None) -> RunStatus | None:
    from runstack.runs import RunStatus

    if status is None or isinstance(status, RunStatus):
        return status
    try:
        return RunStatus(status.lower())
    except ValueError:
        known = ", ".join(s.value for s in RunStatus)
        raise ConfigError(f"unknown run status {status!r}; use one of: {known}") from None
