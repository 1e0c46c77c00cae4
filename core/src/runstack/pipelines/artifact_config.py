"""ZenML's `ArtifactConfig` and `ArtifactType`: the name, version, tags and type a step output's
artifact is recorded with, given as `Annotated[T, ArtifactConfig(...)]`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from runstack.errors import ConfigError


class ArtifactType(StrEnum):
    """What an artifact holds, with ZenML's values (they are what the store records)."""

    DATA_ANALYSIS = "DataAnalysisArtifact"
    DATA = "DataArtifact"
    MODEL = "ModelArtifact"
    SCHEMA = "SchemaArtifact"
    SERVICE = "ServiceArtifact"
    STATISTICS = "StatisticsArtifact"
    BASE = "BaseArtifact"


@dataclass(frozen=True, init=False)
class ArtifactConfig:
    """How an output's artifact is recorded: its name (the output's name too), an explicit
    version (kept as text; otherwise the next number of its name), tags and artifact type."""

    name: str | None
    version: str | None
    tags: tuple[str, ...]
    artifact_type: ArtifactType

    def __init__(
        self,
        name: str | None = None,
        version: str | int | None = None,
        tags: Sequence[str] | None = None,
        artifact_type: ArtifactType | str | None = None,
    ) -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "version", checked_version(version))
        object.__setattr__(self, "tags", checked_tags(tags))
        object.__setattr__(self, "artifact_type", checked_type(artifact_type))


def checked_version(version: str | int | None) -> str | None:
    """An explicit version as the text it is recorded as; booleans and empty text are refused."""
    if version is None:
        return None
    if isinstance(version, bool) or not isinstance(version, str | int) or version == "":
        raise ConfigError(f"an artifact version is a number or non-empty text, not {version!r}")
    return str(version)


def checked_tags(tags: Sequence[str] | None) -> tuple[str, ...]:
    """Tags as a tuple of non-empty strings, each once, in the order given."""
    if tags is None:
        return ()
    if isinstance(tags, str) or not all(isinstance(tag, str) and tag for tag in tags):
        raise ConfigError(f"artifact tags are a list of non-empty strings, not {tags!r}")
    return tuple(dict.fromkeys(tags))


def checked_type(artifact_type: ArtifactType | str | None) -> ArtifactType:
    """ZenML's artifact type by member or value; `DataArtifact` when none is given."""
    if artifact_type is None:
        return ArtifactType.DATA
    try:
        return ArtifactType(artifact_type)
    except ValueError:
        known = ", ".join(kind.value for kind in ArtifactType)
        raise ConfigError(f"unknown artifact type {artifact_type!r}; use one of: {known}") from None
