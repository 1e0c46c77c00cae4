"""runstack's own materializers, registered as the plugin `runstack.builtin` through the same
hook as any installed plugin's, and always first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from runstack.hookspecs import hookimpl
from runstack.materializers.arrays import NumpyMaterializer
from runstack.materializers.dataframes import PandasMaterializer, PandasSeriesMaterializer
from runstack.materializers.estimators import SklearnMaterializer
from runstack.materializers.standard import (
    BytesMaterializer,
    CloudpickleMaterializer,
    JsonMaterializer,
    PydanticMaterializer,
)

if TYPE_CHECKING:
    from runstack.materializers.base import MaterializerRegistrar

BUILTIN_MATERIALIZERS = (
    JsonMaterializer,
    BytesMaterializer,
    PydanticMaterializer,
    NumpyMaterializer,
    PandasMaterializer,
    PandasSeriesMaterializer,
    SklearnMaterializer,
    CloudpickleMaterializer,
)


@hookimpl
def register_materializers(register: MaterializerRegistrar) -> None:
    for materializer in BUILTIN_MATERIALIZERS:
        register(materializer)
