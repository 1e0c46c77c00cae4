"""A step's `on_failure` and `on_success` hooks, as ZenML has them: checked when the step or
pipeline is declared, run where the step ran, after its last attempt, with its context set.

A hook is a function, or ZenML's "module.function" string naming one. It takes no
parameters; a failure hook may take one annotated with an exception type, which receives
the step's error. What a hook raises is a warning: the step's outcome stays its own.
"""

from __future__ import annotations

import importlib
import inspect
import traceback
import typing
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from runstack.errors import ConfigError, one_line

if TYPE_CHECKING:
    from runstack.components import StepContext
    from runstack.history.step_logs import BoundedLog

HookSpecification = Callable[..., Any] | str
"""What `on_failure=` and `on_success=` take (ZenML's name for it)."""

HookKind = Literal["on_failure", "on_success"]


@dataclass(frozen=True)
class Hook:
    """One checked hook: the function, its name for messages, and the parameter (if any) that
    receives the step's error."""

    kind: HookKind
    function: Callable[..., Any]
    name: str
    error_parameter: str | None = None

    def run(self, context: StepContext, log: BoundedLog, error: BaseException | None) -> None:
        """Call the hook; what it raises becomes one warning line (its traceback in the log)."""
        try:
            if self.error_parameter is None:
                self.function()
            else:
                self.function(**{self.error_parameter: error})
        except Exception as raised:
            log.write("".join(traceback.format_exception(raised)))
            warnings.warn(
                f"{self.kind} hook {self.name!r} of step {context.step_name!r} in run "
                f"{context.run_name!r} raised {one_line(raised)}; the step's outcome stands",
                stacklevel=2,
            )


@dataclass(frozen=True)
class StepHooks:
    """The hooks a step or a pipeline declares; a step's own win over its pipeline's."""

    on_failure: Hook | None = None
    on_success: Hook | None = None

    @classmethod
    def checked(
        cls, owner: str, on_failure: HookSpecification | None, on_success: HookSpecification | None
    ) -> StepHooks:
        """The hooks of `owner` ("step 'train'"), each refused in one line if it cannot be one."""
        return cls(
            _checked(owner, "on_failure", on_failure), _checked(owner, "on_success", on_success)
        )

    def over(self, pipeline: StepHooks) -> StepHooks:
        """These hooks, with the pipeline's wherever the step declares none (ZenML's rule)."""
        return StepHooks(
            self.on_failure or pipeline.on_failure, self.on_success or pipeline.on_success
        )

    @contextmanager
    def around(self, context: StepContext, log: BoundedLog) -> Iterator[None]:
        """Run the failure hook if the block raises (Ctrl-C aside), the success hook if not."""
        try:
            yield
        except KeyboardInterrupt:
            raise
        except BaseException as error:
            if self.on_failure is not None:
                self.on_failure.run(context, log, error)
            raise
        if self.on_success is not None:
            self.on_success.run(context, log, None)

    def shipped(self) -> StepHooks:
        """The hooks ready to travel with a step's work: functions as its function does (the
        user's by value), other callables (a `functools.partial`) as cloudpickle takes them."""
        from runstack.pipelines.shipping import ShippedFunction

        return StepHooks(
            *(
                replace(hook, function=ShippedFunction(hook.function))
                if hook and inspect.isfunction(hook.function)
                else hook
                for hook in (self.on_failure, self.on_success)
            )
        )


def _checked(owner: str, kind: HookKind, given: HookSpecification | None) -> Hook | None:
    if given is None:
        return None
    function = _loaded(owner, kind, given) if isinstance(given, str) else given
    name = given if isinstance(given, str) else getattr(given, "__qualname__", repr(given))
    if not callable(function):
        raise ConfigError(
            f"{owner}: {kind} must be a function or a 'module.function' string, got {given!r}"
        )
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature: called with none
        return Hook(kind, function, name)
    needed = [
        p
        for p in parameters
        if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    if not needed:
        return Hook(kind, function, name)
    [first, *others] = needed
    if (
        kind == "on_failure"
        and not others
        and first.kind != first.POSITIONAL_ONLY
        and _is_exception_type(_annotations(function).get(first.name))
    ):
        return Hook(kind, function, name, first.name)
    accepted = (
        "none, or one annotated BaseException that receives the step's error"
        if kind == "on_failure"
        else "none"
    )
    raise ConfigError(
        f"{owner}: {kind} hook {name!r} takes ({', '.join(p.name for p in needed)}); "
        f"a hook's parameters must be {accepted}"
    )


def _loaded(owner: str, kind: HookKind, source: str) -> object:
    """The function a ZenML source string such as "my_hooks.notify" names."""
    module_name, _, attribute = source.rpartition(".")
    if not module_name:
        raise ConfigError(
            f"{owner}: {kind} hook {source!r} names no module; write 'module.function'"
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise ConfigError(f"{owner}: {kind} hook {source!r}: {one_line(error)}") from None
    if not hasattr(module, attribute):
        raise ConfigError(
            f"{owner}: {kind} hook {source!r}: module {module_name!r} has no {attribute!r}"
        )
    return getattr(module, attribute)


def _annotations(function: Callable[..., Any]) -> dict[str, Any]:
    try:
        return typing.get_type_hints(function)
    except (NameError, TypeError):  # unresolvable: the parameter counts as unannotated
        return {}


def _is_exception_type(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseException)
