"""What an experiment tracker is: a component that records what a step logs (metrics,
parameters) in a tracking service, around the steps that opt in."""

from __future__ import annotations

from runstack.components.base import BaseComponent


class BaseExperimentTracker(BaseComponent):
    """The base of every experiment tracker flavor.

    A step opts in with `@step(experiment_tracker=True)`; a tracker opens its tracking
    run in `prepare_step_run` and closes it in `cleanup_step_run`, doing nothing for a
    step whose `context.experiment_tracker_enabled` is False.
    """
