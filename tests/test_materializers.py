"""Materializers: every built-in type round-trips through a real artifact store, selection
picks the right one, plugins add their own, and anything else is pickled with a warning."""

from __future__ import annotations

import datetime
import enum
import json
import os
import subprocess
import sys
import tracemalloc
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, ClassVar

import numpy as np
import pandas as pd
import pytest
from pydantic import BaseModel

from runstack import Client, hookimpl
from runstack.components import BaseArtifactStore
from runstack.errors import NotFoundError
from runstack.flavor_registry import PluginWarning
from runstack.installed import installed
from runstack.materializer_registry import MaterializerRegistry
from runstack.materializers import (
    Materializer,
    MaterializerRegistrar,
    MaterializerWarning,
    type_name,
)
from runstack.plugins import register_objects

InstallPlugin = Callable[..., Path]

BUILTIN_NAMES = [
    "bytes",
    "cloudpickle",
    "json",
    "numpy",
    "pandas",
    "pandas_series",
    "pydantic",
    "sklearn",
]


@pytest.fixture
def store() -> BaseArtifactStore:
    """The default stack's local artifact store, under this test's RUNSTACK_HOME."""
    client = Client()
    artifact_store = client.build_component(client.get_component("artifact_store", "default"))
    assert isinstance(artifact_store, BaseArtifactStore)
    return artifact_store


def round_trip(
    value: Any, store: BaseArtifactStore, annotation: Any = None, uri: str = "run/step/output"
) -> tuple[str, Any]:
    """Save `value` as the runtime will and load it back: (materializer name, loaded value)."""
    registry = installed().materializers
    materializer = registry.select(annotation, value)
    materializer.save(value, store, uri)
    loaded = registry.get(materializer.name).load(store, uri, type_name(type(value)))
    return materializer.name, loaded


def read(store: BaseArtifactStore, relative: str) -> bytes:
    with store.open(relative) as stream:
        data: bytes = stream.read()
    return data


# -- values of the built-in types --------------------------------------------------


class Point(BaseModel):
    x: float
    y: float


class LabelledPoint(Point):
    label: str
    tags: list[str] = []


class Path3D(BaseModel):
    points: list[Point]
    closed: bool
    created: datetime.datetime


class Colour(enum.IntEnum):
    RED = 1


@pytest.mark.parametrize(
    "value",
    [
        42,
        -1.25,
        "naïve ✓",
        True,
        False,
        None,
        [],
        [1, "two", 3.0, None, False],
        {"model": {"layers": [64, 32], "dropout": 0.1, "name": None}, "tags": ["a", "b"]},
        (1, "two", [3, {"four": 4}]),
        (),
    ],
    ids=repr,
)
def test_json_values_round_trip_with_their_type(value: Any, store: BaseArtifactStore) -> None:
    name, loaded = round_trip(value, store)
    assert name == "json"
    assert loaded == value
    assert type(loaded) is type(value)
    assert store.ls("run/step/output") == ["run/step/output/value.json"]


def test_json_file_is_plain_json(store: BaseArtifactStore) -> None:
    value = {"epochs": 3, "scores": [0.5, 0.75]}
    round_trip(value, store)
    assert json.loads(read(store, "run/step/output/value.json")) == value


def test_bytes_are_stored_as_they_are(store: BaseArtifactStore) -> None:
    value = bytes(range(256)) * 3
    name, loaded = round_trip(value, store)
    assert (name, loaded) == ("bytes", value)
    assert read(store, "run/step/output/value.bin") == value


def test_pydantic_model_round_trips_as_its_class(store: BaseArtifactStore) -> None:
    value = Path3D(
        points=[Point(x=0, y=1), Point(x=2.5, y=-3)],
        closed=True,
        created=datetime.datetime(2024, 5, 1, 12, 30, tzinfo=datetime.UTC),
    )
    name, loaded = round_trip(value, store)
    assert name == "pydantic"
    assert type(loaded) is Path3D
    assert loaded == value
    assert json.loads(read(store, "run/step/output/model.json"))["closed"] is True


