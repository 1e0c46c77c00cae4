"""pandas DataFrames and Series as Parquet when pyarrow is installed, else as CSV; pandas imported
lazily."""

from __future__ import annotations

import importlib
import json
from typing import TYPE_CHECKING, Any

from runstack.materializers.base import Materializer

if TYPE_CHECKING:
    from runstack.components.artifact_store import BaseArtifactStore

PARQUET = "frame.parquet"
CSV = "frame.csv"
SERIES_COLUMN = "values"
SERIES_NAME = "name.json"


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
        _write_frame(value, store, uri)

    def load(self, store: BaseArtifactStore, uri: str, type_name: str) -> Any:
        return _read_frame(store, uri)


class PandasSeriesMaterializer(Materializer):
    """A Series as a one-column frame (as DataFrames are kept) and its name as JSON, so it loads
    back with its name, index and dtype; a name JSON cannot hold is left to cloudpickle."""

    name = "pandas_series"
    handles = ("pandas.Series", "pandas.core.series.Series")
    handles_subclasses = False

    def can_save(self, value: Any) -> bool:
        return super().can_save(value) and isinstance(value.name, (str, int, float, type(None)))

    def save(self, value: Any, store: BaseArtifactStore, uri: str) -> None:
        _write_frame(value.to_frame(name=SERIES_COLUMN), store, uri)
        with store.open(f"{uri}/{SERIES_NAME}", "wb") as stream:
            stream.write(json.dumps({"name": value.name}).encode("utf-8"))

    def load(self, store: BaseArtifactStore, uri: str, type_name: str) -> Any:
        series = _read_frame(store, uri)[SERIES_COLUMN]
        with store.open(f"{uri}/{SERIES_NAME}", "rb") as stream:
            series.name = json.loads(stream.read())["name"]
        return series


def _write_frame(frame: Any, store: BaseArtifactStore, uri: str) -> None:
    if _has_pyarrow():
        with store.open(f"{uri}/{PARQUET}", "wb") as stream:
            frame.to_parquet(stream, engine="pyarrow")
    else:
        with store.open(f"{uri}/{CSV}", "wb") as stream:
            frame.to_csv(stream)


def _read_frame(store: BaseArtifactStore, uri: str) -> Any:
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
