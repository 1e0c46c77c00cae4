"""numpy arrays as `.npy` files; numpy is imported only when an array is saved or loaded."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from runstack.materializers.base import Materializer

if TYPE_CHECKING:
    from runstack.components.artifact_store import BaseArtifactStore


class NumpyMaterializer(Materializer):
    """An array of any shape and non-object dtype, streamed into and out of one `.npy` file.

    `np.save` writes straight into the store's file, chunk by chunk, so a large
    array is never copied whole. Object arrays would need pickle and are left to
    the cloudpickle fallback.
    """

    name = "numpy"
    handles = ("numpy.ndarray",)
    handles_subclasses = False

    def can_save(self, value: Any) -> bool:
        return super().can_save(value) and not value.dtype.hasobject

    def save(self, value: Any, store: BaseArtifactStore, uri: str) -> None:
        import numpy as np

        with store.open(f"{uri}/array.npy", "wb") as stream:
            np.save(stream, value, allow_pickle=False)

    def load(self, store: BaseArtifactStore, uri: str, type_name: str) -> Any:
        import numpy as np

        with store.open(f"{uri}/array.npy", "rb") as stream:
            return np.load(stream, allow_pickle=False)
