"""What a `local` artifact store accepts (`runstack artifact-store flavor describe local`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator

from runstack.flavors import FlavorConfig


class LocalArtifactStoreConfig(FlavorConfig):
    path: str | None = Field(
        default=None,
        description=(
            "Folder that holds the artifacts; relative paths are made absolute at registration. "
            "Default: RUNSTACK_HOME/artifact_stores/<component id>."
        ),
    )

    @field_validator("path")
    @classmethod
    def _absolute(cls, value: str | None) -> str | None:
        """Store an absolute path, so the component means the same folder from any directory."""
        if value is None:
            return None
        if not value.strip():
            raise ValueError("must not be empty")
        if "\0" in value:
            raise ValueError("must not contain a NUL byte; no folder has one in its name")
        try:
            expanded = Path(value).expanduser()
        except RuntimeError:  # `~someone` for a user this machine does not have
            raise ValueError(f"cannot find the home folder {value.split('/')[0]!r}") from None
        return str(expanded.absolute())
