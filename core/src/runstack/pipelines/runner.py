"""Running a compiled pipeline on a stack: records, cache, step execution, outputs."""

from __future__ import annotations

import functools
import os
import sys
import threading
import traceback
import warnings
from collections import Counter
from datetime import datetime
from typing import TYPE_CHECKING, Any

from runstack.component_types import ComponentType
from runstack.components import CallAbandoned, Task, TaskStatus
from runstack.errors import (
    AlreadyExistsError,
    ConfigError,
    RunstackError,
    one_line,
)
from runstack.history.artifacts import version_taken
from runstack.history.integrity import record_unreadable
from runstack.history.step_logs import StoredLog, log_limit, read_log
from runstack.locality import check_reachable
from runstack.names import check_name, check_not_an_id
from runstack.pipelines import capture
from runstack.pipelines.caching import CacheHit, StepCache, digest
from runstack.pipelines.execution import StepWork, WorkOutcome, is_ctrl_c, perform
from runstack.pipelines.external import input_artifact
from runstack.pipelines.heartbeat import beating
from runstack.pipelines.progress import Progress
from runstack.pipelines.run_end import announce_end
from runstack.pipelines.run_stack import build_run_stack
from runstack.pipelines.settings import applicable_settings
from runstack.pipelines.shipping import ShippedFunction
from runstack.pipelines.tracebacks import user_traceback
from runstack.processes import this_host
from runstack.runs import (
    ArtifactRecord,
    RunRecord,
    RunStatus,
    StepRunRecord,
    StepStatus,
    format_duration,
)
from runstack.stacks import Stack, new_id, now

if TYPE_CHECKING:
    from runstack.client import Client
    from runstack.flavors import FlavorConfig
    from runstack.history.results import PipelineRun
    from runstack.pipelines.definition import CompiledPipeline, ResolvedStep
    from runstack.pipelines.models import Model
    from runstack.pipelines.steps import Step


class StepFailedError(RunstackError):
    """A step raised; its trimmed traceback is the message (it is recorded with the step)."""


class PipelineRunError(RunstackError):
    """A run finished with a failed step; `run` is the recorded run, for inspection."""

    def __init__(self, message: str, run: PipelineRun) -> None:
        super().__init__(message)
        self.run = run


def run_pipeline(compiled: CompiledPipeline, client: Client | None = None) -> PipelineRun:
    """Run on the stack the pipeline names, or the active stack; return the recorded run."""
    from runstack.client import Client

    return PipelineRunner(compiled, client or Client()).run()