def test_subclass_of_a_pydantic_model_is_found_through_its_bases(
    store: BaseArtifactStore,
) -> None:
    value = LabelledPoint(x=1, y=2, label="origin-ish", tags=["t"])
    name, loaded = round_trip(value, store, annotation=Point)
    assert name == "pydantic"
    assert type(loaded) is LabelledPoint
    assert loaded == value


def test_pydantic_artifact_of_a_type_that_cannot_be_imported_says_so(
    store: BaseArtifactStore,
) -> None:
    pydantic_materializer = installed().materializers.get("pydantic")
    pydantic_materializer.save(Point(x=1, y=2), store, "out")
    with pytest.raises(NotFoundError, match=r"cannot import the type 'nowhere\.Point'.*install"):
        pydantic_materializer.load(store, "out", "nowhere.Point")


@pytest.mark.parametrize(
    "array",
    [
        np.arange(12, dtype=np.float64).reshape(3, 4),
        np.array([-128, 0, 127], dtype=np.int8),
        np.arange(8, dtype=np.uint32).reshape(2, 2, 2) % 3 == 0,
        np.array([1 + 2j, -0.5j], dtype=np.complex64),
        np.array(3.5),
        np.zeros((0, 3), dtype=np.int64),
        np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)),
        np.arange(20, dtype=np.int16)[::3],
        np.array(["2024-01-01", "2024-02-29"], dtype="datetime64[D]"),
        np.array([(1, 2.0), (3, 4.0)], dtype=[("id", "<i4"), ("score", "<f8")]),
        np.array(["ab", "cde"], dtype="<U3"),
    ],
    ids=lambda a: f"{a.dtype}{a.shape}",
)
def test_numpy_arrays_round_trip(array: np.ndarray, store: BaseArtifactStore) -> None:
    name, loaded = round_trip(array, store)
    assert name == "numpy"
    assert type(loaded) is np.ndarray
    assert (loaded.dtype, loaded.shape) == (array.dtype, array.shape)
    assert np.array_equal(loaded, array)
    assert read(store, "run/step/output/array.npy").startswith(b"\x93NUMPY")


def test_large_array_streams_into_the_store_without_a_full_copy(store: BaseArtifactStore) -> None:
    array = np.arange(8 * 2**20, dtype=np.float64)  # 64 MiB
    numpy_materializer = installed().materializers.get("numpy")
    tracemalloc.start()
    try:
        numpy_materializer.save(array, store, "big")
        _, saving_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        loaded = numpy_materializer.load(store, "big", "numpy.ndarray")
        _, loading_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert np.array_equal(loaded, array)
    assert store.size("big/array.npy") > array.nbytes
    assert saving_peak < array.nbytes / 2
    assert loading_peak < array.nbytes * 1.5


def sample_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "count": [1, 2, 3],
            "score": [0.5, -1.0, 2.25],
            "name": ["a", "b", "c"],
            "ok": [True, False, True],
        }
    )


def test_dataframe_round_trips_through_parquet(store: BaseArtifactStore) -> None:
    frame = sample_frame().assign(
        when=pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]),
        kind=pd.Categorical(["x", "y", "x"]),
    )
    frame.index = pd.Index([10, 20, 30], name="id")
    name, loaded = round_trip(frame, store)
    assert name == "pandas"
    assert store.ls("run/step/output") == ["run/step/output/frame.parquet"]
    pd.testing.assert_frame_equal(loaded, frame)


