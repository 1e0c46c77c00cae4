"""Materializers: how step outputs become files in the artifact store, and values again.

Importing this package imports no data library; each materializer imports
numpy, pandas or cloudpickle only when it saves or loads a value.
"""

from __future__ import annotations

from runstack.materializers.base import Materializer, import_type, type_name
from runstack.materializers.registry import (
    MaterializerRegistrar,
    MaterializerRegistry,
    MaterializerWarning,
    installed_materializers,
)

__all__ = [
    "Materializer",
    "MaterializerRegistrar",
    "MaterializerRegistry",
    "MaterializerWarning",
    "import_type",
    "installed_materializers",
    "type_name",
]