class PipelineRunner:
    """One run: resolves the stack once, then runs each step through the orchestrator."""

    def __init__(self, compiled: CompiledPipeline, client: Client) -> None:
        self.compiled = compiled
        self.client = client
        self.store = client.store
        self.outputs: dict[str, dict[str, ArtifactRecord]] = {}
        self.recorded: dict[str, StepRunRecord] = {}
        self.started: dict[str, StepRunRecord] = {}
        self._recording = threading.Lock()
        self.run_error = ""  # why the run failed when no step did

    def run(self) -> PipelineRun:
        compiled = self.compiled
        self.log_limit = log_limit()  # a bad limit is refused before anything is recorded
        stack = self.client.get_stack(compiled.stack)
        check_reachable(self.client.flavors, stack.name, stack.components)
        orchestrator_settings, step_settings = self._validate_settings(stack)
        self.stack = build_run_stack(self.client, stack, compiled)
        artifact_store = self.artifact_store = self.stack.artifact_store
        orchestrator = self.orchestrator = self.stack.orchestrator
        self.cache = StepCache(self.store, artifact_store, compiled.name)
        self.models = self._prepare_models()
        started = now()
        self.run_record = RunRecord(
            id=new_id(),
            name=self._run_name(started),
            pipeline_name=compiled.name,
            status=RunStatus.RUNNING,
            stack_id=stack.id,
            stack_name=stack.name,
            artifact_store_id=stack.artifact_store.id,
            owner=self.client.user,
            config=compiled.config(),
            parameters=compiled.parameters,
            started=started,
            pid=os.getpid(),
            host=this_host(),
        )
        self.store.runs.create(self.run_record)
        self.progress = Progress(sys.stdout, len(compiled.steps))
        self.progress.started_run(self.run_record, stack)
        tasks = [
            Task(
                name,
                functools.partial(self._execute, name),
                compiled.steps[name].invocation.upstream,
                step_settings.get(name),
            )
            for name in compiled.order
        ]
        status = RunStatus.COMPLETED
        skipped: dict[str, str] = {}
        try:
            with capture.routing(), beating(self.store, self.run_record.id):
                results = orchestrator.execute(tasks, settings=orchestrator_settings)
            for name in compiled.order:
                result = results.get(name)
                if result is None:  # the orchestrator lost it: what the run recorded decides
                    if name not in self.recorded:
                        lost = f"orchestrator {orchestrator.name!r} reported no result for it"
                        self._fail_step(name, RunstackError(lost))
                    if self.recorded[name].status is StepStatus.FAILED:
                        status = RunStatus.FAILED
                elif result.status is TaskStatus.SKIPPED:
                    skipped[name] = f"upstream step {result.blocked_by!r} failed"
                elif result.status is TaskStatus.FAILED:
                    status = RunStatus.FAILED
                    if name not in self.recorded:  # failed without running `_execute` to its end
                        self._fail_step(name, result.error or RunstackError("no reason given"))
        except KeyboardInterrupt:
            status = RunStatus.STOPPED
        except BaseException as error:  # the orchestrator itself failed: the run must say why
            status = RunStatus.FAILED
            skipped = self._orchestrator_failed(error)
        self._record_unfinished(skipped, status)
        failure = self._failure()
        self.store.runs.finish(self.run_record.id, status, now(), failure)
        record = self.store.runs.get(self.run_record.id)
        self.progress.finished_run(record, Counter(r.status for r in self.recorded.values()))
        run = self.client.runs.get(record.id)
        failed = next((r for r in self.recorded.values() if r.status is StepStatus.FAILED), None)
        if failed is not None and status is RunStatus.FAILED:
            self.progress.error(failed.error.rstrip())
        server = self.client.config.server
        announce_end(
            self.stack.alerter,
            record,
            failed.invocation if failed else None,
            server.url if server else None,
        )
        if status is RunStatus.STOPPED:
            raise KeyboardInterrupt
        if status is RunStatus.FAILED:
            log = f"{record.name} {failed.invocation}" if failed else record.name
            raise PipelineRunError(
                f"run {record.name!r} failed: {failure} (full log: runstack run logs {log})", run
            )
        return run

    def _run_name(self, started: datetime) -> str:
        """The run's name from its template, refused when it breaks the name rule or could
        be taken for the id of a run."""
        name = check_name(_render_run_name(self.compiled, started), "run")
        check_not_an_id(name, "run", lambda: ((run.id, run.name) for run in self.store.runs.list()))
        return name

    def _prepare_models(self) -> dict[str, Model]:
        """The model version each step runs under (its own model's, else the pipeline's), made
        or found before the run is recorded: a model version that cannot be found stops it."""
        steps = {name: s.model for name, s in self.compiled.steps.items() if s.model is not None}
        if not steps:
            return {}
        from runstack.pipelines.models import prepare_versions

        return prepare_versions(self.store, steps)

    def _model_version_id(self, name: str) -> str | None:
        model = self.models.get(name)
        return None if model is None else model.id

    # -- settings ------------------------------------------------------------

    def _validate_settings(
        self, stack: Stack
    ) -> tuple[FlavorConfig | None, dict[str, FlavorConfig | None]]:
        """Check every settings table that applies to the stack against the flavor of the
        stack's component (tables qualified by another flavor do not apply).

        Returns the orchestrator settings of the pipeline and those of each step (the
        pipeline's with the step's over them), which the orchestrator gets.
        """
        steps = list(self.compiled.steps)
        layers = [self.compiled.settings, *(s.settings for s in self.compiled.steps.values())]
        flavors = {kind: component.flavor for kind, component in stack.components.items()}
        orchestrator_settings = None
        step_settings: dict[str, FlavorConfig | None] = {}
        for index, layer in enumerate(layers):
            for kind, values in applicable_settings(layer, flavors).items():
                component = stack.components.get(kind)
                if component is None:
                    warnings.warn(
                        f"settings for {kind.with_article} are ignored: stack {stack.name!r} "
                        f"has no {kind.noun}",
                        stacklevel=2,
                    )
                    continue
                flavor = self.client.get_flavor(kind, component.flavor)
                validated = flavor.validate_settings(values)
                if kind is not ComponentType.ORCHESTRATOR:
                    continue
                if index == 0:
                    orchestrator_settings = validated
                else:
                    step_settings[steps[index - 1]] = validated
        return orchestrator_settings, step_settings

    # -- one step ------------------------------------------------------------

    def _execute(self, name: str) -> None:
        """Run one step (or reuse it from the cache) and record it; raise if it failed.

        Whatever goes wrong on the way (the cache check, a worker that dies, code that
        cannot be shipped) is recorded as this step's failure, with its cause.
        """
        try:
            self._execute_step(name)
        except (StepFailedError, CallAbandoned):  # recorded already, or stopped by the run
            raise
        except BaseException as error:
            if is_ctrl_c(error):
                raise
            raise StepFailedError(self._fail_step(name, error)) from error

    def _execute_step(self, name: str) -> None:
        resolved = self.compiled.steps[name]
        invocation = resolved.invocation
        step = invocation.step
        inputs = {
            key: self.outputs[handle.invocation.id][handle.name]
            for key, handle in invocation.inputs.items()
        }
        for parameter, given in invocation.external.items():
            inputs[parameter] = input_artifact(given, self.store, self.artifact_store)
        parts = self.cache.key_parts(step, resolved.parameters, inputs)
        step_run = StepRunRecord(
            id=new_id(),
            run_id=self.run_record.id,
            invocation=name,
            step_name=step.name,
            status=StepStatus.RUNNING,
            started=now(),
            finished=None,
            cache_key=digest(parts),
            cache_parts=parts,
            parameters=resolved.parameters,
            inputs={key: artifact.id for key, artifact in inputs.items()},
            model_version_id=self._model_version_id(name),
        )
        if resolved.enable_cache:
            reason = self._reuse(step_run)
            if not reason:
                return
        else:
            reason = "caching disabled"
        self._run_step(resolved, step_run, inputs, reason)

    def _reuse(self, step_run: StepRunRecord) -> str:
        """Record a cache hit and return "", or return why the step must run."""
        hit = self.cache.lookup(step_run)
        if not isinstance(hit, CacheHit):
            return hit
        cached = _replace(
            step_run,
            status=StepStatus.CACHED,
            finished=now(),
            cached_from=hit.origin_step_run_id,
            reason=f"cached from run {hit.origin_run_name}",
            outputs={name: artifact.id for name, artifact in hit.outputs.items()},
            metadata=hit.metadata,
        )
        self._record(cached, logs="")
        self.outputs[step_run.invocation] = hit.outputs
        self.progress.finished_step(
            step_run.invocation, StepStatus.CACHED, f"from run {hit.origin_run_name}"
        )
        return ""

    def _run_step(
        self,
        resolved: ResolvedStep,
        step_run: StepRunRecord,
        inputs: dict[str, ArtifactRecord],
        reason: str,
    ) -> None:
        name = step_run.invocation
        step = resolved.invocation.step
        self._check_versions_free(name, step)
        step_run = _replace(step_run, reason=reason)
        self.store.step_runs.start(step_run, resolved.invocation.position)
        self.started[name] = step_run
        self.progress.started_step(name)
        work = StepWork(
            function=ShippedFunction(step.function),
            pipeline=self.compiled.name,
            run_id=self.run_record.id,
            run_name=self.run_record.name,
            invocation=name,
            step_run_id=step_run.id,
            parameters=resolved.parameters,
            inputs=inputs,
            outputs=step.outputs,
            retries=resolved.retries,
            retry_delay=resolved.retry_delay,
            stack=self.stack,
            experiment_tracker=bool(resolved.experiment_tracker),
            log_limit=self.log_limit,
            gathered=resolved.invocation.gathered,
            retry_backoff=resolved.retry_backoff,
            hooks=resolved.hooks and resolved.hooks.shipped(),
            model=self.models.get(name),
        )
        if resolved.timeout is None:  # orchestrators written before timeouts take no such argument
            outcome = self.orchestrator.call(perform, work)
        else:
            outcome = self.orchestrator.call(perform, work, timeout=resolved.timeout)
        if outcome.attempts > 1:
            self.progress.retried_step(name, outcome.attempts - 1, self.run_record.name)
        if outcome.run_metadata:  # what the step logged for its run, failed or not
            self.store.runs.add_metadata(self.run_record.id, outcome.run_metadata)
        if outcome.error:
            error = outcome.error
            if outcome.unreadable:
                cause = record_unreadable(self.store, outcome.unreadable, error)
                error = f"step {name!r}: {cause}\n"
            failed = _ended(step_run, outcome, StepStatus.FAILED, error=error)
            self._record(failed, outcome.log.tail)
            if not self.orchestrator.shares_console and outcome.printed:
                sys.stdout.write(outcome.printed.rstrip("\n") + "\n")
            self.progress.finished_step(name, StepStatus.FAILED, format_duration(failed.duration))
            raise StepFailedError(error)
        outputs = {output: artifact.id for output, artifact in outcome.artifacts.items()}
        for artifact in outcome.saved:  # what its code saved: outputs too, as in ZenML
            outputs[_free_link(outputs, artifact.name)] = artifact.id
        read = dict(step_run.inputs)
        for loaded, artifact_id in outcome.loaded.items():  # and what it loaded: inputs
            if artifact_id not in read.values():
                read[_free_link(read, loaded)] = artifact_id
        completed = _ended(step_run, outcome, StepStatus.COMPLETED, outputs=outputs, inputs=read)
        made = [*outcome.artifacts.values(), *outcome.saved]
        stored = self._record(completed, outcome.log.tail, made)
        if stored is None:  # the run stopped waiting for this step and recorded it already
            return
        if not self.orchestrator.shares_console:
            self._echo_log(outcome.log)
        declared = stored[: len(outcome.artifacts)]  # the values its code saved come after
        self.outputs[name] = dict(zip(outcome.artifacts, declared, strict=True))
        self.progress.finished_step(name, StepStatus.COMPLETED, format_duration(completed.duration))

    def _check_versions_free(self, name: str, step: Step) -> None:
        """Refuse to run a step whose output asks for an artifact version its name has already
        (`ArtifactConfig(version=...)`), before its code runs rather than after."""
        for spec in step.outputs:
            if spec.config is None or spec.config.version is None:
                continue
            artifact = spec.artifact_name(self.compiled.name, name)
            if not version_taken(self.store, artifact, spec.config.version):
                continue
            raise AlreadyExistsError(
                f"output {spec.name!r} is artifact {artifact!r} version {spec.config.version!r}, "
                "which exists already; give the ArtifactConfig another version, or none for "
                "the next number"
            )

    def _echo_log(self, log: StoredLog) -> None:
        """Print what a step printed on a worker whose output this console never saw."""
        text = read_log(log.uri, log.tail, lambda: self.artifact_store)
        if text:
            sys.stdout.write(text if text.endswith("\n") else text + "\n")

    def _record(
        self, step_run: StepRunRecord, logs: str, artifacts: list[ArtifactRecord] | None = None
    ) -> list[ArtifactRecord] | None:
        """Record how a step ended, once: a step the run gave up on may still return later.

        Returns the artifacts as stored, or None if the step was recorded already.
        """
        position = self.compiled.steps[step_run.invocation].invocation.position
        with self._recording:
            if step_run.invocation in self.recorded:
                return None
            stored = self.store.step_runs.finish(step_run, position, logs, artifacts or [])
            self.recorded[step_run.invocation] = step_run  # once stored: a refusal is failed after
            return stored

    def _fail_step(self, name: str, error: BaseException, cause: str = "") -> str:
        """Record a step that failed outside its own code: the cause first, then the traceback
        trimmed to the user's and the library's frames (in full in the step's log)."""
        summary = f"step {name!r} failed: {cause or one_line(error)}"
        text = summary + "\n" + ("" if isinstance(error, RunstackError) else user_traceback(error))
        logs = summary + "\n" + "".join(traceback.format_exception(error))
        step_run = self.started.get(name) or self._unstarted(name, StepStatus.FAILED, "")
        failed = _replace(
            step_run,
            status=StepStatus.FAILED,
            started=step_run.started or now(),
            finished=now(),
            error=text,
        )
        if self._record(failed, logs) is not None:
            self.progress.finished_step(name, StepStatus.FAILED, format_duration(failed.duration))
        return text

    def _orchestrator_failed(self, error: BaseException) -> dict[str, str]:
        """Fail the steps the orchestrator was running when it raised (or the next one to run)
        with its error; the steps it never reached are skipped, naming it."""
        unfinished = [name for name in self.compiled.order if name not in self.recorded]
        running = [name for name in unfinished if name in self.started] or unfinished[:1]
        cause = f"orchestrator {self.orchestrator.name!r} raised {one_line(error)}"
        self.run_error = cause
        for name in running:
            self._fail_step(name, error, cause)
        return {name: cause for name in unfinished if name not in running}

    def _record_unfinished(self, skipped: dict[str, str], status: RunStatus) -> None:
        """Record steps that never finished: skipped after a failure, or stopped by Ctrl-C."""
        for name in self.compiled.order:
            if name in self.recorded:
                continue
            reason = skipped.get(name) or "the run was stopped"
            interrupted = self.started.get(name)
            if interrupted is not None:  # Ctrl-C reached it while its code was running
                self._record(
                    _replace(interrupted, status=StepStatus.STOPPED, finished=now(), reason=reason),
                    logs="",
                )
                continue
            kind = StepStatus.SKIPPED if name in skipped else StepStatus.STOPPED
            self._record(self._unstarted(name, kind, reason), logs="")
            if status is not RunStatus.STOPPED or name in skipped:
                self.progress.finished_step(name, self.recorded[name].status, reason)

    def _unstarted(self, name: str, status: StepStatus, reason: str) -> StepRunRecord:
        """The record of a step whose code never started."""
        resolved = self.compiled.steps[name]
        return StepRunRecord(
            id=new_id(),
            run_id=self.run_record.id,
            invocation=name,
            step_name=resolved.invocation.step.name,
            status=status,
            started=None,
            finished=None,
            cache_key="",
            cache_parts={},
            parameters=resolved.parameters,
            reason=reason,
            model_version_id=self._model_version_id(name),
        )

    def _failure(self) -> str:
        """One line on the first failed step: what the run's error and status say."""
        failed = [r for r in self.recorded.values() if r.status is StepStatus.FAILED]
        if not failed:
            return self.run_error
        lines = failed[0].error.strip().splitlines() or ["an error without a message"]
        step = f"step {failed[0].invocation!r}"
        summary = next((line for line in (lines[0], lines[-1]) if line.startswith(step)), None)
        return summary or f"{step} raised {lines[-1]}"


