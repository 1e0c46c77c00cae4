"""A pipeline and its runs, as ZenML's client gives them: `client.get_pipeline(name).last_run`."""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import TYPE_CHECKING

from runstack.errors import NotFoundError

if TYPE_CHECKING:
    from runstack.history.queries import RunQueries
    from runstack.history.results import PipelineRun
    from runstack.runs import PipelineSummary

# How many runs `.runs` loads, newest first (each with its steps); `client.runs.list` pages more.
RECENT_RUNS = 50


@dataclass(frozen=True, repr=False)
class PipelineHistory:
    """A pipeline that has run: its name, how often, and its runs, newest first."""

    summary: PipelineSummary
    queries: RunQueries

    def __repr__(self) -> str:
        return f"<Pipeline {self.name}, {self.summary.runs} run(s)>"

    @property
    def name(self) -> str:
        return self.summary.name

    @property
    def id(self) -> str:
        return self.summary.id

    @property
    def runs(self) -> builtins.list[PipelineRun]:
        """Its newest runs (at most 50), newest first."""
        records = self.queries.list(pipeline=self.name, limit=RECENT_RUNS)
        return [self.queries.get(record.id) for record in records]

    @property
    def last_run(self) -> PipelineRun:
        """Its newest run, whatever its status."""
        return self._newest(None)

    @property
    def last_successful_run(self) -> PipelineRun:
        """Its newest run that completed."""
        return self._newest("completed")

    def _newest(self, status: str | None) -> PipelineRun:
        newest = self.queries.list(pipeline=self.name, status=status, limit=1)
        if not newest:
            raise NotFoundError(
                f"pipeline {self.name!r} has no {'completed ' if status else ''}run yet"
            )
        return self.queries.get(newest[0].id)


def pipeline_history(queries: RunQueries, name: str) -> PipelineHistory:
    """The pipeline named `name`, once it has run (the error lists those that have)."""
    summaries = queries.pipelines()
    for summary in summaries:
        if summary.name == name:
            return PipelineHistory(summary, queries)
    known = ", ".join(summary.name for summary in summaries) or "none yet"
    raise NotFoundError(f"no pipeline named {name!r} has run; pipelines that have: {known}")
