"""The records of ML models and their versions, which runs make and link their artifacts to.

Plain dataclasses, like `runstack.runs`, so they cross the store interface and the team
server's API as data. ZenML's names: a model has numbered versions, each in a stage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class ModelStages(StrEnum):
    """The stages a model version can be in (ZenML's `zenml.enums.ModelStages`); `latest`
    is no stage of its own but names a model's newest version."""

    NONE = "none"
    STAGING = "staging"
    PRODUCTION = "production"
    ARCHIVED = "archived"
    LATEST = "latest"


STAGE_NAMES = frozenset(stage.value for stage in ModelStages)
# The stages a version is looked up by: `none` is every unpromoted version's, no lookup key.
LOOKUP_STAGES = frozenset({ModelStages.STAGING, ModelStages.PRODUCTION, ModelStages.ARCHIVED})


@dataclass(frozen=True, kw_only=True)
class ModelSpec:
    """A model as a pipeline or step names it, ZenML's `Model(...)` arguments.

    `version`: None makes the next numbered version for each run; a stage (`production`,
    `latest`, ...) or a number reuses that existing version; any other name reuses the
    version of that name, made the first time it is named.
    """

    name: str
    version: str | int | None = None
    tags: list[str] | None = None
    description: str | None = None
    license: str | None = None
    audience: str | None = None
    use_cases: str | None = None
    limitations: str | None = None
    trade_offs: str | None = None
    ethics: str | None = None

    def details(self) -> dict[str, str]:
        """The model card's texts that were given (license, audience, ...), by name."""
        texts = {
            "license": self.license,
            "audience": self.audience,
            "use_cases": self.use_cases,
            "limitations": self.limitations,
            "trade_offs": self.trade_offs,
            "ethics": self.ethics,
        }
        return {key: text for key, text in texts.items() if text is not None}


@dataclass(frozen=True)
class ModelRecord:
    """A registered model: its card, and how many versions it has (the newest by name)."""

    id: str
    name: str
    created: datetime
    description: str = ""
    tags: list[str] = field(default_factory=list)
    details: dict[str, str] = field(default_factory=dict)
    versions: int = 0
    latest_version: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "created": self.created.isoformat(),
            "description": self.description,
            "tags": self.tags,
            **self.details,
            "versions": self.versions,
            "latest_version": self.latest_version,
        }


@dataclass(frozen=True)
class ModelVersionRecord:
    """One version of a model: its number, its name (the number unless named), its stage."""

    id: str
    model_id: str
    model_name: str
    number: int
    name: str
    stage: ModelStages
    created: datetime
    description: str = ""
    tags: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "model": self.model_name,
            "model_id": self.model_id,
            "number": self.number,
            "name": self.name,
            "stage": self.stage.value,
            "created": self.created.isoformat(),
            "description": self.description,
            "tags": self.tags,
        }


@dataclass(frozen=True)
class ModelLink:
    """A step run under a model version, with one output it made or reused from the cache
    (`output` and `artifact_id` are None for a step without outputs)."""

    run_id: str
    run_name: str
    step: str
    output: str | None
    artifact_id: str | None
