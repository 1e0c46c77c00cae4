"""The artifact stores recorded artifacts live in, built once each, for reading what ran."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from runstack.component_types import ComponentType
from runstack.errors import RunstackError

if TYPE_CHECKING:
    from runstack.components import BaseArtifactStore, BaseComponent
    from runstack.stacks import StackComponent
    from runstack.store.base import Store


class ArtifactStores:
    """The records `store` and the artifact stores its artifacts name, by component id.

    Reading a run back needs both: the records say where each artifact is, the
    artifact store it was written to holds its files. `build` makes a component
    from its record (the client's `build_component`), so this package needs no client.
    """

    def __init__(self, store: Store, build: Callable[[StackComponent], BaseComponent]) -> None:
        self.store = store
        self._build = build
        self._built: dict[str, BaseArtifactStore] = {}

    def get(self, component_id: str) -> BaseArtifactStore:
        """The artifact store with this component id (`NotFoundError` once it is deleted)."""
        from runstack.components import BaseArtifactStore

        if component_id not in self._built:
            component = self.store.components.get(ComponentType.ARTIFACT_STORE, component_id)
            built = self._build(component)
            assert isinstance(built, BaseArtifactStore)
            self._built[component_id] = built
        return self._built[component_id]

    def folder(self, component_id: str) -> str:
        """Where an artifact store keeps its files, for messages (even if it cannot be built)."""
        try:
            return self.get(component_id).root
        except RunstackError:
            return "its folder"