def _ended(
    step_run: StepRunRecord, outcome: WorkOutcome, status: StepStatus, **changes: Any
) -> StepRunRecord:
    """A step's record once its code returned: how it ended, where it ran, where its log is."""
    return _replace(
        step_run,
        status=status,
        finished=now(),
        attempts=outcome.attempts,
        worker=outcome.worker,
        metadata=outcome.metadata,
        log_uri=outcome.log.uri,
        log_size=outcome.log.size,
        **changes,
    )


def _free_link(links: dict[str, str], name: str) -> str:
    """`name`, or `name_2`, `name_3`, ... when a step run's links use it already."""
    chosen, number = name, 1
    while chosen in links:
        number += 1
        chosen = f"{name}_{number}"
    return chosen


def _replace(step_run: StepRunRecord, **changes: Any) -> StepRunRecord:
    from dataclasses import replace

    return replace(step_run, **changes)


def _render_run_name(compiled: CompiledPipeline, started: datetime) -> str:
    stamp = started.strftime("%Y_%m_%d-%H_%M_%S_%f")
    template = compiled.run_name
    if template is None:
        return f"{compiled.name}-{stamp}"
    for older in ("date", "time"):  # `{{date}}`, as older ZenML docs write it, means `{date}`
        template = template.replace(f"{{{{{older}}}}}", f"{{{older}}}")
    try:
        return template.format(
            # `{time}` to the microsecond, as ZenML's: `{date}_{time}` names each run apart.
            date=started.strftime("%Y_%m_%d"),
            time=started.strftime("%H_%M_%S_%f"),
            stamp=stamp,
        )
    except (KeyError, IndexError, ValueError) as error:
        raise ConfigError(
            f"run_name {template!r} has an unknown placeholder ({error}); use {{date}}, "
            "{time} or {stamp}"
        ) from None
