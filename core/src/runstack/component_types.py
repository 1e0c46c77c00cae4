"""The one declaration of stack component types; CLI groups and stack options derive from it."""

from __future__ import annotations

from enum import StrEnum

from runstack.errors import ConfigError


class ComponentType(StrEnum):
    """A kind of stack component; a stack holds at most one component of each type."""

    ORCHESTRATOR = "orchestrator"
    ARTIFACT_STORE = "artifact_store"
    STEP_OPERATOR = "step_operator"
    EXPERIMENT_TRACKER = "experiment_tracker"
    MODEL_DEPLOYER = "model_deployer"
    MODEL_REGISTRY = "model_registry"
    CONTAINER_REGISTRY = "container_registry"
    IMAGE_BUILDER = "image_builder"
    ALERTER = "alerter"
    ANNOTATOR = "annotator"
    DATA_VALIDATOR = "data_validator"
    FEATURE_STORE = "feature_store"

    @property
    def required(self) -> bool:
        """Every stack needs an orchestrator and an artifact store; the rest are optional."""
        return self in (ComponentType.ORCHESTRATOR, ComponentType.ARTIFACT_STORE)

    @property
    def cli_name(self) -> str:
        """The command group and option name, as users type it: `artifact-store`."""
        return self.value.replace("_", "-")

    @property
    def short_option(self) -> str:
        """The short flag used by `stack register/update` (the same letters ZenML uses)."""
        return _SHORT_OPTIONS[self]

    @property
    def label(self) -> str:
        """How tables name the type: `ARTIFACT_STORE`."""
        return self.value.upper()

    @property
    def noun(self) -> str:
        """How sentences name the type: `artifact store`."""
        return self.value.replace("_", " ")

    @property
    def plural(self) -> str:
        """`artifact stores`, `model registries`."""
        return self.noun[:-1] + "ies" if self.noun.endswith("y") else self.noun + "s"

    @property
    def with_article(self) -> str:
        """`an artifact store`, `a model deployer`."""
        return ("an " if self.noun[0] in "aeiou" else "a ") + self.noun

    @classmethod
    def parse(cls, text: str) -> ComponentType:
        """Accept `artifact_store`, `artifact-store` or `ARTIFACT_STORE`."""
        normalised = text.strip().lower().replace("-", "_")
        try:
            return cls(normalised)
        except ValueError:
            known = ", ".join(t.cli_name for t in cls)
            raise ConfigError(f"unknown component type {text!r}; known types: {known}") from None


_SHORT_OPTIONS = {
    ComponentType.ORCHESTRATOR: "-o",
    ComponentType.ARTIFACT_STORE: "-a",
    ComponentType.STEP_OPERATOR: "-s",
    ComponentType.EXPERIMENT_TRACKER: "-e",
    ComponentType.MODEL_DEPLOYER: "-d",
    ComponentType.MODEL_REGISTRY: "-r",
    ComponentType.CONTAINER_REGISTRY: "-c",
    ComponentType.IMAGE_BUILDER: "-i",
    ComponentType.ALERTER: "-al",
    ComponentType.ANNOTATOR: "-an",
    ComponentType.DATA_VALIDATOR: "-dv",
    ComponentType.FEATURE_STORE: "-f",
}
