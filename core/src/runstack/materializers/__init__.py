"""Materializers: how step outputs become files in the artifact store, and values again.

Importing this package imports no data library; each materializer imports
numpy, pandas or cloudpickle only when it saves or loads a value.
"""

from __future__ import annotations

from runstack.materializers.base import (
    Materializer,
    MaterializerRegistrar,
    MaterializerWarning,
    import_type,
    type_name,
)

__all__ = [
    "Materializer",
    "MaterializerRegistrar",
    "MaterializerWarning",
    "import_type",
    "type_name",
]