def test_dataframe_falls_back_to_csv_without_pyarrow_and_loads_anywhere(
    store: BaseArtifactStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    frame = sample_frame()
    pandas_materializer = installed().materializers.get("pandas")
    with monkeypatch.context() as without_pyarrow:
        without_pyarrow.setitem(sys.modules, "pyarrow", None)
        pandas_materializer.save(frame, store, "out")
    # pandas, imported while pyarrow was there, reads strings through it: load with it back.
    assert store.ls("out") == ["out/frame.csv"]
    assert read(store, "out/frame.csv").splitlines()[0] == b",count,score,name,ok"
    pd.testing.assert_frame_equal(pandas_materializer.load(store, "out", ""), frame)


@pytest.mark.parametrize(
    "series",
    [
        pd.Series([0, 1, 2, 1], name="target", index=pd.Index([7, 3, 9, 1], name="row")),
        pd.Series([0.5, None], name=None),
        pd.Series(["a", "b"], index=["x", "y"], name=3),
    ],
    ids=["named-with-index", "unnamed", "int-name"],
)
def test_series_round_trips_with_its_name_and_index(
    series: pd.Series, store: BaseArtifactStore
) -> None:
    name, loaded = round_trip(series, store, annotation=pd.Series)
    assert name == "pandas_series"
    assert store.ls("run/step/output") == [
        "run/step/output/frame.parquet",
        "run/step/output/name.json",
    ]
    pd.testing.assert_series_equal(loaded, series)


def test_a_series_whose_name_json_cannot_hold_is_pickled(store: BaseArtifactStore) -> None:
    series = pd.Series([1, 2], name=("a", 1))
    with pytest.warns(MaterializerWarning, match="pandas_series declined it"):
        name, loaded = round_trip(series, store)
    assert name == "cloudpickle"
    pd.testing.assert_series_equal(loaded, series)


def test_a_sklearn_estimator_is_pickled_with_its_version(store: BaseArtifactStore) -> None:
    from importlib.metadata import version

    from sklearn.base import ClassifierMixin
    from sklearn.datasets import load_iris
    from sklearn.svm import SVC

    features, target = load_iris(return_X_y=True)
    model = SVC(gamma=0.01).fit(features, target)
    name, loaded = round_trip(model, store, annotation=ClassifierMixin)
    assert name == "sklearn"
    assert json.loads(read(store, "run/step/output/versions.json")) == {
        "scikit-learn": version("scikit-learn")
    }
    assert (loaded.predict(features) == model.predict(features)).all()


def test_loading_an_estimator_under_another_sklearn_version_warns(
    store: BaseArtifactStore,
) -> None:
    from sklearn.linear_model import LinearRegression

    registry = installed().materializers
    model = LinearRegression().fit([[0.0], [1.0]], [0.0, 2.0])
    materializer = registry.select(None, model)
    materializer.save(model, store, "out")
    with store.open("out/versions.json", "wb") as stream:
        stream.write(b'{"scikit-learn": "0.24.2"}')
    with pytest.warns(UserWarning) as caught:
        loaded = materializer.load(store, "out", type_name(LinearRegression))
    [warning] = [str(record.message) for record in caught]
    assert "was saved with scikit-learn 0.24.2 and is loaded with" in warning
    assert "install scikit-learn==0.24.2 to load it as it was" in warning
    assert loaded.predict([[2.0]]).tolist() == pytest.approx([4.0])


# -- the cloudpickle fallback ---------------------------------------------------------


def test_local_class_is_pickled_with_one_warning(store: BaseArtifactStore) -> None:
    @dataclass
    class Experiment:
        name: str
        runs: int

    value = Experiment("baseline", 3)
    with pytest.warns(MaterializerWarning) as caught:
        name, loaded = round_trip(value, store)
    [warning] = [str(record.message) for record in caught]
    assert f"no materializer saves {type_name(Experiment)}, " in warning
    assert "register_materializers hook" in warning
    assert name == "cloudpickle"
    assert loaded == value
    assert store.ls("run/step/output") == ["run/step/output/value.pkl"]


@dataclass
class Sample:
    value: int


@pytest.mark.parametrize(
    ("value", "declined"),
    [
        ([Sample(1), Sample(2)], "json"),  # json.dumps would fail
        ({1: "one"}, "json"),  # the key would come back as "1"
        ([(1, 2)], "json"),  # the inner tuple would come back as a list
        (OrderedDict(a=1), "json"),  # would come back as a dict
        (Colour.RED, "json"),  # would come back as 1
        (np.array([{"a": 1}, None], dtype=object), "numpy"),  # .npy needs pickle for objects
    ],
    ids=["objects", "int-keys", "nested-tuple", "ordered-dict", "int-enum", "object-array"],
)
def test_values_a_materializer_would_change_are_pickled_instead(
    value: Any, declined: str, store: BaseArtifactStore
) -> None:
    with pytest.warns(MaterializerWarning) as caught:
        name, loaded = round_trip(value, store)
    [warning] = [str(record.message) for record in caught]
    assert f"no materializer saves this {type_name(type(value))} exactly ({declined} " in warning
    assert name == "cloudpickle"
    assert type(loaded) is type(value)
    if isinstance(value, np.ndarray):
        assert loaded.tolist() == value.tolist()
    else:
        assert loaded == value


# -- selection -----------------------------------------------------------------------


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize(
    ("annotation", "value", "expected"),
    [
        (list[int], [1, 2], "json"),
        (Annotated[Point, "meta"], LabelledPoint(x=0, y=0, label="l"), "pydantic"),
        (Point | None, Point(x=0, y=0), "pydantic"),
        (Any, b"raw", "bytes"),
        ("Point", Point(x=0, y=0), "pydantic"),
        (object, 3, "json"),
        (Point, None, "pydantic"),  # what an annotation selects, asked without a value
        (pd.DataFrame, None, "pandas"),
        (pd.Series, None, "pandas_series"),
        (np.ndarray, None, "numpy"),
    ],
    ids=str,
)
def test_selection_by_annotation_falls_back_to_the_value_type(
    annotation: Any, value: Any, expected: str
) -> None:
    assert installed().materializers.select(annotation, value).name == expected


INT_TEXT_PLUGIN = '''
from runstack import hookimpl
from runstack.materializers import Materializer


class IntAsText(Materializer):
    """Ints (and, by annotation, bools) as decimal text."""

    name = "int-text"
    handles = ("builtins.int",)

    def save(self, value, store, uri):
        with store.open(f"{uri}/number.txt", "wb") as stream:
            stream.write(str(int(value)).encode())

    def load(self, store, uri, type_name):
        with store.open(f"{uri}/number.txt") as stream:
            return int(stream.read())


@hookimpl
def register_materializers(register):
    register(IntAsText)
'''


@pytest.fixture
def int_text_plugin(install_plugin: InstallPlugin) -> None:
    """An installed plugin whose materializer takes over ints from the built-in json one."""
    install_plugin(
        "runstack-int-text",
        {"runstack_int_text.__init__": "", "runstack_int_text.plugin": INT_TEXT_PLUGIN},
        entry_points={"int_text": "runstack_int_text.plugin"},
    )


@pytest.mark.filterwarnings("error")
def test_plugin_takes_over_a_builtin_type_but_a_bool_is_not_an_int(
    int_text_plugin: None, store: BaseArtifactStore
) -> None:
    registry = installed().materializers
    assert registry.select(None, 7).name == "int-text"
    assert registry.select(None, True).name == "json"
    assert registry.select(bool, True).name == "json"
    assert registry.select(None, 7.5).name == "json"

    name, loaded = round_trip(7, store)
    assert (name, loaded) == ("int-text", 7)
    assert read(store, "run/step/output/number.txt") == b"7"


@pytest.mark.filterwarnings("error")
def test_annotation_selects_over_the_value_type(
    int_text_plugin: None, store: BaseArtifactStore
) -> None:
    registry = installed().materializers
    assert registry.select(int, True).name == "int-text"
    assert registry.select(None, True).name == "json"

    name, _ = round_trip(True, store, annotation=int, uri="by-annotation")
    assert name == "int-text"
    assert read(store, "by-annotation/number.txt") == b"1"
    name, loaded = round_trip(True, store, uri="by-value")
    assert (name, loaded) == ("json", True)


# -- third-party materializers ------------------------------------------------------------

UNITS_TYPES = """
from dataclasses import dataclass


@dataclass(frozen=True)
class Celsius:
    degrees: float
"""

UNITS_PLUGIN = """
from runstack import hookimpl
from runstack.materializers import Materializer, import_type


class CelsiusMaterializer(Materializer):
    name = "celsius"
    handles = ("acme_units.types.Celsius",)

    def save(self, value, store, uri):
        with store.open(f"{uri}/degrees.txt", "wb") as stream:
            stream.write(repr(value.degrees).encode())

    def load(self, store, uri, type_name):
        with store.open(f"{uri}/degrees.txt") as stream:
            return import_type(type_name)(float(stream.read()))


@hookimpl
def register_materializers(register):
    register(CelsiusMaterializer())
"""


@pytest.mark.filterwarnings("error")
def test_installed_plugin_materializer_handles_its_type(
    install_plugin: InstallPlugin, store: BaseArtifactStore
) -> None:
    install_plugin(
        "acme-units",
        {
            "acme_units.__init__": "",
            "acme_units.types": UNITS_TYPES,
            "acme_units.plugin": UNITS_PLUGIN,
        },
        entry_points={"units": "acme_units.plugin"},
    )
    from acme_units.types import Celsius  # type: ignore[import-not-found]

    listed = [(m.name, plugin) for m, plugin in installed().materializers.list()]
    assert listed == sorted(
        [(n, "runstack.builtin") for n in BUILTIN_NAMES] + [("celsius", "units")]
    )

    name, loaded = round_trip(Celsius(21.5), store)
    assert (name, loaded) == ("celsius", Celsius(21.5))
    assert read(store, "run/step/output/degrees.txt") == b"21.5"


def test_plugins_load_once_for_flavors_and_materializers(install_plugin: InstallPlugin) -> None:
    install_plugin(
        "acme-broken",
        {"acme_broken.__init__": "", "acme_broken.plugin": "raise ImportError('no gpu')"},
        entry_points={"broken": "acme_broken.plugin"},
    )
    with pytest.warns(PluginWarning) as caught:
        flavors = Client().flavors
        materializers = installed().materializers
    assert [str(record.message) for record in caught] == [
        "plugin 'broken' from acme-broken 1.0.0: import failed: ImportError: no gpu"
    ]
    assert materializers.plugins is flavors.plugins
    assert installed().materializers is materializers


def registered_builtin(registry: MaterializerRegistry) -> str:
    builtin = registry.plugins.builtin
    assert builtin is not None
    return builtin.origin


def test_name_of_a_builtin_registered_again_warns_and_keeps_the_builtin(
    install_plugin: InstallPlugin,
) -> None:
    source = INT_TEXT_PLUGIN.replace('name = "int-text"', 'name = "json"')
    install_plugin(
        "acme-json",
        {"acme_json.__init__": "", "acme_json.plugin": source},
        entry_points={"fastjson": "acme_json.plugin"},
    )
    with pytest.warns(PluginWarning) as caught:
        registry = installed().materializers
    [warning] = [str(record.message) for record in caught]
    assert warning == (
        "plugin 'fastjson' from acme-json 1.0.0: registers the materializer 'json', already "
        f"registered by plugin 'runstack.builtin' from {registered_builtin(registry)}; "
        "keeping that one (block one with RUNSTACK_DISABLE_PLUGINS=<name>)"
    )
    assert [m.name for m, _ in registry.list()] == BUILTIN_NAMES
    assert dict((m.name, p) for m, p in registry.list())["json"] == "runstack.builtin"
    assert registry.select(None, 5).name == "json"


class TextMaterializer(Materializer):
    name = "text"
    handles: ClassVar[tuple[str, ...]] = ("builtins.str",)

    def save(self, value: Any, store: BaseArtifactStore, uri: str) -> None:
        raise NotImplementedError

    def load(self, store: BaseArtifactStore, uri: str, type_name: str) -> Any:
        raise NotImplementedError


class Registering:
    """A plugin object whose hook registers the given things."""

    def __init__(self, *materializers: object) -> None:
        self.materializers = materializers

    @hookimpl
    def register_materializers(self, register: MaterializerRegistrar) -> None:
        for materializer in self.materializers:
            register(materializer)  # type: ignore[arg-type]


def test_directly_registered_duplicate_keeps_the_first_plugin() -> None:
    plugins = register_objects(
        [("first", Registering(TextMaterializer)), ("second", Registering(TextMaterializer()))]
    )
    with pytest.warns(PluginWarning) as caught:
        registry = MaterializerRegistry(plugins)
    [warning] = [str(record.message) for record in caught]
    assert warning.startswith("plugin 'second' from (registered directly): registers the")
    assert "already registered by plugin 'first'" in warning
    assert ("text", "first") in [(m.name, p) for m, p in registry.list()]
    assert registry.select(None, "s").name == "text"


class Nameless(Materializer):
    def save(self, value: Any, store: BaseArtifactStore, uri: str) -> None:
        raise NotImplementedError

    def load(self, store: BaseArtifactStore, uri: str, type_name: str) -> Any:
        raise NotImplementedError


class Unfinished(Materializer):
    name = "unfinished"

    def save(self, value: Any, store: BaseArtifactStore, uri: str) -> None:
        raise NotImplementedError


class LooseHandles(Nameless):
    name = "loose"
    handles = "builtins.str"  # type: ignore[assignment]


@pytest.mark.parametrize(
    ("registered", "problem"),
    [
        (42, "expected a runstack Materializer, got int"),
        (Point, "expected a runstack Materializer, got ModelMetaclass"),
        (Nameless, "Nameless.name None must be"),
        (Unfinished, "Unfinished() raised TypeError: Can't instantiate abstract class"),
        (LooseHandles, "materializer 'loose' must list the types it handles as a tuple"),
    ],
    ids=["int", "not-a-materializer", "nameless", "abstract", "handles-not-a-tuple"],
)
def test_invalid_registration_is_ignored_with_a_warning(registered: object, problem: str) -> None:
    plugins = register_objects([("odd", Registering(registered, TextMaterializer))])
    with pytest.warns(PluginWarning) as caught:
        registry = MaterializerRegistry(plugins)
    [warning] = [str(record.message) for record in caught]
    assert warning.startswith("plugin 'odd' from (registered directly): ")
    assert problem in warning
    assert [m.name for m, _ in registry.list()] == sorted([*BUILTIN_NAMES, "text"])
    assert plugins.by_name("odd").error is not None


def test_unknown_materializer_names_the_installed_ones() -> None:
    with pytest.raises(NotFoundError) as raised:
        installed().materializers.get("zarr")
    assert str(raised.value).startswith(
        "unknown materializer 'zarr'; installed: bytes, cloudpickle, json, numpy, pandas, "
        "pandas_series, pydantic, sklearn"
    )


def test_builtin_materializers_are_there_whatever_plugins_are_blocked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RUNSTACK_LOAD_PLUGINS", "nothing-by-this-name")
    registry = installed().materializers
    assert registry.plugins.plugins == []
    assert [m.name for m, _ in registry.list()] == BUILTIN_NAMES


def test_importing_materializers_imports_no_data_library(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from runstack.installed import installed\n"
        "installed().materializers.select(None, 1)\n"
        "libraries = {'numpy', 'pandas', 'pyarrow', 'cloudpickle', 'sklearn'}\n"
        "print(sorted(libraries & set(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "RUNSTACK_HOME": str(tmp_path)},
    )
    assert result.stdout == "[]\n", result.stderr
