"""pandas DataFrames as Parquet when pyarrow is installed, else as CSV; pandas imported lazily."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from runstack.materializers.base import Materializer

if TYPE_CHECKING:
    from runstack.components.artifact_store import BaseArtifactStore

PARQUET = "frame.parquet"
CSV = "frame.csv"


class PandasMaterializer(Materializer):
    """A DataFrame in one file: Parquet keeps dtypes and index; CSV (without pyarrow) keeps values.

    Loading reads whichever of the two files the artifact has, so a frame saved
    on a machine without pyarrow loads anywhere.
    """

    name = "pandas"
    # pandas 3 reports the public module, earlier versions the defining one.
    handles = ("pandas.DataFrame", "pandas.core.frame.DataFrame")
    handles_subclasses = False

    def save(self, value: Any, store: BaseArtifactStore, uri: str) -> None:
        if _has_pyarrow():
            with store.open(f"{uri}/{PARQUET}", "wb") as stream:
                value.to_parquet(stream, engine="pyarrow")
        else:
            with store.open(f"{uri}/{CSV}", "wb") as stream:
                value.to_csv(stream)

    def load(self, store: BaseArtifactStore, uri: str, type_name: str) -> Any:
        import pandas as pd

        if store.exists(f"{uri}/{PARQUET}"):
            with store.open(f"{uri}/{PARQUET}", "rb") as stream:
                return pd.read_parquet(stream, engine="pyarrow")
        with store.open(f"{uri}/{CSV}", "rb") as stream:
            return pd.read_csv(stream, index_col=0)


def _has_pyarrow() -> bool:
    try:
        importlib.import_module("pyarrow")
    except ImportError:
        return False
    return True
