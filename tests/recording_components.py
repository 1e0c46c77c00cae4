"""A plugin with an experiment tracker and an alerter that write every call they get to a file:
what runs around a step, and what an alerter is told when a run ends."""

from __future__ import annotations

COMPONENTS_PLUGIN = """
from pydantic import Field

from runstack import Flavor, FlavorConfig, hookimpl
from runstack.component_types import ComponentType


class RecorderConfig(FlavorConfig):
    path: str = Field(description="The file each call is written to, one line per call.")
    fail_prepare: bool = Field(default=False, description="Raise in prepare_step_run.")
    fail_cleanup: bool = Field(default=False, description="Raise in cleanup_step_run.")
    fail_post: bool = Field(default=False, description="Raise in post.")


@hookimpl
def register_flavors(register):
    for kind, implementation in (
        ("experiment_tracker", "RecordingTracker"),
        ("alerter", "RecordingAlerter"),
    ):
        register(
            Flavor(
                name="recording",
                component_type=ComponentType(kind),
                config_class=RecorderConfig,
                implementation="recording_components.components:" + implementation,
                description="Writes every lifecycle call to a file.",
            )
        )
"""

COMPONENTS = """
import os

from runstack.components import BaseAlerter, BaseExperimentTracker


class Recording:
    def record(self, line):
        with open(self.config.path, "a", encoding="utf-8") as file:
            file.write(line + "\\n")

    def prepare_step_run(self, context):
        tracked = "tracked" if context.experiment_tracker_enabled else "untracked"
        self.record(f"{self.name} prepare {context.step_name} {tracked} {os.getpid()}")
        if self.config.fail_prepare:
            raise RuntimeError("no tracking server at http://nowhere")

    def cleanup_step_run(self, context, failed):
        self.record(f"{self.name} cleanup {context.step_name} failed={failed} {os.getpid()}")
        if self.config.fail_cleanup:
            raise RuntimeError("could not close the tracking run")


class RecordingTracker(Recording, BaseExperimentTracker):
    def prepare_step_run(self, context):
        super().prepare_step_run(context)
        if context.experiment_tracker_enabled:
            context.add_metadata({"tracking_run": context.step_run_id, "tracker": self.name})


class RecordingAlerter(Recording, BaseAlerter):
    def post(self, text):
        self.record(f"{self.name} post {text}")
        if self.config.fail_post:
            raise RuntimeError("the chat service is down")
"""
